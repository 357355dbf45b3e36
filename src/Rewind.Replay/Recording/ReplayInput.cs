using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Replay.Recording;

/// <summary>
/// Feeds a recording back into the machine: asynchronous inputs at exactly their logged counts,
/// clock reads in order, digests checked as they come. The host is never consulted.
/// </summary>
public sealed class ReplayInput : IInputBoundary
{
    private readonly List<LogRecord> _events = [];  // shared by forks: never changed after loading
    private readonly Dictionary<InputChannel, IInputSink> _sinks = [];
    private int _cursor;

    public bool InputsKnownAhead => true;

    public ReplayInput(ReplayLogReader reader)
    {
        Header = reader.Header;
        var output = new List<LogRecord>();
        while (reader.TryReadNext(out var r))
        {
            switch (r.Kind)
            {
                case RecordKind.Output:
                    output.Add(r);
                    break;
                case RecordKind.InputEvent:
                case RecordKind.ClockRead:
                case RecordKind.Digest:
                case RecordKind.Monitor:
                    _events.Add(r);
                    break;
                case RecordKind.Snapshot:
                    Snapshots.Add(r);
                    break;
                case RecordKind.StateLayout:
                    _layoutText ??= r.Text;
                    break;
            }
        }
        EndedCleanly = reader.EndedCleanly;
        EndReason = reader.EndReason;
        Problem = reader.Corruption ?? reader.Truncation;
        EndIcount = reader.LastIcount;
        Console = ConsoleLog.FromRecords(output, Header.Version >= RecordingHeader.OutputVersion, EndIcount);
    }

    /// <summary>
    /// Another feed over the same recording, for a clone of the machine (a parallel reverse search):
    /// it shares the recorded events, which nothing changes after loading, and has its own position,
    /// sinks and machine. Its console log is empty: a clone's output is never shown.
    /// </summary>
    public ReplayInput Fork() => new(this);

    private ReplayInput(ReplayInput from)
    {
        Header = from.Header;
        _events = from._events;
        _layoutText = from._layoutText;
        EndedCleanly = from.EndedCleanly;
        EndReason = from.EndReason;
        Problem = from.Problem;
        EndIcount = from.EndIcount;
        Snapshots = from.Snapshots;
        Console = ConsoleLog.FromRecords([], recordingHoldsOutput: true, from.EndIcount);
    }

    /// <summary>The console output by instruction count: from the recording, or gathered as the replay runs (older formats).</summary>
    public ConsoleLog Console { get; }

    public static ReplayInput Open(string path)
    {
        using var reader = ReplayLogReader.Open(path);
        return new ReplayInput(reader);
    }

    public RecordingHeader Header { get; }
    public bool EndedCleanly { get; }
    public string? EndReason { get; }
    /// <summary>Why the recording stops early (truncated or corrupt), or null.</summary>
    public string? Problem { get; }
    public ulong EndIcount { get; }
    public List<LogRecord> Snapshots { get; } = [];
    public Machine? Machine { get; set; }
    public int DigestsChecked { get; private set; }

    private string? _layoutText;
    private StateLayout? _layout;

    /// <summary>
    /// What the recording's digests cover: the StateLayout record of a format-2 recording, the parts of
    /// format 1 by position for an older one (see <see cref="StateLayout"/>). Parts the machine gained
    /// since are left out either way.
    /// </summary>
    public StateLayout DigestLayout(Machine machine)
    {
        if (_layout != null) return _layout;
        if (Header.Version < 2) return _layout = StateLayout.FormatV1(machine);
        if (_layoutText == null) return _layout = StateLayout.Of(machine);
        return _layout = StateLayout.Parse(_layoutText, out string? error)
            ?? throw new InvalidDataException($"the recording's state layout is malformed ({error})");
    }

    public ulong? HistoryEnd => EndIcount;

    public ulong NextDueIcount
    {
        get
        {
            for (int i = _cursor; i < _events.Count; i++)
                if (!IsSynchronous(_events[i])) return _events[i].Icount;
            return ulong.MaxValue;
        }
    }

    /// <summary>Reads the machine makes itself (clock, entropy): they wait at the cursor for the device to ask.</summary>
    private static bool IsSynchronous(in LogRecord r) =>
        r.Kind == RecordKind.ClockRead || (r.Kind == RecordKind.InputEvent && r.Channel is InputChannel.Entropy or InputChannel.DiskRead);

    public void Attach(InputChannel channel, IInputSink sink) => _sinks[channel] = sink;

    /// <summary>Positions the feed for a machine restored to <paramref name="icount"/> (events at that count not yet delivered).</summary>
    public void Seek(ulong icount) => _cursor = FirstAtOrAfter(icount);

    /// <summary>Recorded events (inputs, clock reads, digests) at counts in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public int EventsBetween(ulong from, ulong to) => to <= from ? 0 : FirstAtOrAfter(to) - FirstAtOrAfter(from);

    private int FirstAtOrAfter(ulong icount)
    {
        int lo = 0, hi = _events.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (_events[mid].Icount < icount) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    public void DeliverDue(ulong icount)
    {
        while (_cursor < _events.Count && _events[_cursor].Icount <= icount)
        {
            var r = _events[_cursor];
            if (IsSynchronous(r))
            {
                if (r.Icount < icount)
                    throw new ReplayDivergenceException(r.Icount, r.Kind == RecordKind.ClockRead
                        ? "the recording shows a clock read that the replay did not make"
                        : r.Channel == InputChannel.DiskRead
                            ? "the recording shows a disk read that the replay did not make"
                            : "the recording shows an entropy read that the replay did not make");
                return;
            }
            if (r.Icount < icount)
                throw new ReplayDivergenceException(r.Icount, $"a recorded {r.Kind} event was not reached at its instruction count");
            _cursor++;
            switch (r.Kind)
            {
                case RecordKind.InputEvent:
                    if (_sinks.TryGetValue(r.Channel, out var sink)) sink.Receive(r.Data.Span);
                    break;
                case RecordKind.Digest:
                    if (Machine != null)
                    {
                        byte[] now;
                        try
                        {
                            now = MachineDigest.Compute(Machine, DigestLayout(Machine));
                        }
                        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
                        {
                            throw new ReplayDivergenceException(icount, $"the state digest cannot be checked: {e.Message}");
                        }
                        if (!now.AsSpan().SequenceEqual(r.Data.Span))
                            throw new ReplayDivergenceException(icount, MachineDigest.Describe(r.Data.Span, now));
                        DigestsChecked++;
                    }
                    break;
            }
        }
    }

    public ulong ReadHostClock(ulong icount)
    {
        if (_cursor < _events.Count && _events[_cursor].Kind == RecordKind.ClockRead && _events[_cursor].Icount == icount)
            return _events[_cursor++].Value;
        throw new ReplayDivergenceException(icount, "the guest read the RTC where the recording shows no clock read");
    }

    /// <summary>Recordings from format 5 on hold a fingerprint of each disk read; older ones are replayed unchecked.</summary>
    public bool ChecksDiskReads => Header.Version >= RecordingHeader.DiskReadVersion;

    public void CheckDiskRead(ulong icount, ReadOnlySpan<byte> fingerprint)
    {
        if (!ChecksDiskReads) return;
        if (_cursor < _events.Count && _events[_cursor] is { Kind: RecordKind.InputEvent, Channel: InputChannel.DiskRead } r && r.Icount == icount)
        {
            if (DiskReadCheck.FirstDifference(r.Data.Span, fingerprint) is string difference)
                throw new ReplayDivergenceException(icount, difference);
            _cursor++;
            return;
        }
        throw new ReplayDivergenceException(icount, "the guest read the disk image where the recording shows no disk read");
    }

    public void ReadEntropy(ulong icount, Span<byte> destination)
    {
        if (_cursor < _events.Count && _events[_cursor] is { Kind: RecordKind.InputEvent, Channel: InputChannel.Entropy } r && r.Icount == icount)
        {
            if (r.Data.Length != destination.Length)
                throw new ReplayDivergenceException(icount, $"the guest asked for {destination.Length} bytes of entropy where the recording holds {r.Data.Length}");
            r.Data.Span.CopyTo(destination);
            _cursor++;
            return;
        }
        throw new ReplayDivergenceException(icount, "the guest read entropy where the recording shows no entropy read");
    }
}
