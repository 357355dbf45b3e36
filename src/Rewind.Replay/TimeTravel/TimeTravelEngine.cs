using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Replay.Recording;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// Moves a replaying machine to any instruction count, forwards or backwards. Going back restores the
/// nearest earlier snapshot and replays forward; snapshots are taken on the way where
/// <see cref="Spacing"/> wants them (at most <see cref="Interval"/> apart, closer where replay costs
/// more and snapshots cost little, and near where the user is), so wherever the user is, the next step
/// back is at most one step of replay away. Clones replaying for a parallel search hand back the
/// snapshots they take. Old snapshots are thinned to a logarithmic spacing to stay within the memory budget.
/// </summary>
public sealed class TimeTravelEngine
{
    public const ulong DefaultInterval = 1 << 20;
    public const long DefaultBudgetBytes = 512L << 20;
    private const int MaxSnapshots = 1 << 17;
    /// <summary>How far short of a seek's target its landing snapshot is taken: a sixteenth of the step near the focus.</summary>
    public ulong LandingGap => Math.Max(1, Spacing.FocusStep / 16);

    private readonly Machine _machine;
    private readonly ReplayInput _input;
    // Replay breakpoints may be set from a monitor thread while the machine runs: guarded by the lock.
    private readonly SortedSet<ulong> _replayBreaks = [];
    private readonly object _breaksLock = new();
    private volatile bool _interrupt;
    private readonly ProgressMeter _progress = new();
    private int _searchWorkers = Environment.ProcessorCount;
    private ParallelReverseSearch? _parallel;
    // The machine stopped inside its count: a device wrote into a watched range in the devices' turn,
    // so the state is past that count's inputs and devices, not "at" the count (before them). A seek to
    // the same count must go back, and no snapshot may be taken of it.
    private bool _midCount;

    public TimeTravelEngine(Machine machine, ReplayInput input, ulong interval = DefaultInterval, long budgetBytes = DefaultBudgetBytes)
    {
        _machine = machine;
        _input = input;
        Interval = interval;
        BudgetBytes = budgetBytes;
        Spacing = new SnapshotSpacing(interval, budgetBytes, MaxSnapshots) { Length = input.HistoryEnd };
        Store = new SnapshotStore(machine);
        var start = Store.Take();
        start.Name = "start";
        // The first restore compiles the whole restore path (every device's LoadState): doing it here,
        // on a state identical to the present, keeps that cost out of the user's first reverse step.
        Store.Restore(start);
        HighWater = machine.Icount;
    }

    public ulong Interval { get; }
    public long BudgetBytes { get; }

    /// <summary>Where snapshots are taken: the step by replay cost and memory, finer near the focus.</summary>
    public SnapshotSpacing Spacing { get; }

    /// <summary>Instructions between snapshots now, away from where the user is (<see cref="SnapshotSpacing.Step"/>).</summary>
    public ulong Step => Spacing.Step;

    /// <summary>
    /// Builds a machine like this one replaying through the given input (a fork of the recording's):
    /// with it, reverse searches over long stretches run on <see cref="SearchWorkers"/> clones at once.
    /// </summary>
    public Func<ReplayInput, Machine>? CloneFactory { get; set; }

    /// <summary>Host threads a long reverse search uses (1: the serial search on this machine alone).</summary>
    public int SearchWorkers
    {
        get => _searchWorkers;
        set => _searchWorkers = Math.Max(1, value);
    }

    /// <summary>Clones of the machine kept for parallel searches (each holds about the guest's RAM in use).</summary>
    public int CloneCount => _parallel?.CloneCount ?? 0;

    /// <summary>How far back the search looks serially before it splits the rest among clones.</summary>
    public ulong SerialReach => 2 * Interval;
    /// <summary>The shortest remaining stretch worth splitting.</summary>
    public ulong ParallelMinimum => 8 * Interval;
    public SnapshotStore Store { get; }
    public ulong Icount => _machine.Icount;
    /// <summary>The furthest count ever executed: output below it was already shown once.</summary>
    public ulong HighWater { get; private set; }
    public ulong? End => _input.HistoryEnd;
    /// <summary>The guest's console output by instruction count.</summary>
    public ConsoleLog Console => _input.Console;
    /// <summary>The count of the oldest snapshot: time travel reaches back to here.</summary>
    public ulong Beginning => Store.All[0].Icount;
    /// <summary>A copy of the replay breakpoints, in order.</summary>
    public IReadOnlyCollection<ulong> ReplayBreaks
    {
        get
        {
            lock (_breaksLock) return _replayBreaks.ToArray();
        }
    }

    /// <summary>Thread-safe: a forward run in progress (another thread's) stops there too.</summary>
    public void AddReplayBreak(ulong icount)
    {
        lock (_breaksLock) _replayBreaks.Add(icount);
        // Make a running Forward look at the breakpoints again; RunTaking resumes after a stray interrupt.
        _machine.RequestInterrupt();
    }

    /// <summary>Thread-safe.</summary>
    public void ClearReplayBreaks()
    {
        lock (_breaksLock) _replayBreaks.Clear();
    }

    /// <summary>Thread-safe.</summary>
    public bool RemoveReplayBreak(ulong icount)
    {
        lock (_breaksLock) return _replayBreaks.Remove(icount);
    }

    private ulong NextReplayBreak(ulong from)
    {
        lock (_breaksLock)
        {
            var view = _replayBreaks.GetViewBetween(from, ulong.MaxValue);
            return view.Count > 0 ? view.Min : ulong.MaxValue;
        }
    }

    /// <summary>
    /// Until the returned scope is disposed, travels longer than <see cref="ProgressMeter.Period"/> tell
    /// <paramref name="sink"/> how far they got, every period, on the thread that runs them.
    /// </summary>
    public IDisposable ReportProgressTo(Action<TravelProgress>? sink)
    {
        var previous = _progress.Sink;
        _progress.Sink = sink;
        return new ProgressScope(_progress, previous);
    }

    /// <summary>How often a long travel reports (<see cref="ProgressMeter.Period"/> unless changed).</summary>
    public TimeSpan ProgressPeriod
    {
        get => _progress.Every;
        set => _progress.Every = value;
    }

    private sealed class ProgressScope(ProgressMeter meter, Action<TravelProgress>? previous) : IDisposable
    {
        public void Dispose() => meter.Sink = previous;
    }

    /// <summary>Thread-safe: stop a running forward or backward travel soon.</summary>
    public void Interrupt()
    {
        _interrupt = true;
        _machine.RequestInterrupt();
        _parallel?.Cancel();
    }

    /// <summary>Runs forward until <paramref name="limit"/>, a breakpoint, a replay break, or the end.</summary>
    public MachineStop Forward(ulong limit, bool stepOverBreakpoint = false)
    {
        _interrupt = false;
        ulong start = Icount;
        ulong goal = Math.Min(limit, End ?? ulong.MaxValue);
        _progress.Begin("continuing", goal == ulong.MaxValue || goal <= start ? 0 : goal - start, start);
        try
        {
            return RunTaking(limit, stepOverBreakpoint, honourStops: true, breaksAfter: start);
        }
        finally
        {
            _progress.End();
        }
    }

    /// <summary>
    /// One step of <paramref name="hart"/>: if another hart has the turn, it runs up to this hart's next
    /// step first (stopping at its breakpoints, as a continue would), then this hart takes one step.
    /// </summary>
    public MachineStop StepForward(int hart = 0)
    {
        ulong at = _machine.NextStepOf(hart, Icount);
        if (at > Icount)
        {
            var s = Forward(at, stepOverBreakpoint: true);
            if (s.Kind != StopKind.Reached) return s;
        }
        return Forward(Icount + 1, stepOverBreakpoint: true);
    }

    /// <summary>Goes to exactly <paramref name="target"/> (clamped to the recording), ignoring breakpoints.</summary>
    public MachineStop Seek(ulong target)
    {
        _interrupt = false;
        if (End is ulong end && target > end) target = end;
        Spacing.Focus = target;
        if (target < Icount || target == Icount && _midCount)
            RestoreAtOrBefore(target);
        else if (target > Icount)
        {
            // Jumping far ahead: start from the best snapshot already beyond where we are.
            var s = Store.AtOrBefore(target);
            if (s != null && s.Icount > Icount) Restore(s);
        }
        _progress.Begin("seeking", target > Icount ? target - Icount : 0, Icount);
        try
        {
            var stop = LeaveLandingSnapshot(target);
            if (stop.Kind != StopKind.Interrupted)
                stop = RunTaking(target, stepOverBreakpoint: true, honourStops: false);
            return stop.Kind == StopKind.Interrupted ? stop : new MachineStop(StopKind.Reached, Icount: Icount);
        }
        finally
        {
            _progress.End();
        }
    }

    /// <summary>
    /// Where the user lands they usually step back: a seek that replays more than a few
    /// <see cref="LandingGap"/>s leaves a snapshot one gap short of its target on the way, so the next
    /// reverse steps replay at most that gap instead of up to a whole snapshot step.
    /// </summary>
    private MachineStop LeaveLandingSnapshot(ulong target)
    {
        ulong gap = LandingGap;
        if (target < Icount + 4 * gap) return new MachineStop(StopKind.Reached, Icount: Icount);
        // The nearest snapshot short of the target, held already or taken on the way at a step boundary.
        ulong step = Spacing.StepAt(target - 1);
        ulong nearest = Math.Max(Store.AtOrBefore(target - 1)?.Icount ?? 0, (target - 1) / step * step);
        if (nearest + 4 * gap >= target) return new MachineStop(StopKind.Reached, Icount: Icount);
        var stop = RunTaking(target - gap, stepOverBreakpoint: true, honourStops: false);
        if (stop.Kind == StopKind.Reached && Icount == target - gap && !Store.Has(Icount) && !_midCount) TakeSnapshot();
        return stop;
    }

    /// <summary>Back to just before <paramref name="hart"/>'s last step (other harts' steps since then undone too).</summary>
    public MachineStop ReverseStep(int hart = 0)
    {
        if (_machine.PreviousStepOf(hart, Icount) is not ulong previous)
        {
            if (Icount > 0) Seek(0);
            return new MachineStop(StopKind.HistoryBegin, hart, Icount: Icount);
        }
        var stop = Seek(previous);
        return stop.Kind == StopKind.Interrupted ? stop : new MachineStop(StopKind.Reached, hart, Icount: Icount);
    }

    /// <summary>
    /// Runs backwards to the last breakpoint or watchpoint hit before the current position: replays
    /// each interval between snapshots, newest first, noting hits; then goes to the last one.
    /// A watchpoint stop lands just after the accessing instruction: GDB (RISC-V watchpoints do not let
    /// the access complete) steps over it itself, backwards here, and so arrives on the access with the
    /// old value in memory, as forward it arrives just after the access with the new one.
    /// </summary>
    public MachineStop ReverseContinue()
    {
        _progress.Begin("reverse-continue", 0, Icount);
        try
        {
            return ReverseSearch(static s => s.Kind is StopKind.Breakpoint or StopKind.Watchpoint, watchLanding: 1);
        }
        finally
        {
            _progress.End();
        }
    }

    /// <summary>
    /// The last stop before the present that <paramref name="accept"/> takes: replays each interval
    /// between snapshots, newest first, noting hits, then goes to the last one (a watchpoint hit plus
    /// <paramref name="watchLanding"/> instructions). Stops it does not take are passed over.
    /// </summary>
    private MachineStop ReverseSearch(Func<MachineStop, bool> accept, ulong watchLanding)
    {
        _interrupt = false;
        ulong present = Icount;
        ulong floor = 0;
        lock (_breaksLock)
        {
            var replayBreak = _replayBreaks.GetViewBetween(0, present == 0 ? 0 : present - 1);
            if (replayBreak.Count > 0 && present > 0) floor = replayBreak.Max;
        }
        _progress.Retotal(present - floor);
        ulong windowEnd = present;
        while (windowEnd > floor)
        {
            if (GoesParallel(present, windowEnd, floor) is ParallelReverseSearch parallel)
            {
                ulong searched = present - windowEnd;
                var (found, interrupted) = parallel.Run(_machine, Store, Spacing, floor, windowEnd, SearchWorkers,
                    Math.Max(Interval, (windowEnd - floor) / ((ulong)SearchWorkers * 8)), accept,
                    () => _interrupt, done => ReportDone(searched + done, windowEnd));
                // The clones' snapshots come in before landing: the landing replays from one of them.
                AdoptFrom(parallel, found?.Icount ?? floor);
                if (interrupted) return new MachineStop(StopKind.Interrupted, Icount: Icount);
                if (found is MachineStop far) return Land(far, watchLanding);
                break;
            }
            var snap = Store.AtOrBefore(windowEnd - 1)!;
            ulong windowStart = Math.Max(snap.Icount, floor);
            _progress.Segment(present - windowEnd, windowStart);
            RestoreAtOrBefore(windowStart);
            RunTaking(windowStart, stepOverBreakpoint: true, honourStops: false);
            MachineStop? last = null;
            // A stop at the window's first count belongs to it: only the present itself is passed over.
            bool stepOver = false;
            while (Icount < windowEnd)
            {
                if (_interrupt) return new MachineStop(StopKind.Interrupted, Icount: Icount);
                var s = RunTaking(windowEnd, stepOver, honourStops: true);
                stepOver = true;
                if (s.Kind is StopKind.Breakpoint or StopKind.Watchpoint)
                {
                    if (Icount < windowEnd && accept(s)) last = s;
                }
                else if (s.Kind is StopKind.Interrupted) return s;
                else if (s.Kind is not StopKind.Reached) break;
            }
            if (last is MachineStop hit) return Land(hit, watchLanding);
            windowEnd = windowStart;
        }
        Seek(floor);
        return floor > 0
            ? new MachineStop(StopKind.Reached, Icount: Icount)
            : new MachineStop(StopKind.HistoryBegin, Icount: Icount);
    }

    /// <summary>Goes to a search's hit (a watchpoint hit plus <paramref name="watchLanding"/> instructions).</summary>
    private MachineStop Land(MachineStop hit, ulong watchLanding)
    {
        ulong landing = hit.Kind == StopKind.Watchpoint ? hit.Icount + watchLanding : hit.Icount;
        Seek(landing);
        return hit with { Icount = Icount };
    }

    /// <summary>
    /// The parallel search, when the rest of the stretch is long enough to pay for it: the newest
    /// <see cref="SerialReach"/> instructions, where the hit usually is, are searched here first.
    /// </summary>
    private ParallelReverseSearch? GoesParallel(ulong present, ulong windowEnd, ulong floor)
    {
        if (SearchWorkers < 2 || CloneFactory == null) return null;
        if (present - windowEnd < SerialReach || windowEnd - floor < ParallelMinimum || CloneFailure != null) return null;
        var parallel = _parallel ??= new ParallelReverseSearch(CloneFactory, _input);
        try
        {
            parallel.EnsureClones(SearchWorkers);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or OutOfMemoryException)
        {
            // The search still works on this machine alone, only slower.
            CloneFailure = e.Message;
            return null;
        }
        return parallel;
    }

    /// <summary>Why clones could not be built (searches then stay on this machine), or null.</summary>
    public string? CloneFailure { get; private set; }

    private void ReportDone(ulong done, ulong icount)
    {
        _progress.Segment(done, icount);
        _progress.Tick(icount);
    }

    /// <summary>
    /// Goes to the last instruction before the present that wrote any byte of
    /// [<paramref name="address"/>, +<paramref name="length"/>) (a virtual address, as the CPUs see it),
    /// stopping on it with the old value still in memory. Other breakpoints and watchpoints are passed
    /// over. Null, and back at the present, when nothing wrote there in the history kept.
    /// </summary>
    public WriteHit? LastWrite(ulong address, ulong length) => FindWrite(address, length, backwards: true);

    /// <summary>The same as <see cref="LastWrite"/>, forwards: the next write after the present instruction.</summary>
    public WriteHit? NextWrite(ulong address, ulong length) => FindWrite(address, length, backwards: false);

    private WriteHit? FindWrite(ulong address, ulong length, bool backwards)
    {
        if (length is 0 or > 4096) throw new ArgumentOutOfRangeException(nameof(length), "a watched location is 1 to 4096 bytes");
        var watch = new Watchpoint(address, length, WatchKind.Write);
        ulong present = Icount;
        bool Ours(MachineStop s) => s.Kind == StopKind.Watchpoint && s.Watch is WatchHit h && h.Kind == WatchKind.Write
                                    && h.Address >= address && h.Address - address < length;
        _machine.AddWatchpoint(watch);
        MachineStop found;
        try
        {
            _progress.Begin(backwards ? "searching back for the last write" : "searching for the next write", 0, present);
            try
            {
                found = backwards ? ReverseSearch(Ours, watchLanding: 0) : ForwardSearch(Ours, present);
            }
            finally
            {
                _progress.End();
            }
        }
        finally
        {
            _machine.RemoveWatchpoint(watch);
        }
        if (found.Kind == StopKind.Interrupted) throw new OperationCanceledException("the search was interrupted");
        if (!Ours(found))
        {
            Seek(present);
            return null;
        }
        // On the writing instruction: the old value is in memory; one instruction on, the new one.
        ulong at = found.Icount;
        var cpu = _machine.Cpus[Math.Clamp(found.Cpu, 0, _machine.Cpus.Length - 1)];
        ulong pc = cpu.Pc;
        var oldValue = new byte[length];
        var newValue = new byte[length];
        Seek(at);
        int oldRead = cpu.DebugRead(address, oldValue);
        Seek(at + 1);
        int newRead = cpu.DebugRead(address, newValue);
        Seek(at);
        return new WriteHit(at, cpu.Index, pc, oldValue[..oldRead], newValue[..newRead], found.Watch?.ByDevice == true);
    }

    /// <summary>Forward to the first stop after <paramref name="present"/> that <paramref name="accept"/> takes, or the end.</summary>
    private MachineStop ForwardSearch(Func<MachineStop, bool> accept, ulong present)
    {
        _interrupt = false;
        _progress.Retotal(End is ulong end && end > present ? end - present : 0);
        bool stepOver = true;
        while (true)
        {
            var s = RunTaking(ulong.MaxValue, stepOver, honourStops: true);
            stepOver = true;
            if (s.Kind is StopKind.Breakpoint or StopKind.Watchpoint)
            {
                if (s.Icount > present && accept(s)) return s with { Icount = Icount };
                continue;
            }
            return s;
        }
    }

    private void RestoreAtOrBefore(ulong target)
    {
        var s = Store.AtOrBefore(target) ?? Store.All[0];
        Restore(s);
    }

    private void Restore(Snapshot s)
    {
        Store.Restore(s);
        _input.Seek(s.Icount);
        _midCount = false;
    }

    /// <summary>
    /// Runs the machine to <paramref name="limit"/>, snapshotting at interval boundaries. Without
    /// <paramref name="honourStops"/> breakpoints and watchpoints are stepped over silently. With
    /// <paramref name="breaksAfter"/> it also stops at replay breakpoints beyond that count, looking at
    /// them afresh on every slice, so a breakpoint set from another thread during the run counts.
    /// </summary>
    private MachineStop RunTaking(ulong limit, bool stepOverBreakpoint, bool honourStops, ulong? breaksAfter = null)
    {
        while (true)
        {
            ulong now = Icount;
            ulong lim = limit;
            if (breaksAfter is ulong after && after < ulong.MaxValue)
                lim = Math.Min(limit, NextReplayBreak(Math.Max(after + 1, now)));
            if (now >= lim) return Reached();
            if (Spacing.Wants(now) && !Store.Has(now) && !_midCount) TakeSnapshot();
            ulong nextSnap = Spacing.NextPoint(now);
            _progress.Tick(now);
            var stop = _machine.Run(Math.Min(lim, nextSnap), stepOverBreakpoint);
            stepOverBreakpoint = false;
            if (Icount > now) Spacing.NoteReplay(Icount - now, _input.EventsBetween(now, Icount));
            if (stop.Kind == StopKind.Watchpoint && stop.Watch is { ByDevice: true }) _midCount = true;
            else if (Icount != now) _midCount = false;
            HighWater = Math.Max(HighWater, Icount);
            switch (stop.Kind)
            {
                case StopKind.Reached:
                    if (Spacing.Wants(Icount) && !Store.Has(Icount) && !_midCount) TakeSnapshot();
                    continue;
                case StopKind.Breakpoint:
                    if (honourStops) return AsTravel(stop);
                    stepOverBreakpoint = true;
                    continue;
                case StopKind.Watchpoint:
                    if (honourStops) return AsTravel(stop);
                    continue;
                case StopKind.Interrupted:
                    if (_interrupt) return AsTravel(stop);
                    continue;
                default:
                    return AsTravel(stop);
            }
        }

        MachineStop Reached() => new(StopKind.Reached, Icount: Icount);
    }

    /// <summary>
    /// Travel speaks of history: a replay that ran out of input ends history as its end does, and a
    /// reset with -no-reboot ends the run as an exit does.
    /// </summary>
    private static MachineStop AsTravel(MachineStop stop) => stop.Kind switch
    {
        StopKind.Starved => stop with { Kind = StopKind.HistoryEnd },
        StopKind.ResetRequested => stop with { Kind = StopKind.Exited },
        _ => stop,
    };

    private void TakeSnapshot()
    {
        var snap = Store.Take();
        Spacing.NoteSnapshot(snap.Bytes);
        KeepBudget(Icount);
    }

    /// <summary>
    /// The snapshots the clones took during a search join the store (under the same budget), so the
    /// stretch they replayed is as quick to reach as one this machine replayed itself.
    /// </summary>
    private void AdoptFrom(ParallelReverseSearch parallel, ulong present)
    {
        int added = 0;
        foreach (var chain in parallel.TakeCaptured())
        {
            added += Store.Adopt(chain);
            foreach (var snap in chain) Spacing.NoteSnapshot(snap.Bytes);
        }
        if (added > 0) KeepBudget(present);
    }

    /// <summary>Thins old snapshots when the store is over its memory budget or count limit.</summary>
    private void KeepBudget(ulong present)
    {
        if (Store.Bytes <= BudgetBytes && Store.All.Count <= MaxSnapshots) return;
        // Over budget: thin gently first, harder only if that is not enough, so that the thinning
        // leaves room for a while and does not run again at the next snapshot.
        foreach (int divisor in (ReadOnlySpan<int>)[64, 16, 8, 4])
        {
            Store.Thin(present, Interval, divisor);
            if (Store.Bytes <= BudgetBytes * 3 / 4 && Store.All.Count <= MaxSnapshots * 3 / 4) break;
        }
    }
}
