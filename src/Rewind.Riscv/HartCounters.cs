using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// How a hart spent its steps, for the host's eyes only (<c>REWIND_STATS=1</c> prints them when a run
/// ends): never read by the guest, never saved or restored, so they may differ between runs that are
/// otherwise the same. Each counter is bumped on a path that is already slow or once per compiled block.
/// </summary>
public sealed class HartCounters
{
    /// <summary>Steps taken inside compiled blocks.</summary>
    public ulong CompiledSteps;
    /// <summary>Times compiled code was entered from the interpreter or from the block before it.</summary>
    public ulong BlockRuns;
    /// <summary>Interpreter slices started (each ends at a limit, deadline, turn or a stop).</summary>
    public ulong Slices;
    /// <summary>Times the fetch window moved to another page.</summary>
    public ulong FetchRefills;
    /// <summary>Traps taken (exceptions and interrupts).</summary>
    public ulong Traps;
    /// <summary>Steps skipped while in WFI with nothing to do.</summary>
    public ulong IdleSkipped;
    /// <summary>Host ticks (<see cref="System.Diagnostics.Stopwatch"/>) spent in the first run of each compiled body: the runtime's JIT compiling it.</summary>
    public long FirstRunTicks;
    /// <summary>Instructions interpreted through the rare-instruction path, by operation (CSR, atomics, FP, system).</summary>
    public readonly ulong[] RareOps = new ulong[OpCount];
    /// <summary>Blocks cut short at compile time by an operation the compiler does not translate, by operation.</summary>
    public readonly ulong[] BlockStops = new ulong[OpCount];

    private static readonly int OpCount = (int)Enum.GetValues<Op>().Max() + 1;
}
