using Rewind.Board;
using Rewind.Replay.TimeTravel;

namespace Rewind.Monitor.Hmp;

/// <summary>What monitor commands act on: the board, and the time-travel engine when replaying.</summary>
public sealed class MonitorContext(VirtBoard board, TimeTravelEngine? engine, string mode, string? recordFile, IVmControl? vm = null)
{
    public VirtBoard Board { get; } = board;
    public TimeTravelEngine? Engine { get; } = engine;
    /// <summary>"none", "record" or "play", as QEMU's query-replay names them.</summary>
    public string Mode { get; } = mode;
    public string? RecordFile { get; } = recordFile;
    /// <summary>Run control for stop/cont/quit; null where nothing can start or stop the machine.</summary>
    public IVmControl? Vm { get; } = vm;

    /// <summary>Runs <paramref name="work"/> with the machine stopped (directly when there is no run control).</summary>
    public T Stopped<T>(Func<T> work, bool stayStopped = false) =>
        Vm != null ? Vm.WithMachineStopped(work, stayStopped) : work();
}
