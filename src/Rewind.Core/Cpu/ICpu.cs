using Rewind.Core.State;

namespace Rewind.Core.Cpu;

/// <summary>
/// What the machine, the time-travel engine and the front ends need of a CPU, whatever its
/// architecture. The machine runs CPUs only through this contract, so a new architecture plugs in
/// beside the RISC-V hart without touching Replay, Gdb, Monitor or Session. Its guest-visible state is
/// saved through <see cref="IStateful"/>.
/// </summary>
public interface ICpu : IStateful
{
    /// <summary>The CPU's index in the machine (a RISC-V hart id, an Arm MPIDR affinity).</summary>
    int Index { get; }

    ulong Pc { get; }

    /// <summary>Steps this CPU has taken: the machine's instruction count while it runs.</summary>
    ulong Icount { get; set; }

    /// <summary>
    /// Runs until <see cref="Icount"/> reaches <paramref name="limit"/> or something needs the run loop.
    /// With <paramref name="stepOverBreakpoint"/>, a breakpoint at the current pc does not stop the first instruction.
    /// </summary>
    CpuStop Run(ulong limit, bool stepOverBreakpoint = false);

    /// <summary>Thread-safe: ends the current <see cref="Run"/> after the instruction in progress.</summary>
    void RequestYield();

    /// <summary>
    /// Set by the machine when every input to come is known (a replay): the CPU may then move the count
    /// over whole iterations of a loop that only waits for one, provided the state at every count it can
    /// stop at is the one running them would give. A CPU that cannot prove that ignores it.
    /// </summary>
    bool SkipSpins { get; set; }

    /// <summary>Waiting for an interrupt with nothing pending that would wake it.</summary>
    bool IsIdle { get; }

    /// <summary>Waiting for an interrupt (QEMU's "halted"), whether or not one is about to wake it.</summary>
    bool IsWaiting { get; }

    /// <summary>Moves a waiting CPU's count forward without executing.</summary>
    void SkipIdle(ulong toIcount);

    /// <summary>
    /// Its turn ended and others will run: drop what must not outlive the turn (an LR or exclusive-monitor
    /// reservation), so the state at a turn boundary does not depend on which CPU ran last.
    /// </summary>
    void EndTurn();

    /// <summary>The access that ended the last run with <see cref="CpuStop.Watchpoint"/>.</summary>
    WatchHit? LastWatchHit { get; }

    bool AddBreakpoint(ulong address);
    bool RemoveBreakpoint(ulong address);
    void AddWatchpoint(Watchpoint watchpoint);
    bool RemoveWatchpoint(Watchpoint watchpoint);

    /// <summary>The breakpoints set (a parallel search copies them into its clones of the machine).</summary>
    IReadOnlyCollection<ulong> Breakpoints { get; }
    /// <summary>The watchpoints set.</summary>
    IReadOnlyList<Watchpoint> Watchpoints { get; }

    /// <summary>Reads memory as this CPU translates virtual addresses, with no side effects; returns the bytes read.</summary>
    int DebugRead(ulong address, Span<byte> destination);

    /// <summary>Writes memory as this CPU translates virtual addresses (a debugger's write); returns the bytes written.</summary>
    int DebugWrite(ulong address, ReadOnlySpan<byte> source);

    /// <summary>The physical address of <paramref name="address"/> as this CPU translates it now, with no side effects.</summary>
    bool TryTranslate(ulong address, out ulong physical);

    IRegisterFile Registers { get; }
}
