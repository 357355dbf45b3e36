using System.Text;
using System.Text.RegularExpressions;
using Rewind.Replay.Log;

namespace Rewind.Replay.Recording;

/// <summary>A line of console output and the instruction count at which the guest wrote its last byte.</summary>
public readonly record struct ConsoleLine(ulong Icount, string Text);

/// <summary>
/// The guest's console output as lines stamped with instruction counts, for searching by time
/// (`rewind info --output`, goto-output). A format-4 recording holds it (Output records); for an older
/// one it grows as the replay runs over new ground (<see cref="Note"/>), so it knows the output up to
/// <see cref="Through"/>. Thread-safe: the run loop adds, monitors search.
/// </summary>
public sealed class ConsoleLog
{
    private const int MaxLine = 4096;
    private readonly object _lock = new();
    private readonly List<ConsoleLine> _lines = [];
    private readonly List<byte> _partial = [];
    private ulong _partialIcount;

    /// <summary>True when the recording held the output (format 4 and later); false when the replay gathers it.</summary>
    public bool FromRecording { get; private init; }

    /// <summary>Output written before this count is known.</summary>
    public ulong Through
    {
        get
        {
            lock (_lock) return _through;
        }
    }

    private ulong _through;

    /// <summary>The Output records of a recording; an empty log that the replay fills when there are none.</summary>
    public static ConsoleLog FromRecords(IEnumerable<LogRecord> outputRecords, bool recordingHoldsOutput, ulong endIcount)
    {
        var log = new ConsoleLog { FromRecording = recordingHoldsOutput };
        foreach (var r in outputRecords) log.Append(r.Value, r.Data.Span);
        if (recordingHoldsOutput) log._through = endIcount == ulong.MaxValue ? endIcount : endIcount + 1;
        return log;
    }

    /// <summary>Bytes written at <paramref name="icount"/> (the last one's count).</summary>
    public void Append(ulong icount, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            foreach (byte b in data) AddByte(icount, b);
        }
    }

    /// <summary>A byte the replay wrote at <paramref name="icount"/>: kept only if this count is new ground.</summary>
    public void Note(ulong icount, byte b)
    {
        lock (_lock)
        {
            if (icount < _through) return;
            AddByte(icount, b);
            _through = icount + 1;
        }
    }

    private void AddByte(ulong icount, byte b)
    {
        if (b == '\n' || _partial.Count >= MaxLine)
        {
            if (b != '\n') _partial.Add(b);
            _lines.Add(new ConsoleLine(icount, Text().TrimEnd('\r')));
            _partial.Clear();
            return;
        }
        _partial.Add(b);
        _partialIcount = icount;
    }

    // Bytes are kept until the line ends, so a character split across records still decodes.
    private string Text() => Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_partial));

    /// <summary>Every line, the unfinished last one included.</summary>
    public IReadOnlyList<ConsoleLine> Lines
    {
        get
        {
            lock (_lock)
            {
                var all = new List<ConsoleLine>(_lines);
                if (_partial.Count > 0) all.Add(new ConsoleLine(_partialIcount, Text()));
                return all;
            }
        }
    }

    /// <summary>
    /// The first line after instruction <paramref name="after"/> that <paramref name="pattern"/> matches,
    /// else the first one from the start (<paramref name="wrapped"/>); null when none does.
    /// </summary>
    public ConsoleLine? Find(Regex pattern, ulong after, out bool wrapped)
    {
        var lines = Lines;
        wrapped = false;
        foreach (var l in lines)
            if (l.Icount > after && pattern.IsMatch(l.Text)) return l;
        foreach (var l in lines)
        {
            if (l.Icount > after) break;
            if (pattern.IsMatch(l.Text))
            {
                wrapped = true;
                return l;
            }
        }
        return null;
    }
}
