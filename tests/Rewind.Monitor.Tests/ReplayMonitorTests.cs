using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

/// <summary>QMP and the stdio monitor driving ./rewind replaying a real recording of count_loop.elf.</summary>
public sealed class ReplayMonitorTests(CountLoopRecording recording) : IClassFixture<CountLoopRecording>
{
    private const ulong RecordingEnd = 14_000_402;

    private static ulong Icount(QmpClient c) => c.Execute("query-replay")["return"]!["icount"]!.GetValue<ulong>();
    private static string Status(QmpClient c) => c.Execute("query-status")["return"]!["status"]!.GetValue<string>();

    private (RewindRun Run, QmpClient Client) StartReplay(params string[] extra)
    {
        int port = FreePort.Get();
        var run = RewindRun.Start(CountLoopRecording.ReplayArgs(recording.File,
            ["-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off", .. extra]));
        var client = QmpClient.ConnectNegotiated(new IPEndPoint(IPAddress.Loopback, port));
        return (run, client);
    }

    [Fact]
    public void Replay_break_then_cont_stops_there_with_a_STOP_event_and_seek_goes_back()
    {
        var (run, c) = StartReplay("-S");
        using (run)
        using (c)
        {
            Assert.Equal("prelaunch", Status(c));
            var info = c.Execute("query-replay")["return"]!;
            Assert.Equal("play", info["mode"]!.GetValue<string>());
            Assert.Equal(recording.File, info["filename"]!.GetValue<string>());
            Assert.Equal(0UL, info["icount"]!.GetValue<ulong>());

            Assert.Equal("""{"return":{}}""", c.Execute("replay-break", new JsonObject { ["icount"] = 1_000_000 }).ToJsonString());
            Assert.Equal("""{"return":{}}""", c.Execute("cont").ToJsonString());
            c.WaitEvent("RESUME");
            c.WaitEvent("STOP");
            Assert.Equal(1_000_000UL, Icount(c));
            Assert.Equal("paused", Status(c));
            Assert.False(c.Execute("query-status")["return"]!["running"]!.GetValue<bool>());

            Assert.Equal("""{"return":{}}""", c.Execute("replay-seek", new JsonObject { ["icount"] = 100 }).ToJsonString());
            Assert.Equal(100UL, Icount(c));
            Assert.Equal("paused", Status(c));

            Assert.Equal("""{"return":{}}""", c.Execute("quit").ToJsonString());
            Assert.Equal("host-qmp-quit", c.WaitEvent("SHUTDOWN")["data"]!["reason"]!.GetValue<string>());
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void Replay_break_in_the_past_is_refused_and_several_breaks_stop_in_turn()
    {
        var (run, c) = StartReplay("-S");
        using (run)
        using (c)
        {
            c.Execute("replay-seek", new JsonObject { ["icount"] = 5000 });
            var past = c.Execute("replay-break", new JsonObject { ["icount"] = 5000 });
            Assert.Equal("GenericError", past["error"]!["class"]!.GetValue<string>());
            Assert.Equal("cannot set breakpoint at the past instruction count", past["error"]!["desc"]!.GetValue<string>());

            c.Execute("replay-break", new JsonObject { ["icount"] = 300_000 });
            c.Execute("replay-break", new JsonObject { ["icount"] = 200_000 });
            c.Execute("cont");
            c.WaitEvent("STOP");
            Assert.Equal(200_000UL, Icount(c));
            c.Execute("cont");
            c.WaitEvent("STOP");
            Assert.Equal(300_000UL, Icount(c));
            var hmp = c.Execute("human-monitor-command", new JsonObject { ["command-line"] = "info replay" })["return"]!.GetValue<string>();
            Assert.Contains("current instruction count: 300000", hmp);

            c.Execute("replay-delete-break");
            c.Execute("replay-seek", new JsonObject { ["icount"] = 250_000 });
            Assert.Equal(250_000UL, Icount(c));
            c.Execute("quit");
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void Replay_break_set_while_running_is_honoured()
    {
        // The break is set while the replay runs. Whether the machine is still short of the target
        // when the break lands depends on the host, so each attempt reads the count after the reply:
        // a count below the target proves the break was in place in time, and then the machine must
        // stop exactly there. An attempt the machine outran seeks back and tries again.
        var (run, c) = StartReplay("-S", "-no-shutdown");
        using (run)
        using (c)
        {
            const ulong target = RecordingEnd - 1000;
            bool proven = false;
            for (int attempt = 0; attempt < 5 && !proven; attempt++)
            {
                Assert.Equal("""{"return":{}}""", c.Execute("cont").ToJsonString());
                var set = c.Execute("replay-break", new JsonObject { ["icount"] = target });
                ulong seen = Icount(c);
                c.WaitEvent("STOP");
                ulong at = Icount(c);
                if (set.ContainsKey("return") && seen < target)
                {
                    Assert.Equal(target, at);
                    Assert.Equal("paused", Status(c));
                    proven = true;
                }
                else
                {
                    // Outran: the replay reached its end (or the target) before the break was set.
                    Assert.True(at >= target, $"stopped at {at} before the break at {target}");
                    c.Execute("replay-delete-break");
                    Assert.Equal("""{"return":{}}""", c.Execute("replay-seek", new JsonObject { ["icount"] = 0 }).ToJsonString());
                }
            }
            Assert.True(proven, "the replay outran the replay-break command in every attempt");
            c.Execute("quit");
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void Seek_beyond_the_recording_stops_at_its_end_with_an_error()
    {
        var (run, c) = StartReplay("-S");
        using (run)
        using (c)
        {
            var r = c.Execute("replay-seek", new JsonObject { ["icount"] = 99_000_000 });
            Assert.Contains("the recording ends at instruction count", r["error"]!["desc"]!.GetValue<string>());
            Assert.Equal(RecordingEnd, Icount(c));
            c.Execute("quit");
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void Replay_without_debugger_ends_at_guest_poweroff_with_SHUTDOWN_like_qemu()
    {
        var (run, c) = StartReplay("-S");
        using (run)
        using (c)
        {
            c.Execute("cont");
            var ev = c.WaitEvent("SHUTDOWN");
            Assert.Equal("""{"guest":true,"reason":"guest-shutdown"}""", ev["data"]!.ToJsonString());
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(60)));
            Assert.Contains("count_loop counter=1000000", run.Stdout);
        }
    }

    [Fact]
    public void With_no_shutdown_the_machine_stays_for_the_monitor_after_the_guest_powers_off()
    {
        var (run, c) = StartReplay("-S", "-no-shutdown");
        using (run)
        using (c)
        {
            c.Execute("cont");
            c.WaitEvent("SHUTDOWN");
            c.WaitEvent("STOP");
            Assert.Equal("shutdown", Status(c));
            Assert.Equal("Resetting the Virtual Machine is required", c.Execute("cont")["error"]!["desc"]!.GetValue<string>());
            c.Execute("replay-seek", new JsonObject { ["icount"] = 100 });
            Assert.Equal(100UL, Icount(c));
            c.Execute("quit");
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void Qmp_on_a_unix_socket_serves_one_client_after_another()
    {
        string path = Path.Combine(recording.Directory, $"qmp-{Guid.NewGuid():N}.sock"[..20]);
        using var run = RewindRun.Start(CountLoopRecording.ReplayArgs(recording.File, "-qmp", $"unix:{path},server,nowait", "-S"));
        var ep = new UnixDomainSocketEndPoint(path);
        using (var first = QmpClient.ConnectNegotiated(ep))
            first.Execute("replay-seek", new JsonObject { ["icount"] = 777 });
        using (var second = QmpClient.ConnectNegotiated(ep))
        {
            Assert.Equal(777UL, Icount(second));
            second.Execute("quit");
        }
        Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Qmp_replay_break_stops_a_gdb_continue_there()
    {
        int gdbPort = FreePort.Get();
        var (run, c) = StartReplay("-S", "-gdb", $"tcp::{gdbPort}");
        using (run)
        using (c)
        using (var gdb = Rsp.Connect(gdbPort))
        {
            Assert.StartsWith("S05", gdb.Command("?").Replace("T05", "S05"));
            Assert.Equal("prelaunch", Status(c)); // QEMU: attaching GDB does not change the run state
            c.Execute("replay-break", new JsonObject { ["icount"] = 123_456 });
            string stop = gdb.Command("c");
            Assert.StartsWith("T05", stop.Replace("S05", "T05"));
            Assert.Equal(123_456UL, Icount(c));
            Assert.Equal("debug", Status(c));
            c.WaitEvent("RESUME");
            c.WaitEvent("STOP");
            // reverse-stepi from there, as GDB would after QMP placed it.
            gdb.Command("bs");
            Assert.Equal(123_455UL, Icount(c));
            gdb.Send("k");
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void Monitor_stdio_runs_hmp_commands_with_the_qemu_prompt()
    {
        using var run = RewindRun.Start(CountLoopRecording.ReplayArgs(recording.File, "-monitor", "stdio", "-S"));
        run.Stdin.Write("info status\ninfo replay\nreplay_seek 100\ninfo replay\ninfo status\nreplay_break 50\nbogus\nquit\n");
        run.Stdin.Flush();
        Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(60)));
        string o = run.Stdout;
        Assert.Contains("(qemu) VM status: paused (prelaunch)\n", o);
        Assert.Contains("(qemu) Replaying execution\nfile: " + recording.File + "\ncurrent instruction count: 0\n", o);
        Assert.Contains("current instruction count: 100\n", o);
        Assert.Contains("(qemu) VM status: paused\n", o);
        Assert.Contains("replay_break: cannot set breakpoint at the past instruction count", o);
        Assert.Contains("unknown command: 'bogus'", o);
        Assert.DoesNotContain("count_loop counter", o); // the serial went to null: stdio belongs to the monitor
    }

    [Fact]
    public void Monitor_stdio_cont_runs_the_guest_to_its_end()
    {
        using var run = RewindRun.Start(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("count_loop"), "-monitor", "stdio", "-serial", "file:" + Path.Combine(recording.Directory, $"serial-{Guid.NewGuid():N}.txt"), "-S"]);
        run.Stdin.Write("info status\nc\n");
        run.Stdin.Flush();
        Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("VM status: paused (prelaunch)", run.Stdout);
    }
}

/// <summary>Just enough of GDB's remote protocol to continue and reverse-step.</summary>
internal sealed class Rsp : IDisposable
{
    private readonly NetworkStream _s;

    private Rsp(NetworkStream s) => _s = s;

    public static Rsp Connect(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var sock = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                sock.Connect(IPAddress.Loopback, port);
                return new Rsp(new NetworkStream(sock, ownsSocket: true) { ReadTimeout = 60000 });
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                sock.Dispose();
                Thread.Sleep(100);
            }
        }
    }

    public void Send(string payload)
    {
        int sum = payload.Aggregate(0, (a, ch) => (a + ch) & 0xff);
        _s.Write(Encoding.ASCII.GetBytes($"${payload}#{sum:x2}"));
    }

    public string Command(string payload)
    {
        Send(payload);
        while (true)
        {
            int b = _s.ReadByte();
            if (b < 0) throw new EndOfStreamException();
            if (b != '$') continue;
            var sb = new StringBuilder();
            while ((b = _s.ReadByte()) != '#') sb.Append((char)b);
            _s.ReadByte();
            _s.ReadByte();
            _s.WriteByte((byte)'+');
            return sb.ToString();
        }
    }

    public void Dispose() => _s.Dispose();
}
