using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The serial console on a socket (`-serial tcp:…`), as QEMU users script it with nc or socat: a
/// listening console waits for its client, the client's bytes are the guest's input (recorded, and a
/// replay needs no client), and a client console connects to a listening peer.
/// </summary>
public sealed class SerialSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static string[] Machine(params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("uart_echo"), "-display", "none", "-monitor", "none", .. extra];

    /// <summary>Reads from the socket until the text has arrived (or the peer closed).</summary>
    private static string ReadUntil(Socket socket, string text)
    {
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        var got = new StringBuilder();
        var buffer = new byte[256];
        while (!got.ToString().Contains(text, StringComparison.Ordinal))
        {
            int n = socket.Receive(buffer);
            if (n == 0) break;
            got.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }
        return got.ToString();
    }

    [Fact]
    public void A_listening_console_waits_for_its_client_whose_typing_is_recorded_and_replayed_without_it()
    {
        using var dir = new TempDir();
        string rr = dir.File("echo.rr");
        int port = FreePort.Get();
        using var run = new RewindRun(Machine("-serial", $"tcp:127.0.0.1:{port},server=on", "-icount", $"shift=3,rr=record,rrfile={rr}"));
        run.WaitListening(port);
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.Connect(IPAddress.Loopback, port);
            // wait=on: the guest starts only now, so its first line is not lost.
            Assert.Equal("echo ready\n", ReadUntil(client, "echo ready\n"));
            client.Send("socket says hi q"u8);
            Assert.EndsWith("socket says hi q", ReadUntil(client, "hi q"));
            var recorded = run.WaitForExit(Timeout);
            Assert.True(recorded.ExitCode == 0, recorded.ToString());
            Assert.Contains($"waiting for a connection on tcp:127.0.0.1:{port}", recorded.Stderr);
        }
        string output = dir.File("replayed.txt");
        var replayed = RewindProcess.Run(Machine("-serial", $"file:{output}", "-icount", $"shift=3,rr=replay,rrfile={rr}"));
        Assert.True(replayed.ExitCode == 0, replayed.ToString());
        Assert.Equal("echo ready\nsocket says hi q", File.ReadAllText(output));
    }

    [Fact]
    public void A_client_console_connects_to_a_listening_peer_and_takes_its_input()
    {
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        int port = ((IPEndPoint)peer.LocalEndpoint).Port;
        using var run = new RewindRun(Machine("-serial", $"tcp:127.0.0.1:{port}"));
        using var console = peer.AcceptSocket();
        // Without wait, the guest may print before the connection is there; only the echo is certain.
        console.Send("xyzq"u8);
        Assert.EndsWith("xyzq", ReadUntil(console, "xyzq"));
        var r = run.WaitForExit(Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public void A_console_port_in_use_is_a_one_line_error()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var r = RewindProcess.Run(Machine("-serial", $"tcp:127.0.0.1:{port},server=on,wait=off"));
        RecordingRuns.AssertOneLineError(r, $"-serial tcp:127.0.0.1:{port},server=on,wait=off: cannot listen on tcp:127.0.0.1:{port}");
    }

    [Fact]
    public void A_client_console_with_nobody_listening_is_a_one_line_error()
    {
        int port = FreePort.Get();
        var r = RewindProcess.Run(Machine("-serial", $"tcp:127.0.0.1:{port}"));
        RecordingRuns.AssertOneLineError(r, "connection refused");
    }
}
