using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>gdb-multiarch on a two-hart machine: harts are threads, live and backwards through a replay.</summary>
public class SmpDebuggingTests
{
    private const string Expected = "smp: 2 harts\nsmp: woke 1\nsmp: atomic 40000 locked 40000 expected 40000\n";

    private static string[] Machine(params string[] extra) =>
        ["-M", "virt", "-smp", "2", "-bios", "none", "-kernel", RepoPaths.Guest("smp"), "-nographic", .. extra];

    /// <summary>Records smp.elf on two harts into DIR/smp.rr and checks what it printed.</summary>
    private static string Record(TempDir dir)
    {
        string rr = dir.File("smp.rr");
        var rec = RewindProcess.Run(Machine("-icount", $"shift=3,rr=record,rrfile={rr}"));
        Assert.True(rec.ExitCode == 0 && rec.Stdout == Expected, rec.ToString());
        return rr;
    }

    [Fact]
    public void Both_harts_are_threads_that_hit_a_breakpoint_and_the_guest_still_finishes_right()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(Machine("-gdb", $"tcp::{port}", "-S"));
        run.WaitListening(port);
        string o = Gdb.Run("smp", port,
        [
            "info threads",
            "break work",
            "continue",
            "continue",
            "info threads",
            "delete",
            "continue",
        ]);
        Assert.Matches(@"\* 1 +Thread 1 \(CPU#0 \[running\]\) +0x0*1000 in \?\? \(\)\n +2 +Thread 2 \(CPU#1 \[running\]\) +0x0*1000 in \?\? \(\)\n", o);
        // Stopped at its breakpoint, hart 1 is the current thread, and not in WFI.
        Assert.Matches(@"\n\* 2 +Thread 2 \(CPU#1 \[running\]\) +work \(\)", o[o.IndexOf("Thread 2 hit", StringComparison.Ordinal)..]);
        Assert.Matches(@"Thread 1 hit Breakpoint 1, work \(\) at \./smp\.c:\d+", o);
        Assert.Matches(@"Thread 2 hit Breakpoint 1, (0x[0-9a-f]+ in )?work \(\)", o);
        Assert.Contains("[Inferior 1 (Remote target) exited normally]", o);
        var r = run.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.Equal(Expected, r.Stdout);
    }

    [Fact]
    public void Reverse_stepi_on_hart_2_retraces_its_own_steps_and_reverse_continue_finds_hart_1s_breakpoint()
    {
        using var dir = new TempDir();
        string rr = Record(dir);

        string o = Gdb.RunAgainstReplay(Machine("-icount", $"shift=3,rr=replay,rrfile={rr}"), "smp",
        [
            "break work",
            "continue",                 // hart 0 reaches work first: it released the others
            "continue",                 // then hart 1
            "p/x $pc", "stepi", "p/x $pc", "stepi", "p/x $pc",
            "reverse-stepi", "p/x $pc", "reverse-stepi", "p/x $pc",
            "monitor info replay",
            "thread 1",
            "reverse-continue",
            "info threads",
            "p/x $pc",
        ], out var rewind);
        string Context() => "\n--- gdb, then rewind ---\n" + o;

        Assert.True(Regex.IsMatch(o, @"Thread 1 hit Breakpoint 1, work \(\)"), "hart 0 never hit the breakpoint" + Context());
        Assert.True(Regex.IsMatch(o, @"\[Switching to Thread 2\]\s+Thread 2 hit Breakpoint 1"), "hart 1 never hit the breakpoint" + Context());
        var pcs = Gdb.HexValues(o);
        Assert.True(pcs.Count == 6, "expected 6 pc values" + Context());
        Assert.True(pcs[1] != pcs[0] && pcs[2] != pcs[1], "stepi on thread 2 did not move its pc" + Context());
        Assert.True(pcs[3] == pcs[1] && pcs[4] == pcs[0], $"reverse-stepi on thread 2 went to 0x{pcs[3]:x}, 0x{pcs[4]:x}" + Context());
        // Going back on thread 1 from there: its breakpoint hit, the last one before the present.
        Assert.True(Regex.IsMatch(o, @"Thread 1 hit Breakpoint 1, (0x[0-9a-f]+ in )?work \(\)\n +Id +Target Id +Frame *\n\* 1 +Thread 1 "),
            "reverse-continue did not stop in thread 1" + Context());
        Assert.True(Regex.Count(o, @"Thread 1 hit Breakpoint 1") == 2, "reverse-continue did not stop at hart 0's breakpoint" + Context());
        Assert.Equal(pcs[0], pcs[5]);
        Assert.StartsWith("smp: 2 harts\n", rewind.Stdout);
    }

    [Fact]
    public void A_two_hart_recording_replays_identically_and_is_refused_with_one_hart()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        var info = RewindProcess.Run("info", rr);
        Assert.Matches(@"smp +2\n", info.Stdout);
        for (int i = 0; i < 2; i++)
        {
            var rep = RewindProcess.Run(Machine("-icount", $"shift=3,rr=replay,rrfile={rr}"));
            Assert.True(rep.ExitCode == 0 && rep.Stdout == Expected, rep.ToString());
        }
        var one = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("smp"), "-nographic",
                                     "-icount", $"shift=3,rr=replay,rrfile={rr}"]);
        Assert.Equal(1, one.ExitCode);
        Assert.Contains("smp differs: recorded 2, given 1", one.Stderr);
    }

    [Fact]
    public void Reverse_continue_to_a_watchpoint_finds_the_last_store_to_the_shared_counter_whichever_hart_made_it()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        string o = Gdb.RunAgainstReplay(Machine("-icount", $"shift=3,rr=replay,rrfile={rr}"), "smp",
        [
            "break work", "continue", "continue", "delete",
            "watch locked_total",
            "continue", "continue",
            "p locked_total",
            "reverse-continue",
            "p locked_total",
            "x/i $pc",
        ], out _);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        var hits = Regex.Matches(o, @"Thread (\d) hit Hardware watchpoint 2: locked_total\s+Old value = (\d+)\s+New value = (\d+)");
        Assert.True(hits.Count == 3, "expected 2 forward and 1 reverse watchpoint stops" + Context());
        long newest = long.Parse(hits[1].Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(newest - 1, long.Parse(hits[1].Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        // Backwards, GDB shows the value going from after the store to before it, on the hart that stored.
        Assert.True(hits[2].Groups[1].Value == hits[1].Groups[1].Value, "reverse-continue stopped on another hart than the last store's" + Context());
        Assert.True(hits[2].Groups[2].Value == newest.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    && hits[2].Groups[3].Value == (newest - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "reverse-continue did not undo the last store" + Context());
        Assert.True(Regex.IsMatch(o, @"=> 0x[0-9a-f]+ <work\+\d+>:\tsd\t"), "reverse-continue did not land on the store" + Context());
    }
}
