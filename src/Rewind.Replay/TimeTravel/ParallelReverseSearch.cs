using Rewind.Core.Execution;
using Rewind.Replay.Recording;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// The reverse search over a long stretch on several host cores. The stretch is cut at snapshots into
/// segments; workers, each on its own <see cref="MachineClone"/>, take segments newest first and replay
/// them, noting the last accepted stop in each. A hit in a segment makes every older segment moot
/// (workers abandon them), and the answer is the hit of the newest segment that has one, once every
/// newer segment is known to have none: exactly what the serial search, newest window first, finds.
/// The store is only read while workers run: the caller's machine waits, so nothing thins it. The
/// clones capture snapshots where <see cref="SnapshotSpacing"/> wants them and the store has none;
/// <see cref="TakeCaptured"/> hands them back once the search is over.
/// </summary>
internal sealed class ParallelReverseSearch(Func<ReplayInput, Machine> build, ReplayInput recording)
{
    // Replayed between looks at cancellation and progress; does not affect what the clone does.
    private const ulong Chunk = 4 * Machine.MaxSlice;
    // Replaced, never changed in place: Cancel reads it from another thread.
    private volatile MachineClone[] _clones = [];
    private volatile bool _cancel;

    /// <summary>Clones built so far (kept for the next search: each costs about the guest's RAM in use).</summary>
    public int CloneCount => _clones.Length;

    /// <summary>Builds clones until there are <paramref name="count"/> (throws what building one throws).</summary>
    public void EnsureClones(int count)
    {
        while (_clones.Length < count) _clones = [.. _clones, new MachineClone(build, recording)];
    }

    /// <summary>Thread-safe: the running search gives up soon and reports an interruption.</summary>
    public void Cancel()
    {
        _cancel = true;
        foreach (var c in _clones) c.Machine.RequestInterrupt();
    }

    /// <summary>
    /// Searches [<paramref name="floor"/>, <paramref name="end"/>) of <paramref name="original"/>'s
    /// history with <paramref name="workers"/> clones, segments of about <paramref name="segmentLength"/>
    /// instructions. <paramref name="report"/> hears the instructions replayed so far, on this thread.
    /// </summary>
    public (MachineStop? Hit, bool Interrupted) Run(Machine original, SnapshotStore store, SnapshotSpacing spacing, ulong floor, ulong end,
        int workers, ulong segmentLength, Func<MachineStop, bool> accept, Func<bool> interrupted, Action<ulong> report)
    {
        _cancel = false;
        var segments = Segments(store, floor, end, segmentLength);
        workers = Math.Max(1, Math.Min(workers, segments.Count));
        EnsureClones(workers);
        var clones = _clones;
        // Captures a failed search left behind may chain from snapshots thinned since: never adopted.
        foreach (var c in clones) c.TakeCaptured();
        for (int w = 0; w < workers; w++) clones[w].CopyDebugPoints(original);

        var hits = new MachineStop?[segments.Count];
        var working = new int[workers];
        var done = new long[workers];
        int next = -1, best = int.MaxValue;
        Exception? failure = null;

        void Work(int w)
        {
            var clone = clones[w];
            try
            {
                while (true)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= segments.Count || i > Volatile.Read(ref best) || _cancel) return;
                    Volatile.Write(ref working[w], i);
                    var (start, stop) = segments[i];
                    var found = SearchSegment(clone, store, spacing, start, stop, accept, () => _cancel || i > Volatile.Read(ref best), ref done[w]);
                    if (found.Abandoned) return;
                    if (found.Hit is not MachineStop hit) continue;
                    hits[i] = hit;
                    int seen = Volatile.Read(ref best);
                    while (i < seen)
                    {
                        int was = Interlocked.CompareExchange(ref best, i, seen);
                        if (was == seen) break;
                        seen = was;
                    }
                    // Workers on older segments stop now rather than at their next chunk.
                    for (int o = 0; o < working.Length; o++)
                        if (o != w && Volatile.Read(ref working[o]) > i) clones[o].Machine.RequestInterrupt();
                    return;
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                _cancel = true;
            }
        }

        var tasks = new Task[workers];
        for (int w = 0; w < workers; w++)
        {
            int mine = w;
            tasks[w] = Task.Factory.StartNew(() => Work(mine), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        bool wasInterrupted = false;
        while (!Task.WaitAll(tasks, TimeSpan.FromMilliseconds(50)))
        {
            if (!wasInterrupted && interrupted())
            {
                wasInterrupted = true;
                Cancel();
            }
            ulong sum = 0;
            foreach (ref long d in done.AsSpan()) sum += (ulong)Volatile.Read(ref d);
            report(sum);
        }
        if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        if (wasInterrupted || interrupted()) return (null, true);
        int winner = Volatile.Read(ref best);
        return (winner == int.MaxValue ? null : hits[winner], false);
    }

    /// <summary>The snapshots the clones captured since the last call: chains for <see cref="SnapshotStore.Adopt"/>.</summary>
    public List<List<Snapshot>> TakeCaptured() => [.. _clones.SelectMany(c => c.TakeCaptured())];

    /// <summary>[start, end) pieces, newest first, each starting at a snapshot (or the floor).</summary>
    internal static List<(ulong Start, ulong End)> Segments(SnapshotStore store, ulong floor, ulong end, ulong length)
    {
        var list = new List<(ulong, ulong)>();
        ulong segEnd = end;
        while (segEnd > floor)
        {
            ulong want = segEnd - Math.Min(segEnd - floor, Math.Max(1, length));
            var s = store.AtOrBefore(want);
            ulong start = s != null && s.Icount > floor ? s.Icount : floor;
            list.Add((start, segEnd));
            segEnd = start;
        }
        return list;
    }

    /// <summary>
    /// One segment on a clone: restored, replayed silently to <paramref name="start"/>, then to
    /// <paramref name="end"/> noting the last stop <paramref name="accept"/> takes. The same steps, stop
    /// for stop, as a window of <see cref="TimeTravelEngine"/>'s serial search. On the way the clone
    /// captures a snapshot at every count <paramref name="spacing"/> wants that the store lacks; the
    /// extra slicing this needs does not change what the guest does.
    /// </summary>
    private static (MachineStop? Hit, bool Abandoned) SearchSegment(MachineClone clone, SnapshotStore store, SnapshotSpacing spacing,
        ulong start, ulong end, Func<MachineStop, bool> accept, Func<bool> abandon, ref long done)
    {
        var m = clone.Machine;
        clone.Restore(store, store.AtOrBefore(start) ?? store.All[0]);
        // A device's write into a watched range stops the clone inside its count: no capture there.
        bool midCount = false;
        void Note(MachineStop s, ulong from)
        {
            if (s.Kind == StopKind.Watchpoint && s.Watch is { ByDevice: true }) midCount = true;
            else if (m.Icount != from) midCount = false;
            if (s.Kind == StopKind.Reached && !midCount && spacing.Wants(m.Icount) && !store.Has(m.Icount)) clone.Capture();
        }
        bool stepOver = true;
        while (m.Icount < start)
        {
            ulong at = m.Icount;
            var s = m.Run(Math.Min(start, spacing.NextPoint(at)), stepOver);
            Note(s, at);
            stepOver = false;
            if (s.Kind == StopKind.Breakpoint) stepOver = true;
            else if (s.Kind == StopKind.Interrupted && abandon()) return (null, true);
            else if (s.Kind is not (StopKind.Reached or StopKind.Watchpoint or StopKind.Interrupted)) break;
        }
        ulong from = m.Icount;
        long before = Volatile.Read(ref done);
        MachineStop? last = null;
        stepOver = false; // a stop at the segment's first count belongs to it (only the present is passed over)
        while (m.Icount < end)
        {
            if (abandon()) return (null, true);
            ulong at = m.Icount;
            var s = m.Run(Math.Min(Math.Min(end, at + Chunk), spacing.NextPoint(at)), stepOver);
            Note(s, at);
            Volatile.Write(ref done, before + (long)(m.Icount - from));
            // As the serial search: after a breakpoint or watchpoint stop the next run steps over it.
            stepOver = s.Kind is StopKind.Breakpoint or StopKind.Watchpoint;
            if (s.Kind is StopKind.Breakpoint or StopKind.Watchpoint)
            {
                if (m.Icount < end && accept(s)) last = s;
            }
            else if (s.Kind == StopKind.Interrupted)
            {
                if (abandon()) return (null, true);
            }
            else if (s.Kind != StopKind.Reached) break;
        }
        return (last, false);
    }
}
