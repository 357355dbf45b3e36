using System.Globalization;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>Recordings of count_loop and revdebug, made once for the reverse-debugging tests.</summary>
public sealed class ReverseRecordings : IDisposable
{
    private readonly TempDir _dir = new();

    public ReverseRecordings()
    {
        CountLoop = Record("count_loop", "count_loop counter=1000000\n");
        RevDebug = Record("revdebug", "revdebug total=90 fib=55 counter=75\n");
    }

    public (string File, ulong End) CountLoop { get; }
    public (string File, ulong End) RevDebug { get; }

    private (string, ulong) Record(string guest, string expected)
    {
        string rr = _dir.File(guest + ".rr");
        var r = RewindProcess.RunKernel(RepoPaths.Guest(guest), null, "-icount", $"shift=3,rr=record,rrfile={rr}");
        if (r.ExitCode != 0 || r.Stdout != expected) throw new InvalidOperationException($"recording {guest} failed: {r}");
        var info = RewindProcess.Run("info", rr);
        var m = Regex.Match(info.Stdout, @"ended cleanly \(poweroff\) at icount ([\d,]+)");
        if (!m.Success) throw new InvalidOperationException($"rewind info {rr}: {info}");
        return (rr, ulong.Parse(m.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture));
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>gdb-multiarch running backwards through a replay: `./rewind ... rr=replay ... -gdb tcp::PORT -S`.</summary>
public class ReverseDebuggingTests(ReverseRecordings recordings) : IClassFixture<ReverseRecordings>
{
    private static string Replay(string guest, string rr, IEnumerable<string> commands, out ProcessResult rewindResult) =>
        Gdb.RunAgainstReplay(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest(guest), "-nographic",
                              "-icount", $"shift=3,rr=replay,rrfile={rr}"], guest, commands, out rewindResult);

    private static int Line(string marker) => Gdb.MarkerLine("revdebug.c", marker);

    private static ulong CurrentIcount(string monitorInfoReplay, int occurrence) => Gdb.ReplayCounts(monitorInfoReplay)[occurrence];

    /// <summary>
    /// QEMU's tests/avocado/reverse_debugging.py on our recording: 10 steps noting pc, back over them,
    /// forward over them again, hardware breakpoints on all 10, replay_break at the last instruction,
    /// continue, then reverse-continue must find the 10th address.
    /// </summary>
    [Fact]
    public void Qemu_reverse_debugging_scenario()
    {
        const int Steps = 10;
        var (rr, end) = recordings.CountLoop;
        var cmds = new List<string>();
        for (int i = 0; i < Steps; i++) cmds.AddRange(["p/x $pc", "stepi"]);
        for (int i = 0; i < Steps; i++) cmds.AddRange(["reverse-stepi", "p/x $pc"]);
        for (int i = 0; i < Steps; i++) cmds.AddRange(["p/x $pc", "stepi"]);
        // Breakpoints go in once the addresses are known: a second gdb connection would do; one session is
        // simpler, so the addresses are taken from the program's first instructions, which the ROM fixes.
        string o1 = Replay("count_loop", rr, cmds, out _);
        var pcs = Gdb.HexValues(o1);
        Assert.True(pcs.Count == 3 * Steps, o1);
        var steps = pcs.Take(Steps).ToList();
        Assert.Equal(0x1000UL, steps[0]);
        Assert.Equal(Steps, steps.Distinct().Count());
        Assert.Equal(Enumerable.Reverse(steps), pcs.Skip(Steps).Take(Steps));
        Assert.Equal(steps, pcs.Skip(2 * Steps).Take(Steps));

        // The same session again, now with the breakpoints, the replay break and the reverse-continue.
        cmds.AddRange(steps.Select(a => $"hbreak *0x{a:x}"));
        cmds.Add($"monitor replay_break {end - 1}");
        cmds.Add("continue");
        cmds.Add("monitor info replay");
        cmds.Add("reverse-continue");
        cmds.Add("p/x $pc");
        cmds.Add("monitor info replay");
        string o = Replay("count_loop", rr, cmds, out _);
        var all = Gdb.HexValues(o);
        Assert.True(all.Count == 3 * Steps + 1, o);
        Assert.Equal(pcs, all.Take(3 * Steps));
        Assert.Equal(end - 1, CurrentIcount(o, 0));
        Assert.True(steps[^1] == all[^1], $"reverse-continue stopped at 0x{all[^1]:x}, expected 0x{steps[^1]:x}\n{o}");
        Assert.Equal((ulong)(Steps - 1), CurrentIcount(o, 1));
    }

    /// <summary>Seed 000: after `si`, `rsi` gives back every register as it was.</summary>
    [Fact]
    public void Reverse_stepi_restores_the_registers_the_step_changed()
    {
        var (rr, _) = recordings.RevDebug;
        var cmds = new List<string> { "break step_one", "continue", "continue" };
        for (int i = 0; i < 12; i++)
            cmds.AddRange(["echo <<before\\n", "info registers", "echo >>\\n", "stepi", "echo <<after\\n", "info registers", "echo >>\\n",
                           "reverse-stepi", "echo <<back\\n", "info registers", "echo >>\\n", "stepi"]);
        string o = Replay("revdebug", rr, cmds, out _);
        var blocks = Regex.Matches(o, @"<<(before|after|back)\n(.*?)>>", RegexOptions.Singleline).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        Assert.True(blocks.Count == 36, o);
        int changedOtherThanPc = 0;
        for (int i = 0; i < 36; i += 3)
        {
            Assert.Equal("before", blocks[i].Item1);
            Assert.Equal(blocks[i].Item2, blocks[i + 2].Item2); // back == before, every register
            Assert.NotEqual(blocks[i].Item2, blocks[i + 1].Item2);
            static string NoPc(string s) => Regex.Replace(s, @"(?m)^pc .*$", "");
            if (NoPc(blocks[i].Item2) != NoPc(blocks[i + 1].Item2)) changedOtherThanPc++;
        }
        Assert.True(changedOtherThanPc >= 6, o); // the prologue of step_one writes sp, s0, a5, ...
        Assert.Contains("step_one (x=2)", o);
    }

    [Fact]
    public void Reverse_next_step_and_finish_land_on_the_expected_source_lines()
    {
        var (rr, _) = recordings.RevDebug;
        string src = File.ReadAllText(Path.Combine(RepoPaths.Root, "guests", "revdebug.c"));
        int printLine = Array.FindIndex(src.Split('\n'), l => l.Contains("rt_puts(\"revdebug total=\")")) + 1;
        string o = Replay("revdebug", rr,
        [
            $"break revdebug.c:{printLine}",
            "continue",
            "reverse-next", "reverse-next", "reverse-next",   // line 38 has two ranges: back to 38, its start, then 37
            "reverse-step",                                   // into accumulate, which returned last before line 37
            "reverse-finish",                                 // back out to the call in main
            "reverse-next",
            "reverse-step",
            "delete",
            "break step_one",
            "continue",
            "reverse-continue",
            "reverse-finish",
            "reverse-continue",
        ], out _);
        var lines = Regex.Matches(o, @"(?m)^(\d+)\t").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        int w4 = Line("@write4"), cf = Line("@call-fib"), ca = Line("@call-accumulate"), w3 = Line("@write3");
        // break at print, rn -> 38 (second range), rn -> 38 (start), rn -> 37, rs -> accumulate's last line,
        // rfinish -> 36 (mid), rn -> 36 start, rs -> 35
        Assert.True(lines.Count >= 8, o);
        Assert.Equal(printLine, lines[0]);
        Assert.Equal(w4, lines[1]);
        Assert.Equal(w4, lines[2]);
        Assert.Equal(cf, lines[3]);
        Assert.Matches(@"accumulate \(n=5\) at \./revdebug\.c:(\d+)", o);
        int accEnd = int.Parse(Regex.Match(o, @"accumulate \(n=5\) at \./revdebug\.c:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(accEnd > Line("@write2") && accEnd < Line("@fib-base"), o);
        Assert.Equal(accEnd, lines[4]);
        Assert.Matches($@"0x[0-9a-f]+ in main \(\) at \./revdebug\.c:{ca}\n", o);
        Assert.Equal(ca, lines[5]);
        Assert.Equal(ca, lines[6]);
        Assert.Equal(w3, lines[7]);
        // Forward to step_one(1), backwards from there: no earlier call, so history's start.
        Assert.Contains("Breakpoint 2, step_one (x=1)", o);
        Assert.Contains("No more reverse-execution history.", o);
    }

    [Fact]
    public void Reverse_continue_to_the_last_call_and_reverse_finish_to_its_caller()
    {
        var (rr, _) = recordings.RevDebug;
        string o = Replay("revdebug", rr,
        [
            $"break revdebug.c:{Line("@write4")}",
            "continue",
            "break step_one",
            "reverse-continue",
            "p x",
            "reverse-finish",
            "reverse-continue",
            "p x",
            "info breakpoints",
        ], out _);
        Assert.Contains("Breakpoint 2, step_one (x=5)", o);
        Assert.Matches(@"\$1 = 5\n", o);
        Assert.Matches($@"0x[0-9a-f]+ in accumulate \(n=5\) at \./revdebug\.c:{Line("@call-step-one")}\n", o);
        Assert.Contains("Breakpoint 2, step_one (x=4)", o);
        Assert.Matches(@"\$2 = 4\n", o);
    }

    [Fact]
    public void Reverse_watchpoint_shows_old_and_new_values_as_seen_backwards()
    {
        var (rr, _) = recordings.RevDebug;
        string src = File.ReadAllText(Path.Combine(RepoPaths.Root, "guests", "revdebug.c"));
        int printLine = Array.FindIndex(src.Split('\n'), l => l.Contains("rt_print_sdec(total)")) + 1;
        string o = Replay("revdebug", rr,
        [
            $"break revdebug.c:{printLine}",
            "continue",
            "watch counter",
            "reverse-continue",
            "reverse-continue",
            "x/i $pc",
            "p/x $pc",
            "p counter",
            "continue",
            "p counter",
            "reverse-stepi",
            "p/x $pc",
        ], out _);
        // counter: ... 19 -> 20 at @write2 (i = 5), 20 -> 75 at @write4 (+ fib(10) = 55).
        Assert.True(Regex.IsMatch(o, $@"Hardware watchpoint 2: counter\s+Old value = 75\s+New value = 20\s+0x[0-9a-f]+ in main \(\) at \./revdebug\.c:{Line("@write4")}"), o);
        Assert.True(Regex.IsMatch(o, $@"Hardware watchpoint 2: counter\s+Old value = 20\s+New value = 19\s+0x[0-9a-f]+ in accumulate \(n=5\) at \./revdebug\.c:{Line("@write2")}"), o);
        // Backwards, GDB steps back over the write itself: it lands on the store, which has not run yet.
        Assert.Matches(@"=> 0x[0-9a-f]+ <accumulate\+\d+>:\s+sw\s", o);
        Assert.Matches(@"\$2 = 19\n", o);
        // Forward again: the same write, seen forwards, stopping just after the store.
        Assert.True(Regex.IsMatch(o, @"Hardware watchpoint 2: counter\s+Old value = 19\s+New value = 20\s"), o);
        Assert.Matches(@"\$3 = 20\n", o);
        var pcs = Gdb.HexValues(o);
        Assert.Equal(2, pcs.Count);
        Assert.Equal(pcs[0], pcs[1]);
    }

    [Fact]
    public void Reverse_stepi_at_the_start_says_no_more_history_and_stays_put()
    {
        var (rr, _) = recordings.CountLoop;
        string o = Replay("count_loop", rr, ["p/x $pc", "reverse-stepi", "p/x $pc", "reverse-continue", "p/x $pc", "stepi", "p/x $pc", "monitor info replay"], out _);
        Assert.Equal(2, Regex.Count(o, "No more reverse-execution history."));
        Assert.Equal([0x1000UL, 0x1000UL, 0x1000UL, 0x1004UL], Gdb.HexValues(o));
        Assert.Equal(1UL, CurrentIcount(o, 0));
    }

    [Fact]
    public void Running_off_the_end_says_no_more_history_and_the_session_stays_usable()
    {
        var (rr, end) = recordings.CountLoop;
        string o = Replay("count_loop", rr,
        [
            "continue",
            "monitor info replay",
            "reverse-stepi",
            "monitor info replay",
            "stepi",
            "monitor info replay",
            "continue",
            "break main",
            "reverse-continue",
            "p/x $pc",
            "monitor info replay",
        ], out var rewind);
        // continue and the second continue hit the end; the stepi onto the last instruction may say so too.
        Assert.InRange(Regex.Count(o, "No more reverse-execution history."), 2, 3);
        Assert.Equal(end, CurrentIcount(o, 0));
        Assert.Equal(end - 1, CurrentIcount(o, 1));
        Assert.Equal(end, CurrentIcount(o, 2));
        Assert.Contains("Breakpoint 1, main ()", o);
        Assert.True(CurrentIcount(o, 3) < 100, o);
        // The guest's output was shown once, not again after going back and forth.
        Assert.Equal("count_loop counter=1000000\n", rewind.Stdout);
    }
}
