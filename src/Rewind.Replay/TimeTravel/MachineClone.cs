using Rewind.Core.Execution;
using Rewind.Replay.Recording;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// A second machine built like the replaying one, for a parallel reverse search: it has its own RAM,
/// harts and devices, its own feed over the shared recording (<see cref="ReplayInput.Fork"/>), and is
/// put into any state the <see cref="SnapshotStore"/> holds. It never shows output and never changes
/// the store while it runs: the snapshots it captures on the way wait in <see cref="Captured"/> until
/// the search is over and the engine adopts them. Only the thread that holds it runs it.
/// </summary>
internal sealed class MachineClone
{
    private readonly ReplayInput _input;
    private Snapshot? _synced;
    // Pages written since _synced whose dirty flags a capture cleared: restoring must rewrite them too.
    private readonly HashSet<int> _touched = [];
    private readonly List<List<Snapshot>> _captured = [];

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
        store.RestoreInto(Machine, snapshot, _synced, _touched);
        _synced = snapshot;
        _touched.Clear();
        _input.Seek(snapshot.Icount);
        // The next captures chain from this snapshot.
        _captured.Add([]);
    }

    /// <summary>
    /// Captures the clone as it is now (stopped at a count, not inside one): the pages changed since its
    /// last capture or restore, so each chain of captures links to the store snapshot it started from.
    /// </summary>
    public void Capture()
    {
        // A chain must start at a store snapshot: one the clone was restored to since the last hand-back.
        if (_captured.Count == 0) throw new InvalidOperationException("a clone captures only after a restore");
        var ram = Machine.Bus.Ram;
        var snap = SnapshotStore.Capture(Machine);
        foreach (int p in snap.Pages.Keys) _touched.Add(p);
        ram.ClearDirty();
        _captured[^1].Add(snap);
    }

    /// <summary>The captures since the last call, one chain per restore, oldest first within each; then forgotten here.</summary>
    public List<List<Snapshot>> TakeCaptured()
    {
        var all = _captured.Where(c => c.Count > 0).ToList();
        _captured.Clear();
        return all;
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
