using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The GDB server's connection life cycle (docs/gdb-server.md) through the whole program: -S holds,
/// the guest's end reaches the client before the process ends, -no-shutdown keeps the machine, and
/// hundreds of short connections leave a server that the real gdb-multiarch still debugs through.
/// </summary>
public sealed class GdbConnectionTests
{
    private static string[] Kernel(string guest, params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest(guest), "-nographic", .. extra];

    private static void WaitForStderr(RewindRun run, string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!run.Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (sw.Elapsed > timeout || run.HasExited) throw new TimeoutException($"no '{text}' on stderr\n{run}");
            Thread.Sleep(25);
        }
    }

    /// <summary>HMP on the multiplexed console: C-a c, the command, C-a c back to the guest.</summary>
    private static void Monitor(RewindRun run, string command) => run.Write($"\u0001c{command}\n\u0001c");

    [Fact]
    public void A_stale_socket_probe_does_not_start_a_machine_held_with_S()
    {
        using var dir = new TempDir();
        string socket = dir.File("gdb.sock");
        using var first = new RewindRun(Kernel("count_loop", "-S", "-gdb", "unix:" + socket));
        var sw = Stopwatch.StartNew();
        while (!File.Exists(socket))
        {
            Assert.False(first.HasExited, first.ToString());
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "the first run never listened");
            Thread.Sleep(25);
        }
        // The second run checks whether someone listens on the file before it would remove it: that
        // check is a client of the first one for a moment.
        var second = RewindProcess.Run(Kernel("count_loop", "-gdb", "unix:" + socket));
        RecordingRuns.AssertOneLineError(second, "address already in use");
        Thread.Sleep(500);
        Monitor(first, "info status");
        first.WaitForOutput("VM status: paused (prelaunch)");
        Assert.DoesNotContain("count_loop counter", first.Stdout);
    }

    [Fact]
    public void A_client_that_comes_and_goes_without_resuming_leaves_S_in_force()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(Kernel("count_loop", "-S", "-gdb", $"tcp::{port}"));
        run.WaitListening(port);
        for (int i = 0; i < 3; i++)
        {
            // Until the server has seen the last one go, a new client is a second one and is turned away.
            if (i > 0) Thread.Sleep(300);
            using var wire = new RspWire(port);
            Assert.StartsWith("T05", wire.Ask("?"));
            Assert.NotEmpty(wire.Ask("g"));
        }
        Thread.Sleep(300);
        Monitor(run, "info status");
        run.WaitForOutput("VM status: paused (prelaunch)");
        // A client that resumes it does start it: it runs on after that client has gone.
        using (var wire = new RspWire(port))
            Assert.StartsWith("T05", wire.Ask("s"));
        run.WaitForOutput("count_loop counter=1000000");
    }

    [Fact]
    public void Power_off_under_gdb_is_reported_with_W00_and_then_the_process_ends()
    {
        for (int i = 0; i < 4; i++)
        {
            int port = FreePort.Get();
            using var run = new RewindRun(Kernel("hello", "-S", "-gdb", $"tcp::{port}"));
            run.WaitListening(port);
            using var wire = new RspWire(port);
            Assert.StartsWith("T05", wire.Ask("?"));
            Assert.Equal("W00", wire.Ask("c"));
            var result = run.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.Equal(0, result.ExitCode);
        }
    }

    [Fact]
    public void A_guest_that_powers_off_around_the_connection_still_answers_c_with_W00_under_no_shutdown()
    {
        for (int i = 0; i < 4; i++)
        {
            int port = FreePort.Get();
            // No -S: the guest may power off before, while or after the client connects.
            using var run = new RewindRun(Kernel("hello", "-no-shutdown", "-gdb", $"tcp::{port}"));
            run.WaitListening(port);
            using (var wire = new RspWire(port))
            {
                Assert.Matches("^(T05|W00)", wire.Ask("?"));
                Assert.Equal("W00", wire.Ask("c"));
            }
            // The client has gone: the machine stays, stopped, and the next client learns how it ended.
            Thread.Sleep(300);
            Assert.False(run.HasExited, run.ToString());
            using (var wire = new RspWire(port)) Assert.Equal("W00", wire.Ask("?"));
            Monitor(run, "info status");
            run.WaitForOutput("VM status: paused (shutdown)");
            Monitor(run, "quit");
            Assert.Equal(0, run.WaitForExit(TimeSpan.FromSeconds(30)).ExitCode);
        }
    }

    [Fact]
    public void Quitting_the_emulator_sends_a_connected_client_X_before_it_exits()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(Kernel("uart_echo", "-S", "-gdb", $"tcp::{port}"));
        run.WaitListening(port);
        using var wire = new RspWire(port);
        Assert.StartsWith("T05", wire.Ask("?"));
        wire.SendRaw(RspWire.Frame("c"));
        Thread.Sleep(300);
        Monitor(run, "quit");
        Assert.Equal("X09", wire.Receive());
        Assert.Equal(0, run.WaitForExit(TimeSpan.FromSeconds(30)).ExitCode);
    }

    [Fact]
    public void A_replay_that_reaches_its_end_under_s_says_so_once_with_how_to_go_on()
    {
        using var dir = new TempDir();
        string rr = dir.File("count_loop.rr");
        Assert.Equal(0, RewindProcess.RunKernel(RepoPaths.Guest("count_loop"), null, RecordingRuns.Rr("record", rr)).ExitCode);
        int port = FreePort.Get();
        using var run = new RewindRun(Kernel("count_loop", [.. RecordingRuns.Rr("replay", rr), "-gdb", $"tcp::{port}"]));
        WaitForStderr(run, "rewind: replay reached the end of the recording at instruction ", TimeSpan.FromSeconds(60));
        Thread.Sleep(300);
        Assert.False(run.HasExited);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("replay reached the end", StringComparison.Ordinal));
        Assert.Matches(@"^rewind: replay reached the end of the recording at instruction \d+; the machine stays for the debugger \(reverse-continue, monitor replay_seek N\), Ctrl-C or 'quit' to exit$", line);
    }

    [Fact]
    public void Gdb_shows_the_text_of_a_failing_monitor_command_and_goes_on()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(Kernel("count_loop", "-S", "-gdb", $"tcp::{port}"));
        run.WaitListening(port);
        string o = Gdb.Run("count_loop", port, ["monitor replay_seek 5", "monitor bogus", "p/x $pc", "kill"], TimeSpan.FromSeconds(60));
        Assert.Contains("replay_seek: Record/replay is not in replay mode", o);
        Assert.Contains("unknown command: 'bogus'", o);
        Assert.Single(Gdb.HexValues(o));
    }

    [Fact]
    public void A_bare_rewind_hints_at_what_to_pass_and_still_boots_the_default_firmware()
    {
        using var run = new RewindRun([]);
        WaitForStderr(run, "rewind: hint: no -kernel given", TimeSpan.FromSeconds(60));
        run.WaitForOutput("OpenSBI");
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// Hundreds of short connections (a seeded mix of packets, FIN and RST, delays of 0-50 ms, now and
    /// then a second client at once) against a replay while it runs; then gdb-multiarch attaches and
    /// debugs: breakpoint, continue, stepi, reverse-stepi.
    /// </summary>
    [Fact]
    public void Hundreds_of_dropped_connections_leave_a_server_the_real_gdb_debugs_through()
    {
        using var dir = new TempDir();
        string rr = dir.File("count_loop.rr");
        Assert.Equal(0, RewindProcess.RunKernel(RepoPaths.Guest("count_loop"), null, RecordingRuns.Rr("record", rr)).ExitCode);
        int port = FreePort.Get();
        using var run = new RewindRun(Kernel("count_loop", [.. RecordingRuns.Rr("replay", rr), "-gdb", $"tcp::{port}"]));
        run.WaitListening(port);

        string[] packets = ["?", "c", "s", "vCont;c", "vCont;s:1", "g", "qSupported:error-message+", "m80000000,40", "bs", "bc", "Hg1", "qfThreadInfo"];
        var random = new Random(20261202);
        var sw = Stopwatch.StartNew();
        int connections = 0;
        for (; connections < 300 && sw.Elapsed < TimeSpan.FromSeconds(30); connections++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(IPAddress.Loopback, port);
            Socket? second = null;
            if (random.Next(10) == 0)
            {
                second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                second.Connect(IPAddress.Loopback, port);
            }
            var bytes = new List<byte>();
            for (int n = random.Next(1, 4); n > 0; n--)
            {
                switch (random.Next(12))
                {
                    case 0: bytes.Add(0x03); break;
                    case 1: bytes.AddRange(Encoding.ASCII.GetBytes("$garbage#zz+-")); break;
                    default: bytes.AddRange(Encoding.ASCII.GetBytes(RspWire.Frame(packets[random.Next(packets.Length)]))); break;
                }
            }
            try
            {
                socket.Send(bytes.ToArray());
            }
            catch (SocketException)
            {
                // turned away (a second client of ours was first): fine
            }
            int delay = random.Next(0, 51);
            if (delay > 0) Thread.Sleep(delay);
            if (random.Next(2) == 0) socket.LingerState = new LingerOption(true, 0); // RST
            else
            {
                try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
            }
            second?.Dispose();
        }
        Assert.True(connections >= 100, $"only {connections} connections in time");
        Assert.False(run.HasExited, run.ToString());

        int increment = Gdb.MarkerLine("count_loop.c", "@increment");
        string o = Gdb.Run("count_loop", port,
        [
            "monitor replay_seek 0",
            $"break count_loop.c:{increment}",
            "continue",
            "p/x $pc",
            "stepi",
            "stepi",
            "p/x $pc",
            "reverse-stepi",
            "reverse-stepi",
            "p/x $pc",
            "delete",
            "monitor info replay",
        ], TimeSpan.FromSeconds(60));
        Assert.Contains($"count_loop.c:{increment}", o);
        var pcs = Gdb.HexValues(o);
        Assert.True(pcs.Count == 3, o + "\n" + run);
        Assert.NotEqual(pcs[0], pcs[1]);
        Assert.Equal(pcs[0], pcs[2]);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.DoesNotContain("internal error", run.Stderr);
    }
}
