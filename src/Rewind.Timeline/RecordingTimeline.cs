using System.Text;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Timeline;

/// <summary>
/// What a recording holds along its instruction count: the inputs from outside (console bytes, power
/// requests, debugger writes, entropy, monitor commands), the host clock reads, the console lines the
/// guest wrote (format 4 Output records) and the snapshots kept in the file. Taken from the recording's
/// index (<see cref="RecordingIndex"/>, written by the recorder) when it has a usable one, else from a
/// scan of the whole recording, which then writes the index for the next time. The page is drawn from
/// these sorted arrays, never from the file.
/// </summary>
public sealed class RecordingTimeline
{
    private const int MaxText = 120;

    private RecordingTimeline(string path) => Path = path;

    public string Path { get; }
    public int Format { get; private init; }
    /// <summary>The count of the last record: the end of the recorded history.</summary>
    public ulong End { get; private init; }
    public bool EndedCleanly { get; private init; }
    /// <summary>Why the recording ends early (damaged or cut short), or null.</summary>
    public string? Problem { get; private init; }
    /// <summary>Why there is no console lane (a recording older than format 4), or null.</summary>
    public string? OutputNote { get; private init; }
    /// <summary>True when read from the index; false when the recording was scanned.</summary>
    public bool FromIndex { get; private init; }
    /// <summary>Why the index was not used or not written (one line), or null.</summary>
    public string? IndexNote { get; private init; }
    public TimelineLane Inputs { get; private init; } = null!;
    public TimelineLane ClockReads { get; private init; } = null!;
    public TimelineLane Output { get; private init; } = null!;
    public IReadOnlyList<TimelineEvent> RecordedSnapshots { get; private init; } = [];

    /// <exception cref="TimelineException">The file is missing, unreadable or not a recording (one line).</exception>
    public static RecordingTimeline Load(string path) => Guard(path, () =>
    {
        // The header is read and checked either way: the index describes a recording, it does not replace one.
        using (ReplayLogReader.Open(path, loadSnapshotPayloads: false))
        {
        }
        var index = RecordingIndex.TryLoad(path, out string? refusal);
        if (index != null) return From(path, index, fromIndex: true, note: null);
        index = RecordingIndex.Scan(path);
        string? note = refusal == null ? null : refusal + "; read the recording instead";
        try
        {
            index.Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            note ??= $"{RecordingIndex.PathFor(path)}: not written: {OneLine(e.Message)}";
        }
        return From(path, index, fromIndex: false, note);
    });

    /// <summary>
    /// Reads the whole recording, checking every record's chained CRC, and returns what it holds when
    /// that differs from this (read from an index, of a recording damaged since): null when they agree.
    /// </summary>
    /// <exception cref="TimelineException">The file has become unreadable (one line).</exception>
    public RecordingTimeline? Verify() => Guard<RecordingTimeline?>(Path, () =>
    {
        var scanned = RecordingIndex.Scan(Path);
        if (scanned.End == End && scanned.EndedCleanly == EndedCleanly && scanned.Problem == Problem) return null;
        try
        {
            scanned.Save(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The next start scans again.
        }
        return From(Path, scanned, fromIndex: false, note: $"{RecordingIndex.PathFor(Path)}: the recording differs from its index; read the recording instead");
    });

    private static T Guard<T>(string path, Func<T> work)
    {
        if (!File.Exists(path)) throw new TimelineException($"{path}: no such file");
        try
        {
            return work();
        }
        catch (RecordingFormatException e)
        {
            string why = OneLine(e.Message);
            throw new TimelineException(why.StartsWith(path, StringComparison.Ordinal) ? why : $"{path}: {why}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TimelineException($"{path}: cannot read: {OneLine(e.Message)}");
        }
    }

    private static RecordingTimeline From(string path, RecordingIndex index, bool fromIndex, string? note)
    {
        bool holdsOutput = index.RecordingFormat >= RecordingHeader.OutputVersion;
        // Records are written in count order and lines end in it, but the lanes' searches depend on it: sort if not.
        int[] lineOrder = SortedOrder(index.LineAt);
        return new RecordingTimeline(path)
        {
            Format = index.RecordingFormat,
            End = index.End,
            EndedCleanly = index.EndedCleanly,
            Problem = index.Problem,
            FromIndex = fromIndex,
            IndexNote = note,
            OutputNote = holdsOutput ? null
                : $"this recording (format {index.RecordingFormat}) predates console output records (format {RecordingHeader.OutputVersion})",
            Inputs = new TimelineLane("input", "inputs", index.InputAt, i => Describe(index, i)),
            ClockReads = new TimelineLane("clock", "clock reads", index.ClockAt, _ => "host clock read"),
            Output = new TimelineLane("output", "console output", [.. lineOrder.Select(i => index.LineAt[i])], i => Printable(index.Line(lineOrder[i]))),
            RecordedSnapshots = [.. index.Snapshots.Select(s => new TimelineEvent(s.Icount, $"snapshot '{s.Name}' in the recording ({s.Size} bytes)"))],
        };
    }

    private static int[] SortedOrder(ulong[] at)
    {
        var order = new int[at.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        for (int i = 1; i < at.Length; i++)
        {
            if (at[i] < at[i - 1]) return [.. order.OrderBy(k => at[k])];
        }
        return order;
    }

    private static string Describe(RecordingIndex index, int i)
    {
        byte raw = index.InputChannel[i];
        if (raw == RecordingIndex.MonitorChannel) return "monitor: " + Printable(Encoding.UTF8.GetString(index.InputPrefix(i)));
        var channel = (InputChannel)raw;
        return channel switch
        {
            InputChannel.Serial0 => "console input: " + Printable(Encoding.Latin1.GetString(index.InputPrefix(i))),
            InputChannel.Power => "power request from outside",
            InputChannel.DebuggerWrite => "debugger write",
            InputChannel.Entropy => $"entropy ({index.InputLength[i]} bytes)",
            _ when InputChannels.VirtConsoleIndex(channel) is int n and >= 0 => $"virtconsole{n} input: " + Printable(Encoding.Latin1.GetString(index.InputPrefix(i))),
            _ => $"input on channel {raw} ({index.InputLength[i]} bytes)",
        };
    }

    /// <summary>Control characters as \xNN, cut to a length a tooltip can hold.</summary>
    private static string Printable(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text)
        {
            if (sb.Length >= MaxText)
            {
                sb.Append('…');
                break;
            }
            if (c < 0x20 || c == 0x7f) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
