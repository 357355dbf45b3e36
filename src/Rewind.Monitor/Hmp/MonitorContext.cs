using Rewind.Core.Execution;
using Rewind.Replay.TimeTravel;
using Rewind.Session;

namespace Rewind.Monitor.Hmp;

/// <summary>What monitor commands act on: the machine, and the time-travel engine when replaying.</summary>
public sealed class MonitorContext(Machine machine, TimeTravelEngine? engine, RunMode mode, string? recordFile, IVmControl? vm = null)
{
    public Machine Machine { get; } = machine;
    public TimeTravelEngine? Engine { get; } = engine;
    public RunMode Mode { get; } = mode;
    public string? RecordFile { get; } = recordFile;
    /// <summary>Run control for stop/cont/quit; null where nothing can start or stop the machine.</summary>
    public IVmControl? Vm { get; } = vm;

    /// <summary>Runs <paramref name="work"/> with the machine stopped (directly when there is no run control).</summary>
    public T Stopped<T>(Func<T> work, bool stayStopped = false) =>
        Vm != null ? Vm.WithMachineStopped(work, stayStopped) : work();
}
