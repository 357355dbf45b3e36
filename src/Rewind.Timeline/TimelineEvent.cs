namespace Rewind.Timeline;

/// <summary>One thing that happened at an instruction count, as the page lists it.</summary>
public readonly record struct TimelineEvent(ulong Icount, string Text);

/// <summary>
/// One row of the page: events sorted by count. Dense lanes (inputs, console lines) are drawn as
/// counts per bucket; the page asks for the events themselves only when few fall in its view.
/// </summary>
public sealed class TimelineLane
{
    private readonly ulong[] _counts;
    private readonly Func<int, string> _text;

    /// <param name="counts">The events' instruction counts, ascending.</param>
    /// <param name="text">The description of event number i, made only when the page lists it.</param>
    public TimelineLane(string id, string label, ulong[] counts, Func<int, string> text)
    {
        Id = id;
        Label = label;
        _counts = counts;
        _text = text;
    }

    public string Id { get; }
    public string Label { get; }
    public int Count => _counts.Length;

    /// <summary>How many events fall in [from, to).</summary>
    public int CountIn(ulong from, ulong to) => to <= from ? 0 : LowerBound(to) - LowerBound(from);

    /// <summary>
    /// The events of [from, from + n*width) counted per bucket of <paramref name="width"/> instructions:
    /// two binary searches a bucket, so a view of a recording with millions of events costs microseconds.
    /// </summary>
    public int[] Buckets(ulong from, ulong width, int n)
    {
        var result = new int[n];
        if (width == 0) return result;
        int lo = LowerBound(from);
        for (int i = 0; i < n; i++)
        {
            ulong end = from + (ulong)(i + 1) * width;
            if (end < from) end = ulong.MaxValue;
            int hi = LowerBound(end);
            result[i] = hi - lo;
            lo = hi;
        }
        return result;
    }

    /// <summary>The events in [from, to), at most <paramref name="max"/> of them.</summary>
    public List<TimelineEvent> Events(ulong from, ulong to, int max)
    {
        var list = new List<TimelineEvent>();
        for (int i = LowerBound(from); i < _counts.Length && _counts[i] < to && list.Count < max; i++)
            list.Add(new TimelineEvent(_counts[i], _text(i)));
        return list;
    }

    /// <summary>The first index whose count is at least <paramref name="icount"/>.</summary>
    private int LowerBound(ulong icount)
    {
        int lo = 0, hi = _counts.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_counts[mid] < icount) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
