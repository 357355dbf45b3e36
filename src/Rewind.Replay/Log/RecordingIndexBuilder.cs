using Rewind.Core.Input;

namespace Rewind.Replay.Log;

/// <summary>
/// Gathers a <see cref="RecordingIndex"/> record by record: fed by the writer as it records (the index
/// is then saved with the End record) or by a scan of a recording that has none. Keeps counts and short
/// prefixes only, never whole payloads, so a long recording's index stays small.
/// </summary>
public sealed class RecordingIndexBuilder
{
    /// <summary>Bytes kept of an input or a monitor command: more than a tooltip shows.</summary>
    public const int MaxPrefix = 160;

    /// <summary>Bytes kept of a console line; the whole line is in the recording.</summary>
    public const int MaxLineBytes = 512;

    /// <summary>The longest console line, as <see cref="Recording.ConsoleLog"/> splits them.</summary>
    private const int MaxLine = 4096;

    private readonly List<ulong> _inputAt = [];
    private readonly List<byte> _inputChannel = [];
    private readonly List<int> _inputLength = [];
    private readonly List<int> _inputPrefixEnd = [];
    private readonly List<byte> _inputBlob = [];
    private readonly List<ulong> _clockAt = [];
    private readonly List<ulong> _lineAt = [];
    private readonly List<int> _lineEnd = [];
    private readonly List<byte> _lineBlob = [];
    private readonly List<RecordingIndex.IndexedSnapshot> _snapshots = [];
    private int _partialLength;  // bytes of the unfinished line, kept or not
    private int _partialKept;
    private ulong _partialAt;

    public void Input(ulong icount, InputChannel channel, ReadOnlySpan<byte> data)
    {
        bool text = channel == InputChannel.Serial0 || InputChannels.VirtConsoleIndex(channel) >= 0;
        AddInput(icount, (byte)channel, data.Length, text ? data[..Math.Min(data.Length, MaxPrefix)] : default);
    }

    public void Monitor(ulong icount, ReadOnlySpan<byte> commandUtf8) =>
        AddInput(icount, RecordingIndex.MonitorChannel, commandUtf8.Length, commandUtf8[..Math.Min(commandUtf8.Length, MaxPrefix)]);

    public void ClockRead(ulong icount) => _clockAt.Add(icount);

    /// <summary>Console bytes whose last one the guest wrote at <paramref name="lastByteIcount"/>: split into lines as ConsoleLog does.</summary>
    public void Output(ulong lastByteIcount, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (b == '\n' || _partialLength >= MaxLine)
            {
                if (b != '\n') Keep(b, lastByteIcount);
                EndLine(lastByteIcount);
            }
            else Keep(b, lastByteIcount);
        }
    }

    private void Keep(byte b, ulong icount)
    {
        if (_partialKept < MaxLineBytes)
        {
            _lineBlob.Add(b);
            _partialKept++;
        }
        _partialLength++;
        _partialAt = icount;
    }

    public void Snapshot(ulong icount, string name, long size) => _snapshots.Add(new(icount, name, size));

    /// <summary>A record read back from a recording (the scan's way in).</summary>
    public void Add(in LogRecord r)
    {
        switch (r.Kind)
        {
            case RecordKind.InputEvent:
                Input(r.Icount, r.Channel, r.Data.Span);
                break;
            case RecordKind.Monitor:
                Monitor(r.Icount, System.Text.Encoding.UTF8.GetBytes(r.Text ?? ""));
                break;
            case RecordKind.ClockRead:
                ClockRead(r.Icount);
                break;
            case RecordKind.Output:
                Output(r.Value, r.Data.Span);
                break;
            case RecordKind.Snapshot:
                Snapshot(r.Icount, r.Name ?? "", r.DataLength);
                break;
        }
    }

    /// <summary>The index of what was added, for a recording of <paramref name="length"/> bytes whose last record's CRC is <paramref name="lastCrc"/>.</summary>
    public RecordingIndex Build(ushort recordingFormat, long length, uint lastCrc, ulong end, bool endedCleanly, string? problem)
    {
        // The unfinished last line counts too (as ConsoleLog's Lines has it), without ending it here.
        var lineAt = new List<ulong>(_lineAt);
        var lineEnd = new List<int>(_lineEnd);
        if (_partialLength > 0)
        {
            lineAt.Add(_partialAt);
            lineEnd.Add(_lineBlob.Count);
        }
        return new RecordingIndex(recordingFormat, length, lastCrc, end, endedCleanly, problem,
            [.. _inputAt], [.. _inputChannel], [.. _inputLength], [.. _inputPrefixEnd], [.. _inputBlob],
            [.. _clockAt], [.. lineAt], [.. lineEnd], [.. _lineBlob], [.. _snapshots]);
    }

    private void AddInput(ulong icount, byte channel, int length, ReadOnlySpan<byte> prefix)
    {
        _inputAt.Add(icount);
        _inputChannel.Add(channel);
        _inputLength.Add(length);
        foreach (byte b in prefix) _inputBlob.Add(b);
        _inputPrefixEnd.Add(_inputBlob.Count);
    }

    private void EndLine(ulong icount)
    {
        // A CR before the newline is not part of the line (ConsoleLog trims it).
        while (_partialKept > 0 && _partialKept == _partialLength && _lineBlob[^1] == '\r')
        {
            _lineBlob.RemoveAt(_lineBlob.Count - 1);
            _partialKept--;
            _partialLength--;
        }
        _lineAt.Add(icount);
        _lineEnd.Add(_lineBlob.Count);
        _partialLength = 0;
        _partialKept = 0;
    }
}
