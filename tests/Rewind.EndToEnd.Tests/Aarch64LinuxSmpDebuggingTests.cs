using System.Globalization;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux 6.1 for arm64 (`scripts/build-linux.sh --arch aarch64`) booting on 2 CPUs and powering off,
/// all from `-append`, recorded once.
/// </summary>
public sealed class Aarch64LinuxSmpRecording : IDisposable
{
    private readonly TempDir _dir = new();

    public Aarch64LinuxSmpRecording()
    {
        var linux = LinuxWorkload.RequireAarch64();
        Vmlinux = linux.Vmlinux;
        File = _dir.File("linux-smp.rr");
        Args = linux.Aarch64Machine(2, "console=ttyAMA0 earlycon -- poweroff");
        var r = RewindProcess.Run([.. Args, "-icount", $"shift=3,rr=record,rrfile={File}"], null, TimeSpan.FromMinutes(10));
        if (r.ExitCode != 0 || !r.Stdout.Contains("CPU1: Booted secondary processor", StringComparison.Ordinal)
            || !r.Stdout.Contains("reboot: Power down", StringComparison.Ordinal))
            throw new InvalidOperationException($"recording arm64 Linux on 2 CPUs failed: {r}");
        var info = RewindProcess.Run("info", File);
        var m = Regex.Match(info.Stdout, @"ended cleanly \(poweroff\) at icount ([\d,]+)");
        if (!m.Success) throw new InvalidOperationException($"rewind info {File}: {info}");
        End = ulong.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    public string File { get; }
    public string Vmlinux { get; }
    public string[] Args { get; }
    public ulong End { get; }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// gdb-multiarch on the vmlinux of <see cref="Aarch64LinuxSmpRecording"/>'s replay: each CPU is a thread,
/// CPU 1 (the secondary, started by PSCI CPU_ON) hits a breakpoint on secondary_start_kernel, and moving
/// backwards across that hit, by reverse-stepi or reverse-continue, returns to the same pc, registers
/// and instruction count.
/// </summary>
public class Aarch64LinuxSmpDebuggingTests(Aarch64LinuxSmpRecording recording) : IClassFixture<Aarch64LinuxSmpRecording>
{
    private string Replay(IEnumerable<string> commands) =>
        Gdb.RunAgainstReplay([.. recording.Args, "-icount", $"shift=3,rr=replay,rrfile={recording.File}"],
            recording.Vmlinux, commands, out _, TimeSpan.FromMinutes(5));

    /// <summary>The rows of each `info threads` table in the output, in order.</summary>
    private static List<string> ThreadTables(string o) =>
        Regex.Matches(o, @"^ +Id +Target Id +Frame *\n((?:[* ] +\d+ .*\n)+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void Both_cpus_are_threads_and_cpu_1_hits_a_breakpoint_on_secondary_start_kernel()
    {
        string o = Replay(["info threads", "break secondary_start_kernel", "continue", "info threads", "monitor info replay"]);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        var tables = ThreadTables(o);
        Assert.True(tables.Count == 2, "expected two `info threads` tables" + Context());
        // Before CPU_ON, CPU 1 is a halted thread; CPU 0 starts at the kernel image's entry.
        Assert.Matches(@"^\* 1 +Thread 1 \(CPU#0 \[running\]\) +0x[0-9a-f]+ in \?\? \(\)\n +2 +Thread 2 \(CPU#1 \[halted\]\) .*\n$", tables[0]);
        Assert.True(Regex.IsMatch(o, @"\[Switching to Thread 2\]\s+Thread 2 hit Breakpoint 1, 0x[0-9a-f]+ in secondary_start_kernel \(\)"),
            "CPU 1 did not hit the breakpoint" + Context());
        Assert.Matches(@"^ +1 +Thread 1 \(CPU#0 \[running\]\) +0x[0-9a-f]+ in \w+ \(\)\n\* 2 +Thread 2 \(CPU#1 \[running\]\) +0x[0-9a-f]+ in secondary_start_kernel \(\)\n$", tables[1]);
        Assert.True(Regex.IsMatch(o, $@"Replaying execution\nfile: \S+linux-smp\.rr\ncurrent instruction count: \d+\nrecording ends at: {recording.End}\n"),
            "monitor info replay" + Context());
        var at = Gdb.ReplayCounts(o);
        Assert.True(at.Count == 1 && at[0] > 0 && at[0] < recording.End, "the stop's instruction count" + Context());
    }

    [Fact]
    public void Reverse_stepi_and_reverse_continue_across_the_secondarys_breakpoint_return_to_its_pc_registers_and_count()
    {
        string o = Replay(
        [
            "break secondary_start_kernel",
            "continue", "monitor info replay", "p/x $pc", "p/x $sp", "p/x $x30", "info threads",
            // One instruction back on CPU 1: the call into it.
            "reverse-stepi", "monitor info replay", "x/i $pc",
            "stepi", "monitor info replay", "p/x $pc",
            // On to the next hit of another breakpoint, whichever CPU makes it, then back.
            "break cpu_startup_entry",
            "continue", "monitor info replay",
            "reverse-continue", "monitor info replay", "p/x $pc", "p/x $sp", "p/x $x30", "info threads",
        ]);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        Assert.True(Regex.Count(o, @"Thread 2 hit Breakpoint 1, 0x[0-9a-f]+ in secondary_start_kernel \(\)") == 3,
            "CPU 1's breakpoint was not reported three times (continue, stepi onto it, reverse-continue)" + Context());
        Assert.True(Regex.IsMatch(o, @"Thread \d hit Breakpoint 2, 0x[0-9a-f]+ in cpu_startup_entry \(\)"), "no later breakpoint hit" + Context());

        var at = Gdb.ReplayCounts(o);
        Assert.True(at.Count == 5, "expected 5 `monitor info replay` answers" + Context());
        ulong hit = at[0];
        Assert.True(at[1] == hit - 1 && at[2] == hit, $"reverse-stepi then stepi went to {at[1]}, {at[2]} from {hit}" + Context());
        Assert.True(at[3] > hit, $"the later breakpoint at {at[3]} is not after {hit}" + Context());
        Assert.True(at[4] == hit, $"reverse-continue landed at instruction {at[4]}, not {hit}" + Context());
        Assert.Matches(@"=> 0x[0-9a-f]+ <__secondary_switched\+\d+>:\tbl\t0x[0-9a-f]+ <secondary_start_kernel>\n", o);

        // pc, sp and the link register as at the hit, on every way back to it; both CPUs where they were.
        var values = Gdb.HexValues(o);
        Assert.True(values.Count == 7, "expected 7 printed values" + Context());
        Assert.True(values[3] == values[0], "stepi did not come back to secondary_start_kernel" + Context());
        Assert.True(values[4..7].SequenceEqual(values[0..3]), "pc, sp or x30 differ after reverse-continue" + Context());
        var tables = ThreadTables(o);
        Assert.True(tables.Count == 2 && tables[0] == tables[1], "the threads are not where they were at the hit" + Context());
        Assert.Matches(@"\* 2 +Thread 2 \(CPU#1 \[running\]\) +0x[0-9a-f]+ in secondary_start_kernel \(\)\n", tables[1]);
    }
}
