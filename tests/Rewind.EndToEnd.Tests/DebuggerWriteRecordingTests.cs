namespace Rewind.EndToEnd.Tests;

/// <summary>GDB's writes to memory and registers while recording are part of the recording.</summary>
public class DebuggerWriteRecordingTests
{
    private const string Unchanged = "revdebug total=90 fib=55 counter=75\n";

    [Fact]
    public void Set_var_while_recording_replays_to_the_same_output_without_divergence()
    {
        using var dir = new TempDir();
        string rr = dir.File("setvar.rr");
        int port = FreePort.Get();
        string recorded;
        using (var run = RewindRun.Kernel("revdebug", "-icount", $"shift=3,rr=record,rrfile={rr}", "-gdb", $"tcp::{port}", "-S"))
        {
            run.WaitListening(port);
            string o = Gdb.Run("revdebug", port, ["break step_one", "continue", "set var x = 7", "set var $s1 = $s1", "delete", "continue"]);
            var r = run.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.True(r.ExitCode == 0 && o.Contains("exited normally"), o + r);
            recorded = r.Stdout;
        }
        // The write changed what the guest computed, so the replay can only match by applying it too.
        Assert.NotEqual(Unchanged, recorded);
        Assert.StartsWith("revdebug total=", recorded);

        var replay = RewindProcess.RunKernel(RepoPaths.Guest("revdebug"), null, "-icount", $"shift=3,rr=replay,rrfile={rr}");
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Equal(recorded, replay.Stdout);
        Assert.DoesNotContain("diverged", replay.Stderr);

        var info = RewindProcess.Run("info", rr);
        Assert.Contains("debugger-write", info.Stdout);
    }

    [Fact]
    public void Writes_while_replaying_are_refused_with_a_reason_and_the_replay_stays_exact()
    {
        using var dir = new TempDir();
        string rr = dir.File("plain.rr");
        var rec = RewindProcess.RunKernel(RepoPaths.Guest("revdebug"), null, "-icount", $"shift=3,rr=record,rrfile={rr}");
        Assert.True(rec.ExitCode == 0 && rec.Stdout == Unchanged, rec.ToString());

        int port = FreePort.Get();
        using var run = RewindRun.Kernel("revdebug", "-icount", $"shift=3,rr=replay,rrfile={rr}", "-gdb", $"tcp::{port}", "-S");
        run.WaitListening(port);
        string o = Gdb.Run("revdebug", port, ["break step_one", "continue", "set var x = 7", "p x", "set var $a0 = 5", "p $a0 == 5", "delete", "continue"]);
        if (!run.HasExited) run.Kill();
        var r = run.WaitForExit(TimeSpan.FromSeconds(10));
        string ctx = o + r;
        Assert.True(o.Contains("Cannot access memory") || o.Contains("Could not write"), ctx);
        Assert.Contains("$1 = 1\n", o);   // x kept its recorded value
        Assert.Contains("$2 = 0\n", o);   // so did a0
        Assert.Contains("cannot be changed while replaying", r.Stderr);
        Assert.Equal(Unchanged, r.Stdout);
    }
}
