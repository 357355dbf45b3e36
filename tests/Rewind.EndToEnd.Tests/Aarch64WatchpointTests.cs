using System.Globalization;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>guests/aarch64/bin/bench.elf recorded once, as bench/reverse.sh --arch aarch64 records it.</summary>
public sealed class Aarch64BenchRecording : IDisposable
{
    private readonly TempDir _dir = new();

    public static readonly string Bench = RepoPaths.Aarch64Guest("bench");

    /// <summary>QEMU's command line for the guest: `qemu-system-aarch64` with these options runs it the same.</summary>
    public static string[] Machine(params string[] extra) =>
        ["-arch", "aarch64", "-M", "virt", "-cpu", "cortex-a57", "-semihosting-config", "enable=on,target=native",
         "-kernel", Bench, "-nographic", .. extra];

    public Aarch64BenchRecording()
    {
        File = _dir.File("bench.rr");
        var r = RewindProcess.Run(Machine("-icount", $"shift=0,rr=record,rrfile={File}"), null, TimeSpan.FromMinutes(5));
        if (r.ExitCode != 0 || !r.Stdout.StartsWith("bench checksum 0x", StringComparison.Ordinal))
            throw new InvalidOperationException($"recording bench.elf failed: {r}");
    }

    public string File { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// Watchpoints on AArch64 under gdb-multiarch, against what the same GDB shows on qemu-system-aarch64
/// 7.2 for the same guest. GDB's aarch64 watchpoints are non-steppable: the stop comes before the access
/// (QEMU's arm target stops before it too), GDB then steps over it itself. The figures below are QEMU's:
/// its replay of this guest, `watch table[4095]` or `rwatch table[4095]` and `continue`, stops at these
/// instruction counts and pcs with these values.
/// </summary>
public class Aarch64WatchpointTests(Aarch64BenchRecording recording) : IClassFixture<Aarch64BenchRecording>
{
    /// <summary>table[4095] after the first loop (4095 * 0x0101010101010101) and after the first round.</summary>
    private const ulong Initial = 1085102592571150079, FirstRound = 2723802530278593916;

    /// <summary>QEMU 7.2: the counts after the first two stores to table[4095], and at semihosting_exit.</summary>
    private const ulong AfterInitialStore = 32797, AfterFirstRoundStore = 111789, AtExit = 158009349;

    /// <summary>QEMU 7.2: the first load of table[4095] after those stores, and the value it reads.</summary>
    private const ulong AfterFirstLoad = 258273, FirstLoaded = 11641938348710242291;

    /// <summary>table[4095]'s value before and after its last store, the last round's.</summary>
    private const ulong BeforeLast = 4743984342371361016, Last = 911188670529324519;

    /// <summary>QEMU 7.2's reverse-continue from semihosting_exit to the last store: just after it.</summary>
    private const ulong QemuReverseLanding = 157992809;

    private string Replay(IEnumerable<string> commands) =>
        Gdb.RunAgainstReplay(Aarch64BenchRecording.Machine("-icount", $"shift=0,rr=replay,rrfile={recording.File}"),
            Aarch64BenchRecording.Bench, commands, out _, TimeSpan.FromMinutes(5));

    /// <summary>The stops GDB printed for the watchpoint on table[4095], as (old, new) pairs, in order.</summary>
    private static List<(ulong Old, ulong New)> Hits(string o) =>
        Regex.Matches(o, @"Hardware watchpoint \d+: table\[4095\]\s+Old value = (\d+)\s+New value = (\d+)\s")
            .Select(m => (ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>The instructions `x/i $pc` showed, as "main+OFFSET: MNEMONIC OPERANDS".</summary>
    private static List<string> Instructions(string o) =>
        Regex.Matches(o, @"=> 0x[0-9a-f]+ <(main\+\d+)>:\t(\S+)\t(.*)\n").Select(m => $"{m.Groups[1].Value}: {m.Groups[2].Value} {m.Groups[3].Value}").ToList();

    [Fact]
    public void Forward_watchpoints_stop_just_after_each_access_at_qemus_counts_with_qemus_values()
    {
        string o = Replay(
        [
            "watch table[4095]",
            "continue", "x/i $pc", "monitor info replay",
            "continue", "x/i $pc", "monitor info replay",
            "delete", "rwatch table[4095]",
            "continue", "x/i $pc", "monitor info replay",
        ]);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        Assert.True(Hits(o).SequenceEqual([(0UL, Initial), (Initial, FirstRound)]), "GDB's old and new values" + Context());
        Assert.True(Regex.IsMatch(o, $@"Hardware read watchpoint 2: table\[4095\]\s+Value = {FirstLoaded}\s"), "GDB's read value" + Context());
        Assert.True(Gdb.ReplayCounts(o).SequenceEqual([AfterInitialStore, AfterFirstRoundStore, AfterFirstLoad]), "the stops' instruction counts" + Context());
        // The instruction after the first loop's `str x0, [x1], #8`, after the round's `str x1, [x4, x2, lsl #3]`,
        // and after the round's `ldr x1, [x4, x6, lsl #3]`.
        Assert.True(Instructions(o).SequenceEqual(["main+52: add x0, x0, x3", "main+228: add x2, x2, #0x1", "main+156: madd x1, x1, x10, x0"]),
            "the stops' pcs" + Context());
    }

    [Fact]
    public void Reverse_continue_lands_on_each_store_with_the_value_before_it_and_continue_comes_back_as_forwards()
    {
        string o = Replay(
        [
            "watch table[4095]",
            "continue", "continue",
            "reverse-continue", "x/i $pc", "monitor info replay", "p table[4095]",
            "reverse-continue", "x/i $pc", "monitor info replay", "p table[4095]",
            "continue", "x/i $pc", "monitor info replay",
        ]);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        // Backwards, GDB shows each store undone: the value after it, then the value before it.
        Assert.True(Hits(o).SequenceEqual([(0UL, Initial), (Initial, FirstRound), (FirstRound, Initial), (Initial, 0UL), (0UL, Initial)]),
            "GDB's old and new values" + Context());
        // GDB steps back over the reported store itself and stops on it, one instruction before the
        // forward stop, the store not yet done; continuing performs it and stops where QEMU stops.
        Assert.True(Gdb.ReplayCounts(o).SequenceEqual([AfterFirstRoundStore - 1, AfterInitialStore - 1, AfterInitialStore]), "the stops' instruction counts" + Context());
        Assert.True(Instructions(o).SequenceEqual(["main+224: str x1, [x4, x2, lsl #3]", "main+48: str x0, [x1], #8", "main+52: add x0, x0, x3"]),
            "the stops' pcs" + Context());
        Assert.Matches($@"\$\d+ = {Initial}\n(.*\n)*\$\d+ = 0\n", o);
    }

    /// <summary>
    /// bench/reverse.sh's watchpoint: from semihosting_exit back to the last store to table[4095]. QEMU
    /// 7.2 answers reverse-continue with a plain SIGTRAP just after the store (GDB prints "Program received
    /// signal SIGTRAP" and no values); Rewind reports the watchpoint, so GDB shows it as a watchpoint hit
    /// and steps back onto the store, as its own reverse debugging does: one instruction before QEMU's stop.
    /// </summary>
    [Fact]
    public void Reverse_continue_from_the_end_reports_the_last_store_one_instruction_before_qemus_bare_stop()
    {
        string o = Replay(
        [
            "break semihosting_exit", "continue", "monitor info replay", "delete",
            "watch table[4095]",
            "reverse-continue", "x/i $pc", "monitor info replay", "p table[4095]",
            "continue", "x/i $pc", "monitor info replay",
        ]);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        Assert.True(Hits(o).SequenceEqual([(Last, BeforeLast), (BeforeLast, Last)]), "GDB's old and new values" + Context());
        Assert.DoesNotContain("SIGTRAP", o);
        Assert.True(Gdb.ReplayCounts(o).SequenceEqual([AtExit, QemuReverseLanding - 1, QemuReverseLanding]), "the stops' instruction counts" + Context());
        Assert.True(Instructions(o).SequenceEqual(["main+224: str x1, [x4, x2, lsl #3]", "main+228: add x2, x2, #0x1"]), "the stops' pcs" + Context());
        Assert.Matches($@"\$\d+ = {BeforeLast}\n", o);
    }
}
