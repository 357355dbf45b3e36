using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Several AArch64 CPUs on the virt board (-smp N): guests/aarch64/smp.elf starts them with PSCI CPU_ON,
/// wakes them with an SGI and has them all update shared counters with exclusives; live, recorded and
/// replayed, and under gdb-multiarch, where each CPU is a thread, forwards and backwards. With
/// `-M virt,gic-version=3` it starts CPUs by QEMU's cluster affinities (CPU 16 is MPIDR 0x100), checks
/// each GICR_TYPER and wakes them with one ICC_SGI1R_EL1 write per Aff1 cluster.
/// </summary>
public class Aarch64SmpTests
{
    private static readonly string Smp = RepoPaths.Aarch64Guest("smp");
    private const string Expected = "smp: 2 cpus\nsmp: woke 1\nsmp: exclusive 40000 locked 40000 expected 40000\nPASS smp\n";

    private static string[] Machine(string smp, params string[] extra) => MachineOn("virt", smp, extra);

    /// <summary>The same on a board option string, e.g. "virt,gic-version=3".</summary>
    private static string[] MachineOn(string board, string smp, params string[] extra) =>
        ["-arch", "aarch64", "-monitor", "none", "-display", "none", "-M", board, "-cpu", "max", "-smp", smp,
         "-semihosting-config", "enable=on", "-kernel", Smp, .. extra];

    private static string ExpectedFor(int cpus)
    {
        long total = 20000L * cpus;
        return $"smp: {cpus} cpus\nsmp: woke {cpus - 1}\nsmp: exclusive {total} locked {total} expected {total}\nPASS smp\n";
    }

    private static string Record(TempDir dir)
    {
        string rr = dir.File("smp.rr");
        var rec = RewindProcess.Run(Machine("2", "-icount", $"shift=3,rr=record,rrfile={rr}"), null, TimeSpan.FromSeconds(120));
        Assert.True(rec.ExitCode == 0 && rec.Stdout == Expected, rec.ToString());
        return rr;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Every_cpu_starts_wakes_and_loses_no_exclusive_update(int cpus)
    {
        var r = RewindProcess.Run(Machine(cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)), null, TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(ExpectedFor(cpus), r.Stdout);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(20)]
    public void With_gicv3_every_cpu_past_the_first_cluster_starts_and_wakes(int cpus)
    {
        var r = RewindProcess.Run(MachineOn("virt,gic-version=3", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)), null, TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(ExpectedFor(cpus), r.Stdout);
    }

    [Fact]
    public void A_twenty_cpu_gicv3_recording_replays_identically()
    {
        using var dir = new TempDir();
        string rr = dir.File("smp20.rr");
        string[] Rr(string mode) => MachineOn("virt,gic-version=3", "20", "-icount", $"shift=3,rr={mode},rrfile={rr}");
        var rec = RewindProcess.Run(Rr("record"), null, TimeSpan.FromSeconds(120));
        Assert.True(rec.ExitCode == 0 && rec.Stdout == ExpectedFor(20), rec.ToString());
        var rep = RewindProcess.Run(Rr("replay"), null, TimeSpan.FromSeconds(120));
        Assert.True(rep.ExitCode == 0 && rep.Stdout == ExpectedFor(20), rep.ToString());
        Assert.Matches(@"ended cleanly \(poweroff\) at icount", RewindProcess.Run("info", rr).Stdout);
    }

    [Fact]
    public void A_two_cpu_recording_replays_identically()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        Assert.Matches(@"smp +2\n", RewindProcess.Run("info", rr).Stdout);
        var rep = RewindProcess.Run(Machine("2", "-icount", $"shift=3,rr=replay,rrfile={rr}"), null, TimeSpan.FromSeconds(120));
        Assert.True(rep.ExitCode == 0 && rep.Stdout == Expected, rep.ToString());
    }

    [Fact]
    public void Cpus_are_threads_an_off_cpu_is_halted_and_both_hit_a_breakpoint()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(Machine("2", "-gdb", $"tcp::{port}", "-S"));
        run.WaitListening(port);
        string o = Gdb.Run(Smp, port,
        [
            "info threads",
            "break work",
            "continue",
            "continue",
            "info threads",
            "thread 1", "p/x $sp",
            "thread 2", "p/x $sp",
            "delete",
            "continue",
        ]);
        string Context() => "\n--- gdb ---\n" + o;
        Assert.True(Regex.IsMatch(o, @"\* 1 +Thread 1 \(CPU#0 \[running\]\) +_start \(\).*\n +2 +Thread 2 \(CPU#1 \[halted\]\) +0x0+ in \?\? \(\)\n"),
            "CPU 1 is not a halted thread before CPU_ON" + Context());
        Assert.True(Regex.IsMatch(o, @"Thread 1 hit Breakpoint 1, work \(\) at \./smp\.c:\d+"), Context());
        Assert.True(Regex.IsMatch(o, @"\[Switching to Thread 2\]\s+Thread 2 hit Breakpoint 1, work \(\)"), Context());
        Assert.True(Regex.IsMatch(o, @"\n\* 2 +Thread 2 \(CPU#1 \[running\]\) +work \(\)"), Context());
        // Each CPU has its own registers: CPU 0 runs on the boot stack, CPU 1 on its own page.
        var sps = Gdb.HexValues(o);
        Assert.True(sps.Count == 2 && sps[0] != sps[1], "the threads' stack pointers are not their own" + Context());
        Assert.Contains("[Inferior 1 (Remote target) exited normally]", o);
        Assert.Equal(Expected, run.WaitForExit(TimeSpan.FromSeconds(60)).Stdout);
    }

    [Fact]
    public void Reverse_stepi_on_cpu_1_retraces_its_steps_and_reverse_continue_finds_cpu_0s_breakpoint()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        string o = Gdb.RunAgainstReplay(Machine("2", "-icount", $"shift=3,rr=replay,rrfile={rr}"), Smp,
        [
            "break work",
            "continue",                 // CPU 0 reaches work first: it released the others
            "continue",                 // then CPU 1
            "p/x $pc", "stepi", "p/x $pc", "stepi", "p/x $pc",
            "reverse-stepi", "p/x $pc", "reverse-stepi", "p/x $pc",
            "thread 1",
            "reverse-continue",
            "info threads",
            "p/x $pc",
        ], out var rewind);
        string Context() => "\n--- gdb, then rewind ---\n" + o;
        Assert.True(Regex.IsMatch(o, @"\[Switching to Thread 2\]\s+Thread 2 hit Breakpoint 1"), "CPU 1 never hit the breakpoint" + Context());
        var pcs = Gdb.HexValues(o);
        Assert.True(pcs.Count == 6, "expected 6 pc values" + Context());
        Assert.True(pcs[1] == pcs[0] + 4 && pcs[2] == pcs[1] + 4, "stepi on thread 2 did not move its pc" + Context());
        Assert.True(pcs[3] == pcs[1] && pcs[4] == pcs[0], $"reverse-stepi on thread 2 went to 0x{pcs[3]:x}, 0x{pcs[4]:x}" + Context());
        Assert.True(Regex.Count(o, @"Thread 1 hit Breakpoint 1") == 2, "reverse-continue did not stop at CPU 0's breakpoint" + Context());
        Assert.True(Regex.IsMatch(o, @"\n\* 1 +Thread 1 "), "reverse-continue did not stop in thread 1" + Context());
        Assert.Equal(pcs[0], pcs[5]);
        Assert.StartsWith("smp: 2 cpus\n", rewind.Stdout);
    }
}
