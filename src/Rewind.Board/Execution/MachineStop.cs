using Rewind.Riscv;

namespace Rewind.Board.Execution;

public enum MachineStopKind
{
    /// <summary>The requested instruction count was reached.</summary>
    Limit,
    Breakpoint,
    Watchpoint,
    /// <summary>The host asked the run to stop (Ctrl-C in GDB, a monitor 'stop').</summary>
    Interrupted,
    /// <summary>The guest powered off or asked to exit with a status.</summary>
    Exited,
    /// <summary>The guest asked for a reset and -no-reboot is in force.</summary>
    ResetRequested,
    /// <summary>Replay reached the end of the recorded history.</summary>
    HistoryEnd,
    /// <summary>Every hart waits for an interrupt that nothing can deliver any more (replay ran out of input).</summary>
    Starved,
}

public readonly record struct MachineStop(MachineStopKind Kind, int Hart = 0, int ExitCode = 0, WatchHit? Watch = null);
