using Rewind.Core.Execution;
using Rewind.Replay.Recording;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// A second machine built like the replaying one, for a parallel reverse search: it has its own RAM,
/// harts and devices, its own feed over the shared recording (<see cref="ReplayInput.Fork"/>), and is
/// put into any state the <see cref="SnapshotStore"/> holds. It never shows output and never changes
/// the store; only the thread that holds it runs it.
/// </summary>
internal sealed class MachineClone
{
    private readonly ReplayInput _input;
    private Snapshot? _synced;

    public MachineClone(Func<ReplayInput, Machine> build, ReplayInput recording)
    {
        _input = recording.Fork();
        Machine = build(_input);
        if (Machine.Input != _input) throw new InvalidOperationException("a clone's machine must replay through the input it was given");
    }

    public Machine Machine { get; }

    /// <summary>To <paramref name="snapshot"/>'s state, the feed positioned there.</summary>
    public void Restore(SnapshotStore store, Snapshot snapshot)
    {
        store.RestoreInto(Machine, snapshot, _synced);
        _synced = snapshot;
        _input.Seek(snapshot.Icount);
    }

    /// <summary>
    /// The same breakpoints and watchpoints as <paramref name="original"/>'s CPUs, and no others; and the
    /// same watched RAM, so that a device's write (DMA) stops a clone as it stops the original.
    /// </summary>
    public void CopyDebugPoints(Machine original)
    {
        for (int i = 0; i < Machine.Cpus.Length; i++)
        {
            var mine = Machine.Cpus[i];
            var theirs = original.Cpus[i];
            foreach (ulong b in mine.Breakpoints.ToArray())
                if (!theirs.Breakpoints.Contains(b)) mine.RemoveBreakpoint(b);
            foreach (ulong b in theirs.Breakpoints) mine.AddBreakpoint(b);
            foreach (var w in mine.Watchpoints.ToArray()) mine.RemoveWatchpoint(w);
            foreach (var w in theirs.Watchpoints) mine.AddWatchpoint(w);
        }
        Machine.Bus.Ram.DeviceWrites.CopyFrom(original.Bus.Ram.DeviceWrites);
    }
}
