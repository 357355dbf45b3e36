using Rewind.Core.Cpu;

namespace Rewind.Core.Execution;

/// <summary>Why a run of the machine ended: one vocabulary from the run loop through time travel to a GDB stop reply.</summary>
public enum StopKind
{
    /// <summary>The requested instruction count was reached (a limit, a step, a seek, a replay breakpoint).</summary>
    Reached,
    Breakpoint,
    /// <summary>A breakpoint that the debugger inserted only as a hardware one (GDB's hwbreak).</summary>
    HardwareBreakpoint,
    Watchpoint,
    /// <summary>The host asked the run to stop (Ctrl-C in GDB, a monitor 'stop').</summary>
    Interrupted,
    /// <summary>The guest powered off or asked to exit with a status.</summary>
    Exited,
    /// <summary>The guest asked for a reset and -no-reboot is in force.</summary>
    ResetRequested,
    /// <summary>Ran backwards into the start of the recorded history.</summary>
    HistoryBegin,
    /// <summary>Replay reached the end of the recorded history.</summary>
    HistoryEnd,
    /// <summary>Every CPU waits for an interrupt that nothing can deliver any more (replay ran out of input).</summary>
    Starved,
}

/// <summary>
/// A stop: <paramref name="Cpu"/> is the CPU that hit a breakpoint or watchpoint or took the step,
/// <paramref name="Watch"/> the access a watchpoint caught, <paramref name="Icount"/> where it happened.
/// </summary>
public readonly record struct MachineStop(StopKind Kind, int Cpu = 0, int ExitCode = 0, WatchHit? Watch = null, ulong Icount = 0);
