using Rewind.Cli.CommandLine;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("tcp:127.0.0.1:4444,server=on,wait=off", "127.0.0.1", 4444, false)]
    [InlineData("tcp::4444,server,nowait", "127.0.0.1", 4444, false)]
    [InlineData("tcp:localhost:5,server=on", "localhost", 5, true)]
    public void Qmp_accepts_tcp_listening_sockets(string spec, string host, int port, bool wait)
    {
        var o = OptionParser.Parse(["-qmp", spec]);
        Assert.Equal(new SocketSpec(host, port, null, wait), o.QmpSocket);
    }

    [Theory]
    [InlineData("unix:/tmp/q.sock,server=on,wait=off", false)]
    [InlineData("unix:/tmp/q.sock,server,nowait", false)]
    public void Qmp_accepts_unix_listening_sockets(string spec, bool wait)
    {
        var o = OptionParser.Parse(["-qmp", spec]);
        Assert.Equal("/tmp/q.sock", o.QmpSocket!.UnixPath);
        Assert.Equal(wait, o.QmpSocket.Wait);
    }

    [Theory]
    [InlineData("tcp:127.0.0.1:4444", "only listening sockets")]
    [InlineData("stdio", "not supported")]
    [InlineData("tcp:127.0.0.1:99999,server=on", "invalid port")]
    [InlineData("udp:1.2.3.4:5,server=on", "supported sockets")]
    [InlineData("tcp::1,server=on,color=blue", "unsupported parameter 'color'")]
    public void Qmp_rejects_what_it_cannot_serve(string spec, string message)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-qmp", spec]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Monitor_stdio_and_serial_stdio_cannot_share_stdio()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-monitor", "stdio", "-serial", "stdio"]));
        Assert.Contains("cannot use stdio by multiple character devices", e.Message);
        Assert.Equal("stdio", OptionParser.Parse(["-monitor", "stdio"]).Monitor);
    }
}
