using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Rewind.Replay.Log;

/// <summary>
/// What the timeline page shows of a recording, kept beside it in <c>FILE.rr.index</c> so a long
/// recording opens without reading it through: the counts of its inputs, clock reads, console lines
/// and snapshots, with short prefixes for their descriptions, and how the recording ends. The recorder
/// writes it with the End record; a reader that finds none (an older recording, one cut short) scans
/// the recording and writes it then. It is a cache, never part of the recording: it is bound to the
/// recording's length and last four bytes (the last record's chained CRC), and one that is damaged,
/// of another version or of another state of the file is refused in one line and rebuilt.
/// See docs/recording-format.md, "The index".
/// </summary>
public sealed class RecordingIndex
{
    /// <summary>The index format this build reads and writes.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>The channel byte that marks a monitor command among the inputs.</summary>
    public const byte MonitorChannel = 0xFF;

    /// <summary>An index larger than this is damage.</summary>
    private const int MaxSize = 1 << 30;

    private static ReadOnlySpan<byte> Magic => "REWINDIX"u8;

    private readonly int[] _inputPrefixEnd;
    private readonly byte[] _inputBlob;
    private readonly int[] _lineEnd;
    private readonly byte[] _lineBlob;

    internal RecordingIndex(ushort recordingFormat, long recordingLength, uint recordingTail, ulong end, bool endedCleanly, string? problem,
        ulong[] inputAt, byte[] inputChannel, int[] inputLength, int[] inputPrefixEnd, byte[] inputBlob,
        ulong[] clockAt, ulong[] lineAt, int[] lineEnd, byte[] lineBlob, IndexedSnapshot[] snapshots)
    {
        RecordingFormat = recordingFormat;
        RecordingLength = recordingLength;
        RecordingTail = recordingTail;
        End = end;
        EndedCleanly = endedCleanly;
        Problem = problem;
        InputAt = inputAt;
        InputChannel = inputChannel;
        InputLength = inputLength;
        _inputPrefixEnd = inputPrefixEnd;
        _inputBlob = inputBlob;
        ClockAt = clockAt;
        LineAt = lineAt;
        _lineEnd = lineEnd;
        _lineBlob = lineBlob;
        Snapshots = snapshots;
    }

    /// <summary>A snapshot kept in the recording.</summary>
    public readonly record struct IndexedSnapshot(ulong Icount, string Name, long Size);

    /// <summary>The recording's format version (its header's).</summary>
    public ushort RecordingFormat { get; }

    /// <summary>The length of the recording this index describes.</summary>
    public long RecordingLength { get; }

    /// <summary>The recording's last four bytes (little-endian), the last record's CRC for a whole recording.</summary>
    public uint RecordingTail { get; }

    /// <summary>The count of the last good record.</summary>
    public ulong End { get; }

    public bool EndedCleanly { get; }

    /// <summary>The reader's truncation or corruption message, or null.</summary>
    public string? Problem { get; }

    /// <summary>Counts of input records and monitor commands, ascending.</summary>
    public ulong[] InputAt { get; }

    /// <summary>Each input's channel (<see cref="Core.Input.InputChannel"/>), or <see cref="MonitorChannel"/>.</summary>
    public byte[] InputChannel { get; }

    /// <summary>Each input's payload length (a monitor command's UTF-8 length).</summary>
    public int[] InputLength { get; }

    /// <summary>Counts of host clock reads, ascending.</summary>
    public ulong[] ClockAt { get; }

    /// <summary>The count at which each console line's last byte was written.</summary>
    public ulong[] LineAt { get; }

    public IReadOnlyList<IndexedSnapshot> Snapshots { get; }

    /// <summary>The first bytes of input <paramref name="i"/> (console bytes or the monitor command; empty for other channels).</summary>
    public ReadOnlySpan<byte> InputPrefix(int i) => _inputBlob.AsSpan(i == 0 ? 0 : _inputPrefixEnd[i - 1], _inputPrefixEnd[i] - (i == 0 ? 0 : _inputPrefixEnd[i - 1]));

    /// <summary>Console line <paramref name="i"/>, its first <see cref="RecordingIndexBuilder.MaxLineBytes"/> bytes.</summary>
    public string Line(int i)
    {
        int start = i == 0 ? 0 : _lineEnd[i - 1];
        return Encoding.UTF8.GetString(_lineBlob, start, _lineEnd[i] - start);
    }

    /// <summary>The index file of the recording at <paramref name="recordingPath"/>.</summary>
    public static string PathFor(string recordingPath) => recordingPath + ".index";

    /// <summary>Reads a whole recording (snapshot payloads checksummed, not kept) into an index.</summary>
    /// <exception cref="RecordingFormatException">The header is unusable.</exception>
    public static RecordingIndex Scan(string recordingPath)
    {
        using var reader = ReplayLogReader.Open(recordingPath, loadSnapshotPayloads: false);
        var builder = new RecordingIndexBuilder();
        while (reader.TryReadNext(out var r)) builder.Add(r);
        var (length, tail) = Fingerprint(recordingPath);
        return builder.Build(reader.Header.Version, length, tail, reader.LastIcount, reader.EndedCleanly, reader.Corruption ?? reader.Truncation);
    }

    /// <summary>
    /// The index beside the recording when there is one that describes it as it is now; null when there
    /// is none or it cannot be used, and then <paramref name="refusal"/> says why in one line (null when
    /// there is simply no index).
    /// </summary>
    public static RecordingIndex? TryLoad(string recordingPath, out string? refusal)
    {
        refusal = null;
        string path = PathFor(recordingPath);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            if (info.Length > MaxSize)
            {
                refusal = $"{path}: not a usable index (impossible size {info.Length})";
                return null;
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refusal = $"{path}: cannot read the index: {e.Message.ReplaceLineEndings(" ")}";
            return null;
        }
        var index = Decode(bytes, out string? why);
        if (index == null)
        {
            refusal = $"{path}: corrupt index ({why})";
            return null;
        }
        (long length, uint tail) current;
        try
        {
            current = Fingerprint(recordingPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refusal = $"{path}: cannot check the index against the recording: {e.Message.ReplaceLineEndings(" ")}";
            return null;
        }
        if (current != (index.RecordingLength, index.RecordingTail))
        {
            refusal = $"{path}: out of date (it describes a recording of {index.RecordingLength} bytes, the file now has {current.length})";
            if (current.length == index.RecordingLength) refusal = $"{path}: out of date (the recording's last record differs)";
            return null;
        }
        return index;
    }

    /// <summary>Writes the index beside the recording (to a temporary file, then renamed: never half a file).</summary>
    public void Save(string recordingPath)
    {
        string path = PathFor(recordingPath);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, Encode());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The recording's length and last four bytes, which the index is bound to.</summary>
    public static (long Length, uint Tail) Fingerprint(string recordingPath)
    {
        using var f = new FileStream(recordingPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        long length = f.Length;
        Span<byte> tail = stackalloc byte[4];
        tail.Clear();
        if (length >= 4)
        {
            f.Position = length - 4;
            f.ReadExactly(tail);
        }
        return (length, BinaryPrimitives.ReadUInt32LittleEndian(tail));
    }

    internal byte[] Encode()
    {
        var w = new ByteWriter();
        w.Bytes(Magic);
        w.U16(CurrentVersion);
        w.U16(0);
        w.Var(RecordingFormat);
        w.Var((ulong)RecordingLength);
        w.U32(RecordingTail);
        w.Var(End);
        w.U8(EndedCleanly ? (byte)1 : (byte)0);
        w.Str(Problem ?? "");
        w.Var((ulong)InputAt.Length);
        ulong last = 0;
        for (int i = 0; i < InputAt.Length; i++)
        {
            w.Var(InputAt[i] - last);
            last = InputAt[i];
            w.U8(InputChannel[i]);
            w.Var((ulong)InputLength[i]);
            var prefix = InputPrefix(i);
            w.Var((ulong)prefix.Length);
            w.Bytes(prefix);
        }
        w.Var((ulong)ClockAt.Length);
        last = 0;
        foreach (ulong at in ClockAt)
        {
            w.Var(at - last);
            last = at;
        }
        w.Var((ulong)LineAt.Length);
        for (int i = 0; i < LineAt.Length; i++)
        {
            w.Var(LineAt[i]);
            int start = i == 0 ? 0 : _lineEnd[i - 1];
            w.Var((ulong)(_lineEnd[i] - start));
            w.Bytes(_lineBlob.AsSpan(start, _lineEnd[i] - start));
        }
        w.Var((ulong)Snapshots.Count);
        foreach (var s in Snapshots)
        {
            w.Var(s.Icount);
            w.Str(s.Name);
            w.Var((ulong)s.Size);
        }
        w.U32(Crc32C.Compute(w.Written));
        return w.ToArray();
    }

    /// <summary>Parses an index file; null and a reason when it is damaged or not one this build reads.</summary>
    internal static RecordingIndex? Decode(ReadOnlySpan<byte> bytes, out string? why)
    {
        why = null;
        if (bytes.Length < Magic.Length + 8 || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            why = "not an index: bad magic";
            return null;
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version != CurrentVersion)
        {
            why = $"index version {version}, this build reads version {CurrentVersion}";
            return null;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]) != Crc32C.Compute(bytes[..^4]))
        {
            why = "checksum mismatch";
            return null;
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[10..]) != 0)
        {
            why = "unknown flags";
            return null;
        }
        var r = new SpanReader(bytes[12..^4]);
        try
        {
            var index = Parse(ref r);
            if (!r.AtEnd) throw new FormatException("bytes after the snapshots");
            return index;
        }
        catch (FormatException e)
        {
            why = $"malformed: {e.Message}";
            return null;
        }
    }

    private static RecordingIndex Parse(ref SpanReader r)
    {
        ulong format = Var(ref r, "format");
        if (format > ushort.MaxValue) throw new FormatException("format");
        ulong length = Var(ref r, "length");
        uint tail = BinaryPrimitives.ReadUInt32LittleEndian(Span(ref r, 4, "tail"));
        ulong end = Var(ref r, "end");
        byte clean = U8(ref r, "ending");
        string problem = Str(ref r, "problem");
        int inputs = Count(ref r, "inputs");
        var inputAt = new ulong[inputs];
        var channel = new byte[inputs];
        var inputLength = new int[inputs];
        var prefixEnd = new int[inputs];
        var blob = new ArrayBufferWriter<byte>();
        ulong at = 0;
        for (int i = 0; i < inputs; i++)
        {
            at = Add(at, Var(ref r, "input count"));
            inputAt[i] = at;
            channel[i] = U8(ref r, "input channel");
            inputLength[i] = (int)Math.Min(Var(ref r, "input length"), int.MaxValue);
            int n = Count(ref r, "input prefix");
            blob.Write(Span(ref r, n, "input prefix"));
            prefixEnd[i] = blob.WrittenCount;
        }
        int clocks = Count(ref r, "clock reads");
        var clockAt = new ulong[clocks];
        at = 0;
        for (int i = 0; i < clocks; i++) clockAt[i] = at = Add(at, Var(ref r, "clock read count"));
        int lines = Count(ref r, "lines");
        var lineAt = new ulong[lines];
        var lineEnd = new int[lines];
        var lineBlob = new ArrayBufferWriter<byte>();
        for (int i = 0; i < lines; i++)
        {
            lineAt[i] = Var(ref r, "line count");
            int n = Count(ref r, "line");
            lineBlob.Write(Span(ref r, n, "line"));
            lineEnd[i] = lineBlob.WrittenCount;
        }
        int snaps = Count(ref r, "snapshots");
        var snapshots = new IndexedSnapshot[snaps];
        for (int i = 0; i < snaps; i++)
        {
            ulong icount = Var(ref r, "snapshot count");
            string name = Str(ref r, "snapshot name");
            snapshots[i] = new IndexedSnapshot(icount, name, (long)Math.Min(Var(ref r, "snapshot size"), long.MaxValue));
        }
        return new RecordingIndex((ushort)format, (long)Math.Min(length, long.MaxValue), tail, end, clean == 1, problem.Length == 0 ? null : problem,
            inputAt, channel, inputLength, prefixEnd, blob.WrittenSpan.ToArray(), clockAt, lineAt, lineEnd, lineBlob.WrittenSpan.ToArray(), snapshots);
    }

    private static ulong Var(ref SpanReader r, string what) => r.Var(out ulong v) ? v : throw new FormatException(what);

    private static byte U8(ref SpanReader r, string what) => r.U8(out byte v) ? v : throw new FormatException(what);

    private static ReadOnlySpan<byte> Span(ref SpanReader r, int n, string what) => r.Span(n, out var v) ? v : throw new FormatException(what);

    private static string Str(ref SpanReader r, string what) => r.Str(out string? v) && v != null ? v : throw new FormatException(what);

    /// <summary>A count of items, each at least a byte: more than the bytes left is damage, not a reason to allocate.</summary>
    private static int Count(ref SpanReader r, string what)
    {
        ulong n = Var(ref r, what);
        return n <= (ulong)r.Rest.Length ? (int)n : throw new FormatException(what);
    }

    private static ulong Add(ulong at, ulong delta) => delta <= ulong.MaxValue - at ? at + delta : throw new FormatException("a count past 2^64");

    private sealed class ByteWriter
    {
        private byte[] _buf = new byte[4096];
        private int _len;

        public ReadOnlySpan<byte> Written => _buf.AsSpan(0, _len);

        public byte[] ToArray() => _buf[.._len];

        public void Bytes(ReadOnlySpan<byte> data) => data.CopyTo(Reserve(data.Length));

        public void U8(byte v) => Reserve(1)[0] = v;

        public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), v);

        public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), v);

        public void Var(ulong v)
        {
            Span<byte> tmp = stackalloc byte[Varint.MaxLength64];
            Bytes(tmp[..Varint.Write(tmp, v)]);
        }

        public void Str(string s)
        {
            byte[] b = Encoding.UTF8.GetBytes(s);
            Var((ulong)b.Length);
            Bytes(b);
        }

        private Span<byte> Reserve(int n)
        {
            if (_buf.Length - _len < n) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + n));
            var span = _buf.AsSpan(_len, n);
            _len += n;
            return span;
        }
    }
}
