using System.Net;
using System.Net.Sockets;
using System.Text;
using Rewind.Gdb;

namespace Rewind.Gdb.Tests;

/// <summary>Where and how the GDB server listens: exclusively, on TCP or on a Unix socket.</summary>
public class ListenerTests
{
    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"rewind-gdb-{Guid.NewGuid():N}.sock");

    [Fact]
    public void Second_server_on_the_same_tcp_port_is_refused_and_the_first_still_serves()
    {
        using var first = new RspServer(new FakeTarget(), "tcp::0");
        first.Start();
        using var second = new RspServer(new FakeTarget(), $"tcp::{first.Port}");
        var e = Assert.Throws<SocketException>(second.Start);
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.StartsWith("+$T05", RspProbe.AskStopReason(new IPEndPoint(IPAddress.Loopback, first.Port), 10_000));
    }

    [Fact]
    public void A_plain_socket_on_the_port_refuses_the_server_too()
    {
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.Listen();
        int port = ((IPEndPoint)other.LocalEndPoint!).Port;
        using var server = new RspServer(new FakeTarget(), $"tcp::{port}");
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(server.Start).SocketErrorCode);
    }

    [Theory]
    [InlineData("unix:{0}")]
    [InlineData("unix:{0},server=on,wait=off")]
    [InlineData("{0}")]
    public void Unix_prefix_names_the_socket_path(string spec)
    {
        string path = SocketPath();
        var (endPoint, unixPath) = RspServer.ParseEndpoint(string.Format(System.Globalization.CultureInfo.InvariantCulture, spec, path));
        Assert.Equal(path, unixPath);
        Assert.IsType<UnixDomainSocketEndPoint>(endPoint);
    }

    [Fact]
    public void Unix_prefix_without_a_path_is_refused()
    {
        Assert.Throws<ArgumentException>(() => RspServer.ParseEndpoint("unix:"));
    }

    [Fact]
    public void Unix_socket_serves_a_client_and_is_removed_on_stop()
    {
        string path = SocketPath();
        using (var server = new RspServer(new FakeTarget(), "unix:" + path))
        {
            server.Start();
            Assert.StartsWith("+$T05", RspProbe.AskStopReason(new UnixDomainSocketEndPoint(path), 10_000));
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Stale_unix_socket_file_is_replaced()
    {
        string path = SocketPath();
        // Bound and never listening, as a dead run leaves it: connecting is refused. (Disposing it
        // would delete the file, so it stays open.)
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(path));
        Assert.True(File.Exists(path));
        using var server = new RspServer(new FakeTarget(), "unix:" + path);
        server.Start();
        Assert.StartsWith("+$T05", RspProbe.AskStopReason(new UnixDomainSocketEndPoint(path), 10_000));
    }

    [Fact]
    public void Unix_socket_someone_listens_on_is_in_use_and_left_alone()
    {
        string path = SocketPath();
        using var first = new RspServer(new FakeTarget(), "unix:" + path);
        first.Start();
        using (var second = new RspServer(new FakeTarget(), "unix:" + path))
            Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(second.Start).SocketErrorCode);
        Assert.True(File.Exists(path));
        // The second server's probe was a client of the first for a moment; it may still be leaving.
        string reply = "";
        for (int attempt = 0; attempt < 100 && !reply.StartsWith("+$T05", StringComparison.Ordinal); attempt++)
        {
            if (attempt > 0) Thread.Sleep(50);
            try
            {
                reply = RspProbe.AskStopReason(new UnixDomainSocketEndPoint(path), 10_000);
            }
            catch (SocketException)
            {
                // turned away while the probe's session ended
            }
        }
        Assert.StartsWith("+$T05", reply);
    }

}
