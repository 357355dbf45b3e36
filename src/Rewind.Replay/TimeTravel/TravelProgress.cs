using System.Diagnostics;
using System.Globalization;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// How far a long travel has got: <see cref="Done"/> of <see cref="Total"/> instructions to replay
/// (<see cref="Total"/> is 0 when the distance is unknown, as for a continue with no end in sight).
/// </summary>
public readonly record struct TravelProgress(string Operation, ulong Done, ulong Total, ulong Icount)
{
    /// <summary>Whole percent done, or -1 when the total is unknown.</summary>
    public int Percent => Total == 0 ? -1 : (int)Math.Min(100, Done * 100 / Total);

    /// <summary>One line for people: "seeking 42% (900M of 2.1G instructions)".</summary>
    public override string ToString() => Total == 0
        ? $"{Operation}: {Short(Done)} instructions replayed (at instruction {Icount.ToString(CultureInfo.InvariantCulture)})"
        : $"{Operation} {Percent}% ({Short(Done)} of {Short(Total)} instructions)";

    /// <summary>A count in the units people read: 950, 12.3K, 900M, 2.1G.</summary>
    public static string Short(ulong n) => n switch
    {
        < 1000 => n.ToString(CultureInfo.InvariantCulture),
        < 1_000_000 => Scaled(n, 1e3, "K"),
        < 1_000_000_000 => Scaled(n, 1e6, "M"),
        _ => Scaled(n, 1e9, "G"),
    };

    private static string Scaled(ulong n, double unit, string suffix)
    {
        double v = n / unit;
        return (v < 100 ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0", CultureInfo.InvariantCulture)) + suffix;
    }
}

/// <summary>
/// Decides when a travel tells its listener how far it got. Looked at once per slice (at most every
/// <see cref="Core.Execution.Machine.MaxSlice"/> instructions); host time only decides when to report,
/// never what the machine does, so a replay with a listener runs exactly as one without.
/// </summary>
internal sealed class ProgressMeter
{
    /// <summary>Work shorter than this says nothing; longer work reports this often (GDB gives up on a reply after 2 s).</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    private long _period = (long)(Period.TotalSeconds * Stopwatch.Frequency);

    /// <summary>How often to report (tests make it zero: every slice).</summary>
    public TimeSpan Every
    {
        get => TimeSpan.FromSeconds((double)_period / Stopwatch.Frequency);
        set => _period = (long)(value.TotalSeconds * Stopwatch.Frequency);
    }
    private string _operation = "";
    private ulong _total, _doneBefore, _from;
    private long _next;
    private int _depth;

    public Action<TravelProgress>? Sink { get; set; }

    /// <summary>Starts measuring an operation, unless one is already measured (a seek inside a reverse-continue).</summary>
    public bool Begin(string operation, ulong total, ulong from)
    {
        if (_depth++ > 0) return false;
        _operation = operation;
        _total = total;
        _doneBefore = 0;
        _from = from;
        _next = Stopwatch.GetTimestamp() + _period;
        return true;
    }

    /// <summary>The outer operation learns its distance once it has worked it out.</summary>
    public void Retotal(ulong total)
    {
        if (_depth == 1) _total = total;
    }

    public void End() => _depth = Math.Max(0, _depth - 1);

    /// <summary>The outer operation moves on to a new stretch: <paramref name="doneBefore"/> done so far, replaying from <paramref name="from"/>.</summary>
    public void Segment(ulong doneBefore, ulong from)
    {
        if (_depth != 1) return;
        _doneBefore = doneBefore;
        _from = from;
    }

    /// <summary>Called between slices: reports when the period has passed.</summary>
    public void Tick(ulong icount)
    {
        var sink = Sink;
        if (sink == null || _depth == 0) return;
        long now = Stopwatch.GetTimestamp();
        if (now < _next) return;
        _next = now + _period;
        ulong done = _doneBefore + (icount > _from ? icount - _from : 0);
        if (_total != 0) done = Math.Min(done, _total);
        sink(new TravelProgress(_operation, done, _total, icount));
    }
}
