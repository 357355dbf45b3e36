using System.Text;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Timeline;

/// <summary>
/// What a recording holds along its instruction count, read once when the server starts: the inputs
/// from outside (console bytes, power requests, debugger writes, entropy, monitor commands), the host
/// clock reads, the console lines the guest wrote (format 4 Output records) and the snapshots kept in
/// the file. The page is then drawn from these sorted arrays, never from the file.
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
    public TimelineLane Inputs { get; private init; } = null!;
    public TimelineLane ClockReads { get; private init; } = null!;
    public TimelineLane Output { get; private init; } = null!;
    public IReadOnlyList<TimelineEvent> RecordedSnapshots { get; private init; } = [];

    /// <exception cref="TimelineException">The file is missing, unreadable or not a recording (one line).</exception>
    public static RecordingTimeline Load(string path)
    {
        if (!File.Exists(path)) throw new TimelineException($"{path}: no such file");
        try
        {
            return Read(path);
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

    private static RecordingTimeline Read(string path)
    {
        using var reader = ReplayLogReader.Open(path, loadSnapshotPayloads: false);
        var inputAt = new List<ulong>();
        var inputText = new List<string>();
        var clockAt = new List<ulong>();
        var outputs = new List<LogRecord>();
        var snapshots = new List<TimelineEvent>();
        while (reader.TryReadNext(out var r))
        {
            switch (r.Kind)
            {
                case RecordKind.InputEvent:
                    inputAt.Add(r.Icount);
                    inputText.Add(Describe(r));
                    break;
                case RecordKind.Monitor:
                    inputAt.Add(r.Icount);
                    inputText.Add("monitor: " + Printable(r.Text ?? ""));
                    break;
                case RecordKind.ClockRead:
                    clockAt.Add(r.Icount);
                    break;
                case RecordKind.Output:
                    outputs.Add(r);
                    break;
                case RecordKind.Snapshot:
                    snapshots.Add(new TimelineEvent(r.Icount, $"snapshot '{r.Name}' in the recording ({r.DataLength} bytes)"));
                    break;
            }
        }
        bool holdsOutput = reader.Header.Version >= RecordingHeader.OutputVersion;
        var log = ConsoleLog.FromRecords(outputs, holdsOutput, reader.LastIcount);
        var lines = log.Lines;
        // Records are written in count order, but sort anyway: the lanes' searches depend on it.
        SortTogether(inputAt, inputText);
        clockAt.Sort();
        return new RecordingTimeline(path)
        {
            Format = reader.Header.Version,
            End = reader.LastIcount,
            EndedCleanly = reader.EndedCleanly,
            Problem = reader.Corruption ?? reader.Truncation,
            OutputNote = holdsOutput ? null
                : $"this recording (format {reader.Header.Version}) predates console output records (format {RecordingHeader.OutputVersion})",
            Inputs = new TimelineLane("input", "inputs", [.. inputAt], i => inputText[i]),
            ClockReads = new TimelineLane("clock", "clock reads", [.. clockAt], _ => "host clock read"),
            Output = new TimelineLane("output", "console output", [.. lines.Select(l => l.Icount)], i => Printable(lines[i].Text)),
            RecordedSnapshots = snapshots,
        };
    }

    private static void SortTogether(List<ulong> at, List<string> text)
    {
        var order = Enumerable.Range(0, at.Count).OrderBy(i => at[i]).ToArray();
        var a = order.Select(i => at[i]).ToList();
        var t = order.Select(i => text[i]).ToList();
        at.Clear();
        at.AddRange(a);
        text.Clear();
        text.AddRange(t);
    }

    private static string Describe(LogRecord r) => r.Channel switch
    {
        InputChannel.Serial0 => "console input: " + Printable(Encoding.Latin1.GetString(r.Data.Span)),
        InputChannel.Power => "power request from outside",
        InputChannel.DebuggerWrite => "debugger write",
        InputChannel.Entropy => $"entropy ({r.DataLength} bytes)",
        _ when InputChannels.VirtConsoleIndex(r.Channel) is int n and >= 0 => $"virtconsole{n} input: " + Printable(Encoding.Latin1.GetString(r.Data.Span)),
        _ => $"input on channel {(int)r.Channel} ({r.DataLength} bytes)",
    };

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
