using System.Net;
using System.Text.Json.Nodes;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

/// <summary>system_reset from QMP while recording is an input: the replay resets at the same count.</summary>
public sealed class SystemResetRecordingTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rewind-reset-" + Guid.NewGuid().ToString("N")[..8]);

    public SystemResetRecordingTests() => Directory.CreateDirectory(_dir);

    private static string[] Args(string mode, string file, params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("uart_echo"), "-nographic",
         "-icount", $"shift=3,rr={mode},rrfile={file}", .. extra];

    private static void WaitFor(RewindRun run, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!done(run.Stdout))
        {
            if (DateTime.UtcNow > deadline || run.HasExited) throw new TimeoutException("console did not show what was expected\n" + run);
            Thread.Sleep(20);
        }
    }

    private static int Count(string text, string what) => text.Split(what).Length - 1;

    [Fact]
    public void Qmp_system_reset_while_recording_is_replayed_at_the_same_count()
    {
        string rr = Path.Combine(_dir, "reset.rr");
        int port = FreePort.Get();
        string recorded;
        using (var run = RewindRun.Start(Args("record", rr, "-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off")))
        using (var c = QmpClient.ConnectNegotiated(new IPEndPoint(IPAddress.Loopback, port)))
        {
            WaitFor(run, o => o.Contains("echo ready"));
            // This harness sees the console line by line, so the typed text ends with a newline.
            run.Stdin.Write("ab\n");
            run.Stdin.Flush();
            WaitFor(run, o => o.Contains("ab\n"));
            Assert.Equal("""{"return":{}}""", c.Execute("system_reset").ToJsonString());
            Assert.False(c.WaitEvent("RESET")["data"]!["guest"]!.GetValue<bool>());
            WaitFor(run, o => Count(o, "echo ready") == 2);
            run.Stdin.Write("q");
            run.Stdin.Flush();
            Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(60)));
            recorded = run.Stdout;
        }
        Assert.Equal("echo ready\nab\necho ready\nq", recorded.TrimEnd('\n'));

        using var replay = RewindRun.Start(Args("replay", rr), redirectStdin: false);
        Assert.Equal(0, replay.WaitExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(recorded, replay.Stdout);
        Assert.DoesNotContain("diverged", replay.Stderr);
    }

    [Fact]
    public void Qmp_system_reset_while_replaying_is_refused()
    {
        string rr = Path.Combine(_dir, "plain.rr");
        using (var rec = RewindRun.Start(Args("record", rr)))
        {
            WaitFor(rec, o => o.Contains("echo ready"));
            rec.Stdin.Write("q");
            rec.Stdin.Flush();
            Assert.Equal(0, rec.WaitExit(TimeSpan.FromSeconds(60)));
        }
        int port = FreePort.Get();
        using var run = RewindRun.Start(Args("replay", rr, "-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off", "-S"));
        using var c = QmpClient.ConnectNegotiated(new IPEndPoint(IPAddress.Loopback, port));
        var r = c.Execute("system_reset");
        Assert.Equal("GenericError", r["error"]?["class"]?.GetValue<string>());
        Assert.Contains("replaying", r["error"]!["desc"]!.GetValue<string>());
        c.Execute("quit");
        Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(30)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
