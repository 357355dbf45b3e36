using System.Diagnostics;
using Rewind.Board;
using Rewind.Riscv;
using Rewind.Riscv.Decode;

namespace Rewind.Cli.Host;

/// <summary>
/// With <c>REWIND_STATS=1</c>, prints to stderr where a run's steps and host time went when it ends:
/// steps interpreted and compiled, blocks compiled and what cut them short, the time the runtime took
/// to compile them, fetch-page changes, traps, idle steps and the time spent waiting while idle. Host
/// figures only, for finding where time goes; nothing here reaches the guest.
/// </summary>
public static class RunStats
{
    public const string EnvironmentVariable = "REWIND_STATS";

    /// <summary>
    /// The interpreted steps, which no counter holds: the count less the compiled, idle and trap steps.
    /// The counters add up host work, the count goes back when time travel restores a snapshot, so
    /// after a reverse step or seek the difference means nothing (it would wrap around): then say so.
    /// </summary>
    public static string Interpreted(ulong icount, ulong compiled, ulong idle, ulong traps)
    {
        ulong accounted = compiled + idle + traps;
        if (accounted > icount) return "interpreted unknown (the count went back in time)";
        ulong interpreted = icount - accounted;
        return $"interpreted ~{interpreted:N0} ({100.0 * interpreted / Math.Max(1, interpreted + compiled):F1} % of executed)";
    }

    public static bool Asked => Environment.GetEnvironmentVariable(EnvironmentVariable) is "1";

    public static void Print(IBoard board, TextWriter to)
    {
        var machine = board.Machine;
        double ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var process = Process.GetCurrentProcess();
        to.WriteLine($"rewind stats: icount {machine.Icount:N0}, {Uptime():N0} ms since the process started, " +
            $"{process.TotalProcessorTime.TotalMilliseconds:N0} ms of CPU (user {process.UserProcessorTime.TotalMilliseconds:N0})");
        if (machine.FirstRunAt is DateTime first)
            to.WriteLine($"  first guest instruction {(first - Process.GetCurrentProcess().StartTime).TotalMilliseconds:N0} ms after the process started");
        to.WriteLine($"  idle waits {machine.IdleWaits:N0}, {ms(machine.IdleWaitTicks):N0} ms waiting for the wall clock");
        foreach (var cpu in machine.Cpus)
        {
            if (cpu is Rewind.Arm64.Arm64Cpu arm)
            {
                to.WriteLine($"  cpu {arm.Index}: {arm.RegionSteps:N0} steps in {arm.RegionRuns:N0} calls into compiled regions (native bodies chained between calls) " +
                    $"({100.0 * arm.RegionSteps / Math.Max(1UL, arm.Icount):F1} % of the count), {arm.RegionDeclines:N0} runs declined; " +
                    $"{arm.RegionsCompiled:N0} IL regions compiled on its own thread; {ms(arm.CompileTicks):N0} ms translating and compiling on it; spins skipped {arm.SpinSkipped:N0} in {arm.SpinsSkipped:N0}");
                continue;
            }
            if (cpu is not Hart hart) continue;
            var c = hart.Counters;
            to.WriteLine($"  hart {hart.HartId}: compiled {c.CompiledSteps:N0} steps in {c.BlockRuns:N0} block runs, " +
                $"{Interpreted(hart.Icount, c.CompiledSteps, c.IdleSkipped + hart.SpinSkipped, c.Traps)}, idle {c.IdleSkipped:N0}, spins skipped {hart.SpinSkipped:N0} in {hart.SpinsSkipped:N0}, traps {c.Traps:N0}, slices {c.Slices:N0}, fetch refills {c.FetchRefills:N0}, " +
                $"TLB walks {c.Walks:N0}, TLB flushes {c.TlbFlushes:N0}");
            to.WriteLine($"    first runs of compiled bodies (runtime JIT): {ms(c.FirstRunTicks):N0} ms, {c.FirstRunCpuNanoseconds / 1e6:N0} ms of CPU " +
                $"({c.FirstRunCpuNanoseconds / 1e3 / Math.Max(1UL, c.FirstRuns):N0} µs each, {c.FirstRuns:N0} bodies)");
            to.WriteLine($"    rare ops interpreted: {Top(c.RareOps)}");
            to.WriteLine($"    rare ops run from compiled code: {Top(c.CompiledRareOps)}");
            to.WriteLine($"    blocks cut by: {Top(c.BlockStops)}");
            to.WriteLine($"    compiled runs ended: {string.Join(", ", c.BlockExits.Select((n, r) => $"{(JitExitReason)r} {n:N0}"))}");
            to.WriteLine($"    ended before: {Top(c.ExitsBefore)}");
        }
        if (board is Rewind.Board.Arm.ArmVirtBoard { CodeCache.Blocks: { } regions })
        {
            long il = regions.Compiled - regions.NativeCompiled;
            to.WriteLine($"  regions: placed {regions.Compiled:N0} ({regions.NativeCompiled:N0} native, {il:N0} IL), IL compiling thread {ms(regions.BackgroundTicks):N0} ms ({ms(regions.BackgroundTicks) * 1000 / Math.Max(1, il):N0} µs each), pending {regions.Pending}, refused {regions.Failures}");
        }
        if (board is VirtBoard { CodeCache.Blocks: { } blocks })
            to.WriteLine($"  blocks: compiled {blocks.Compiled:N0} (IL emit {ms(blocks.EmitTicks):N0} ms, {blocks.EmitCpuNanoseconds / 1e6:N0} ms of CPU; on the compiling thread {ms(blocks.BackgroundTicks):N0} ms, {blocks.BackgroundCpuNanoseconds / 1e6:N0} ms of CPU; pending {blocks.Pending}), placements {blocks.Placements:N0}, " +
                $"placed {blocks.Placed:N0}, invalidated {blocks.Invalidated:N0}, start-overs {blocks.StartOvers}");
        if (board is VirtBoard { CodeCache.Blocks: { Native: true } native })
            to.WriteLine($"  native: {native.NativeCompiled:N0} regions, {native.NativeBytes / 1024:N0} KiB, translated in {ms(native.NativeTicks):N0} ms " +
                $"({ms(native.NativeTicks) * 1000 / Math.Max(1, native.NativeCompiled):N1} µs each), start-overs {native.NativeStartOvers}");
    }

    private static double Uptime() => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;

    private static string Top(ulong[] counts) =>
        string.Join(", ", counts.Select((n, op) => (n, op)).Where(p => p.n > 0).OrderByDescending(p => p.n).Take(12)
            .Select(p => $"{(Op)p.op} {p.n:N0}"));
}
