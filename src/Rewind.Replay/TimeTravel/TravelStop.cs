using Rewind.Board.Execution;
using Rewind.Riscv;

namespace Rewind.Replay.TimeTravel;

public enum TravelStopKind
{
    /// <summary>Reached the count asked for (a step, a seek, a replay breakpoint).</summary>
    Reached,
    Breakpoint,
    Watchpoint,
    Interrupted,
    /// <summary>Ran backwards into the start of the recording.</summary>
    HistoryBegin,
    /// <summary>Ran forwards into the end of the recording.</summary>
    HistoryEnd,
    Exited,
}

/// <summary>Where travel stopped; <paramref name="Hart"/> is the hart that hit a breakpoint or watchpoint.</summary>
public readonly record struct TravelStop(TravelStopKind Kind, ulong Icount, WatchHit? Watch = null, int ExitCode = 0, int Hart = 0)
{
    public static TravelStop FromMachine(MachineStop stop, ulong icount) => stop.Kind switch
    {
        MachineStopKind.Breakpoint => new TravelStop(TravelStopKind.Breakpoint, icount, Hart: stop.Hart),
        MachineStopKind.Watchpoint => new TravelStop(TravelStopKind.Watchpoint, icount, stop.Watch, Hart: stop.Hart),
        MachineStopKind.Interrupted => new TravelStop(TravelStopKind.Interrupted, icount),
        MachineStopKind.HistoryEnd or MachineStopKind.Starved => new TravelStop(TravelStopKind.HistoryEnd, icount),
        MachineStopKind.Exited or MachineStopKind.ResetRequested => new TravelStop(TravelStopKind.Exited, icount, ExitCode: stop.ExitCode),
        _ => new TravelStop(TravelStopKind.Reached, icount),
    };
}
