namespace Rewind.Replay.TimeTravel;

/// <summary>
/// Where replay leaves snapshots: at multiples of a power-of-two step, so that steps chosen at
/// different times nest and a second pass over a stretch finds the first pass's snapshots where it
/// wants them. The step weighs what a snapshot saves against what it costs, all counted in replay
/// work, deterministically (instructions, plus <see cref="EventWork"/> for each recorded event the
/// replay delivers: an input wakes a device and usually an interrupt handler; a digest hashes the
/// machine), never in host time, so the same session leaves the same snapshots:
/// <list type="bullet">
/// <item>taking one costs about <see cref="CaptureWork"/> plus a unit per 8 bytes it copies; a pass
/// spends at most an eighth of its work on them;</item>
/// <item>the whole recording at the recent snapshot size must fit in half the memory budget and half
/// the count limit, so a first pass leaves a grid the budget keeps instead of thinning it again;</item>
/// <item>no coarser than the interval, no finer than <see cref="MinStep"/> (below that restoring
/// costs more than the replay it saves);</item>
/// <item>within <see cref="FocusReach"/> of where the user last stopped, a quarter of that.</item>
/// </list>
/// Snapshots never change what the guest does: only where the machine is captured.
/// </summary>
public sealed class SnapshotSpacing(ulong interval, long budgetBytes, int maxSnapshots)
{
    /// <summary>Replay work of one recorded event beyond its instruction.</summary>
    public const ulong EventWork = 4096;
    /// <summary>A snapshot's fixed cost in replay work (scanning RAM's flags, saving every part's state).</summary>
    public const ulong CaptureWork = 8192;
    /// <summary>A pass spends at most 1/PassShare of its work on snapshots.</summary>
    private const ulong PassShare = 8;

    // Recent snapshot size and work per instruction, smoothed over the last few steps.
    private double _bytes = 16 << 10;
    private double _workPerInstruction = 1;

    public ulong Interval { get; } = Math.Max(1, interval);
    public ulong MinStep => Math.Max(1, Interval / 64);
    /// <summary>How far on either side of the focus the step is a quarter.</summary>
    public ulong FocusReach => 2 * Interval;

    /// <summary>The recording's length when known (a replay's end): the grid must fit it all in the budget.</summary>
    public ulong? Length
    {
        get => _length;
        set
        {
            _length = value;
            Step = Choose(Wanted());
        }
    }

    private ulong? _length;

    /// <summary>Where the user last stopped (a seek's target, a reverse step's landing), or null.</summary>
    public ulong? Focus { get; set; }

    private ulong _step;

    /// <summary>The step away from the focus, from what was noted so far (the coarsest before anything was).</summary>
    public ulong Step
    {
        get => _step != 0 ? _step : Choose(double.MaxValue);
        private set => _step = value;
    }

    /// <summary>A snapshot of <paramref name="bytes"/> was taken.</summary>
    public void NoteSnapshot(long bytes)
    {
        _bytes = 0.75 * _bytes + 0.25 * Math.Max(0, bytes);
        Step = Choose(Wanted());
    }

    /// <summary>Replay went over <paramref name="instructions"/> instructions delivering <paramref name="events"/> recorded events.</summary>
    public void NoteReplay(ulong instructions, int events)
    {
        if (instructions == 0) return;
        double w = 1 + (double)events * EventWork / instructions;
        _workPerInstruction = 0.75 * _workPerInstruction + 0.25 * w;
        Step = Choose(Wanted());
    }

    /// <summary>The step within <see cref="FocusReach"/> of the focus: a quarter of <see cref="Step"/>.</summary>
    public ulong FocusStep => Math.Max(MinStep, Step / 4);

    /// <summary>The step at <paramref name="icount"/>: <see cref="FocusStep"/> near the focus, else <see cref="Step"/>.</summary>
    public ulong StepAt(ulong icount) =>
        Focus is ulong f && (icount <= f ? f - icount : icount - f) <= FocusReach ? FocusStep : Step;

    /// <summary>Whether a snapshot belongs at <paramref name="icount"/>.</summary>
    public bool Wants(ulong icount) => icount % StepAt(icount) == 0;

    /// <summary>The first count after <paramref name="now"/> where a snapshot belongs.</summary>
    public ulong NextPoint(ulong now)
    {
        ulong step = StepAt(now);
        ulong next = SafeNext(now, step);
        // Entering the focus region: its finer grid starts before the coarse next point.
        if (Focus is ulong f && f > FocusReach && now < f - FocusReach)
        {
            ulong start = SafeNext(f - FocusReach - 1, FocusStep);
            if (start < next) next = start;
        }
        return next;
    }

    private static ulong SafeNext(ulong now, ulong step) => now > ulong.MaxValue - step ? ulong.MaxValue : (now / step + 1) * step;

    private double Wanted()
    {
        // Replay work between snapshots so that taking them is at most 1/PassShare of a pass.
        double perSnapshot = CaptureWork + _bytes / 8;
        double byCost = PassShare * perSnapshot / _workPerInstruction;
        // The whole recording at this size within half the budget and half the count limit.
        double byMemory = 0;
        if (Length is ulong length && length > 0)
            byMemory = Math.Max(length * _bytes / Math.Max(1, budgetBytes / 2), (double)length / Math.Max(1, maxSnapshots / 2));
        return Math.Max(byCost, byMemory);
    }

    /// <summary>The finest MinStep·2^k at least <paramref name="wanted"/>, at most the interval: every choice a multiple of the finer ones.</summary>
    private ulong Choose(double wanted)
    {
        ulong step = MinStep;
        while (step < wanted && step <= Interval / 2) step <<= 1;
        return step;
    }
}
