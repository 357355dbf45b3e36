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
    /// <summary>Page-table walks for loads, stores and fetches that missed the TLB, and flushes of the whole TLB.</summary>
    public ulong Walks, TlbFlushes;
    /// <summary>Traps taken (exceptions and interrupts).</summary>
    public ulong Traps;
    /// <summary>Steps skipped while in WFI with nothing to do.</summary>
    public ulong IdleSkipped;
    /// <summary>Host ticks (<see cref="System.Diagnostics.Stopwatch"/>) spent in the first run of each compiled body: the runtime's JIT compiling it.</summary>
    public long FirstRunTicks;
    /// <summary>CPU time of the hart's thread (nanoseconds) in those first runs: their cost whatever else the machine does.</summary>
    public long FirstRunCpuNanoseconds;
    /// <summary>First runs of compiled bodies on the hart's thread (bodies compiled in the background arrive compiled).</summary>
    public ulong FirstRuns;
    /// <summary>Instructions interpreted through the rare-instruction path, by operation (CSR, atomics, FP, system).</summary>
    public readonly ulong[] RareOps = new ulong[OpCount];
    /// <summary>Instructions compiled code handed to the interpreter's code one at a time (<see cref="Jit.BlockCompiler.RunsThroughInterpreter"/>), by operation.</summary>
    public readonly ulong[] CompiledRareOps = new ulong[OpCount];
    /// <summary>Blocks cut short at compile time by an operation the compiler does not translate, by operation.</summary>
    public readonly ulong[] BlockStops = new ulong[OpCount];

    /// <summary>Why runs of compiled code went back to the interpreter, by <see cref="JitExitReason"/>.</summary>
    public readonly ulong[] BlockExits = new ulong[(int)JitExitReason.Count];
    /// <summary>Runs of compiled code that ended because the next instruction is one the compiler leaves to the interpreter, by its operation.</summary>
    public readonly ulong[] ExitsBefore = new ulong[OpCount];

    private static readonly int OpCount = (int)Enum.GetValues<Op>().Max() + 1;
}

/// <summary>Why a run of compiled code (<see cref="HartCounters.BlockExits"/>) went back to the interpreter.</summary>
public enum JitExitReason
{
    /// <summary>An instruction trapped; the pc is the handler's.</summary>
    Trapped,
    /// <summary>An instruction completed but asked to stop after it (a device ended the slice, code was overwritten, a CSR write).</summary>
    StopAfter,
    /// <summary>The next pc is on another fetch page (counted also when a block there follows at once).</summary>
    OtherPage,
    /// <summary>The next instruction is one the compiler leaves to the interpreter.</summary>
    Unsupported,
    /// <summary>No compiled block starts at the next pc (yet).</summary>
    NotCompiled,
    /// <summary>The next block does not fit in what is left of the slice.</summary>
    SliceEnd,
    /// <summary>Native code stopped before an access it could not make itself (TLB miss, device, clean or watched page).</summary>
    NativeMiss,
    /// <summary>The number of reasons.</summary>
    Count,
}
