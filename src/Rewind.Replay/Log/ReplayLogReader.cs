using System.Buffers.Binary;
using System.Text;
using Rewind.Core.Input;

namespace Rewind.Replay.Log;

/// <summary>
/// Reads a recording written by <see cref="ReplayLogWriter"/>. The constructor reads and validates the
/// header and throws <see cref="RecordingFormatException"/> when the file is not a usable recording.
/// After that, <see cref="TryReadNext"/> returns the records in order and never throws for bad data:
/// it stops at the end record, at a truncated tail (setting <see cref="Truncation"/>) or at a damaged
/// record (setting <see cref="Corruption"/>). I/O errors of the stream itself still propagate.
/// </summary>
public sealed class ReplayLogReader : IDisposable
{
    /// <summary>The largest payload a reader accepts; a larger length can only be damage.</summary>
    public const int MaxPayload = ReplayLogWriter.MaxPayload;

    /// <summary>The largest header payload accepted (16 MiB).</summary>
    public const int MaxHeaderPayload = 16 << 20;

    private const int GrowChunk = 1 << 20;
    private const int SnapshotPrefix = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _loadSnapshots;
    private readonly long _length = -1;
    private readonly long _origin;
    private readonly byte[] _small = new byte[16];
    private byte[]? _scratch;
    private long _pos;
    private bool _stopped;
    private bool _chained;
    private uint _prevCrc;

    /// <param name="loadSnapshotPayloads">
    /// False to skip snapshot payloads (still checksummed): their <see cref="LogRecord.Data"/> is empty
    /// and <see cref="LogRecord.DataLength"/> gives the size. Saves memory when only scanning.
    /// </param>
    public ReplayLogReader(Stream stream, bool leaveOpen = false, bool loadSnapshotPayloads = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _loadSnapshots = loadSnapshotPayloads;
        if (stream.CanSeek)
        {
            _origin = stream.Position;
            _length = stream.Length - _origin;
        }
        try
        {
            Header = ReadHeader();
            _chained = Header.Version >= RecordingHeader.ChainedCrcVersion;
        }
        catch
        {
            if (!leaveOpen)
                stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a recording file; header errors name the file.</summary>
    public static ReplayLogReader Open(string path, bool loadSnapshotPayloads = true)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
        try
        {
            return new ReplayLogReader(stream, leaveOpen: false, loadSnapshotPayloads);
        }
        catch (RecordingFormatException e)
        {
            throw new RecordingFormatException($"{path}: {e.Message}", e);
        }
    }

    public RecordingHeader Header { get; }

    /// <summary>Set when the file ends without an end record; says how far it got.</summary>
    public string? Truncation { get; private set; }

    /// <summary>Set when a record is damaged; says which one and where.</summary>
    public string? Corruption { get; private set; }

    /// <summary>True once the end record has been read.</summary>
    public bool EndReached { get; private set; }

    /// <summary>The reason in the end record, once read.</summary>
    public string? EndReason { get; private set; }

    /// <summary>Complete, valid records read after the header.</summary>
    public long RecordCount { get; private set; }

    /// <summary>The icount of the last valid record (0 before any).</summary>
    public ulong LastIcount { get; private set; }

    /// <summary>Bytes consumed from the stream so far.</summary>
    public long Position => _pos;

    /// <summary>True when reading stopped at the end record with nothing after it.</summary>
    public bool EndedCleanly => EndReached && Truncation is null && Corruption is null;

    /// <summary>
    /// Reads the next record. Returns false at the end of the recording, or when it is truncated or
    /// damaged (see <see cref="Truncation"/> and <see cref="Corruption"/>); once false, always false.
    /// </summary>
    public bool TryReadNext(out LogRecord record)
    {
        record = default;
        if (_stopped)
            return false;
        long offset = _pos;
        long index = RecordCount + 1;

        int got = ReadSome(_small.AsSpan(0, 1));
        if (got == 0)
            return Truncated(0);
        if (EndReached)
        {
            long extra = _length >= 0 ? _length - offset : 1;
            return Corrupt($"unexpected data after the end record at byte offset {offset} ({(extra > 1 ? $"{extra} bytes" : "at least 1 byte")})");
        }
        var kind = (RecordKind)_small[0];

        // Payload length: a varint of at most 5 bytes, no larger than MaxPayload.
        int lengthBytes = 0;
        ulong length = 0;
        while (true)
        {
            if (ReadSome(_small.AsSpan(1 + lengthBytes, 1)) == 0)
                return Truncated(_pos - offset);
            byte b = _small[1 + lengthBytes];
            length |= (ulong)(b & 0x7F) << (7 * lengthBytes);
            lengthBytes++;
            if ((b & 0x80) == 0)
                break;
            if (lengthBytes == 5)
                return Corrupt(RecordMessage(index, offset, "impossible length"));
        }
        if (length > MaxPayload)
            return Corrupt(RecordMessage(index, offset, $"impossible length {length}"));
        int len = (int)length;
        if (_length >= 0 && _pos + len + 4 > _length)
        {
            // Not enough bytes left for this record: the recorder stopped while writing it, unless
            // the file still ends with an intact end record, which a killed recorder never writes.
            if (EndsWithIntactEndRecord(offset))
                return Corrupt(RecordMessage(index, offset, $"its length {length} runs past the end record"));
            long left = _length - offset;
            _pos = _length;
            return Truncated(left);
        }

        uint crc = Crc32C.Update(_chained ? ReplayLogWriter.ChainSeed(_prevCrc) : ~0u, _small.AsSpan(0, 1 + lengthBytes));
        byte[] payload;
        int kept;
        int skipped = 0;
        if (kind == RecordKind.Snapshot && !_loadSnapshots && len > SnapshotPrefix)
        {
            payload = new byte[SnapshotPrefix];
            if (ReadSome(payload) < SnapshotPrefix)
                return Truncated(_pos - offset);
            crc = Crc32C.Update(crc, payload);
            _scratch ??= new byte[64 * 1024];
            int rest = len - SnapshotPrefix;
            while (rest > 0)
            {
                int n = ReadSome(_scratch.AsSpan(0, Math.Min(rest, _scratch.Length)));
                crc = Crc32C.Update(crc, _scratch.AsSpan(0, n));
                if (n == 0)
                    return Truncated(_pos - offset);
                rest -= n;
            }
            kept = SnapshotPrefix;
            skipped = len - SnapshotPrefix;
        }
        else
        {
            payload = ReadPayload(len, out kept);
            if (kept < len)
                return Truncated(_pos - offset);
            crc = Crc32C.Update(crc, payload.AsSpan(0, len));
        }
        if (ReadSome(_small.AsSpan(0, 4)) < 4)
            return Truncated(_pos - offset);
        if (BinaryPrimitives.ReadUInt32LittleEndian(_small) != ~crc)
            return Corrupt(RecordMessage(index, offset, "checksum mismatch"));
        _prevCrc = ~crc;

        string? problem = Parse(kind, payload.AsMemory(0, kept), skipped, index, offset, out record);
        if (problem is not null)
            return Corrupt(RecordMessage(index, offset, problem));
        RecordCount++;
        LastIcount = record.Icount;
        if (kind == RecordKind.End)
        {
            EndReached = true;
            EndReason = record.Text;
        }
        return true;
    }

    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }

    private string? Parse(RecordKind kind, ReadOnlyMemory<byte> payload, int skipped, long index, long offset, out LogRecord record)
    {
        record = default;
        var r = new SpanReader(payload.Span);
        if (kind is RecordKind.Header)
            return "a second header record";
        var lastKind = Header.Version >= RecordingHeader.OutputVersion ? RecordKind.Output : RecordKind.StateLayout;
        if (kind < RecordKind.InputEvent || kind > lastKind)
            return $"unknown record kind 0x{(byte)kind:x2}";
        if (!r.Var(out ulong delta))
            return $"malformed {kind} record (bad icount)";
        if (delta > ulong.MaxValue - LastIcount)
            return $"malformed {kind} record (its icount goes back: the delta wraps past 2^64 from {LastIcount})";
        ulong icount = LastIcount + delta;
        switch (kind)
        {
            case RecordKind.InputEvent:
                if (!r.U8(out byte channel))
                    return "malformed InputEvent record (no channel)";
                var data = payload[r.Position..];
                record = new LogRecord(kind, icount, (InputChannel)channel, data, data.Length, 0, null, index, offset);
                return null;
            case RecordKind.ClockRead:
                if (!r.Span(8, out var v) || !r.AtEnd)
                    return "malformed ClockRead record";
                record = new LogRecord(kind, icount, 0, default, 0, BinaryPrimitives.ReadUInt64LittleEndian(v), null, index, offset);
                return null;
            case RecordKind.Digest:
                if (!r.U8(out byte dlen) || dlen == 0 || r.Rest.Length != dlen)
                    return "malformed Digest record (digest length does not match)";
                var digest = payload[r.Position..];
                record = new LogRecord(kind, icount, 0, digest, digest.Length, 0, null, index, offset);
                return null;
            case RecordKind.Output:
                {
                    if (!r.Var(out ulong back) || back > icount)
                        return "malformed Output record (its last byte's count goes before the start)";
                    var bytes = payload[r.Position..];
                    record = new LogRecord(kind, icount, 0, bytes, bytes.Length, icount - back, null, index, offset);
                    return null;
                }
            case RecordKind.Snapshot:
                if (!r.Str(out string? name))
                    return "malformed Snapshot record (bad name)";
                var snap = skipped > 0 ? ReadOnlyMemory<byte>.Empty : payload[r.Position..];
                record = new LogRecord(kind, icount, 0, snap, payload.Length - r.Position + skipped, 0, name, index, offset);
                return null;
            default: // Monitor, End, StateLayout
                string text;
                try
                {
                    text = SpanReader.Utf8Strict.GetString(r.Rest);
                }
                catch (DecoderFallbackException)
                {
                    return $"malformed {kind} record (text is not UTF-8)";
                }
                record = new LogRecord(kind, icount, 0, default, 0, 0, text, index, offset);
                return null;
        }
    }

    private static string RecordMessage(long index, long offset, string what) =>
        $"record {index} at byte offset {offset} is corrupt ({what})";

    private bool Truncated(long partialBytes)
    {
        _stopped = true;
        if (EndReached)
            return false; // clean end of file after the end record
        string tail = partialBytes > 0 ? $"; the last {partialBytes} bytes hold an incomplete record" : "";
        Truncation = $"recording ends after {RecordCount} complete records at icount {LastIcount} without an end record (the recorder was probably killed){tail}";
        return false;
    }

    /// <summary>True if the last bytes of a seekable file, after <paramref name="after"/>, form a whole end record with a good checksum.</summary>
    private bool EndsWithIntactEndRecord(long after)
    {
        if (!_stream.CanSeek || _length < 0) return false;
        int n = (int)Math.Min(68, _length - after - 1);
        if (n < 6) return false;
        long saved = _stream.Position;
        var tail = new byte[n];
        try
        {
            _stream.Position = _origin + _length - n;
            _stream.ReadExactly(tail);
        }
        finally
        {
            _stream.Position = saved;
        }
        for (int start = 0; start + 6 <= n; start++)
        {
            if (tail[start] != (byte)RecordKind.End) continue;
            int lengthBytes = 0, len = 0;
            while (lengthBytes < 2 && start + 1 + lengthBytes < n)
            {
                byte b = tail[start + 1 + lengthBytes];
                len |= (b & 0x7F) << (7 * lengthBytes);
                lengthBytes++;
                if ((b & 0x80) == 0) break;
            }
            int total = 1 + lengthBytes + len + 4;
            if (start + total != n) continue;
            // Chained: the 4 bytes before the end record are the previous record's CRC.
            if (_chained && start < 4) continue;
            uint seed = _chained ? ReplayLogWriter.ChainSeed(BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(start - 4))) : ~0u;
            uint crc = ~Crc32C.Update(seed, tail.AsSpan(start, 1 + lengthBytes + len));
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(n - 4)) == crc) return true;
        }
        return false;
    }

    private bool Corrupt(string message)
    {
        _stopped = true;
        Corruption = message;
        return false;
    }

    /// <summary>
    /// Reads <paramref name="len"/> bytes into a new array. When the stream length is unknown, the array
    /// grows with the data actually present, so a damaged length cannot make it allocate a gigabyte.
    /// </summary>
    private byte[] ReadPayload(int len, out int got)
    {
        if (_length >= 0 || len <= GrowChunk)
        {
            var exact = new byte[len];
            got = ReadSome(exact);
            return exact;
        }
        var buf = new byte[GrowChunk];
        got = 0;
        while (got < len)
        {
            if (got == buf.Length)
                Array.Resize(ref buf, (int)Math.Min((long)buf.Length * 2, len));
            int n = ReadSome(buf.AsSpan(got, Math.Min(buf.Length, len) - got));
            if (n == 0)
                break;
            got += n;
        }
        return buf;
    }

    /// <summary>Reads until the span is full or the stream ends; returns the count read.</summary>
    private int ReadSome(Span<byte> dest)
    {
        int n = _stream.ReadAtLeast(dest, dest.Length, throwOnEndOfStream: false);
        _pos += n;
        return n;
    }

    private RecordingHeader ReadHeader()
    {
        Span<byte> pre = stackalloc byte[12];
        int got = ReadSome(pre);
        ReadOnlySpan<byte> magic = ReplayLogWriter.Magic;
        if (got == 0)
            throw new RecordingFormatException("not a Rewind recording (the file is empty)");
        if (!pre[..Math.Min(got, 8)].SequenceEqual(magic[..Math.Min(got, 8)]))
            throw new RecordingFormatException("not a Rewind recording (bad magic: expected \"REWINDRR\")");
        if (got < 12)
            throw HeaderError("the file ends inside the header");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]);
        if (version is < RecordingHeader.OldestReadableVersion or > RecordingHeader.CurrentVersion)
            throw new RecordingFormatException(
                $"unsupported recording format version {version} (this build reads versions {RecordingHeader.OldestReadableVersion} to {RecordingHeader.CurrentVersion})");
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(pre[10..]);
        if (flags != 0)
            throw new RecordingFormatException($"unsupported recording flags 0x{flags:x4} (this build knows none)");

        if (ReadSome(_small.AsSpan(0, 1)) == 0)
            throw HeaderError("the file ends inside the header");
        if (_small[0] != (byte)RecordKind.Header)
            throw HeaderError($"expected a header record, found kind 0x{_small[0]:x2}");
        int lengthBytes = 0;
        ulong length = 0;
        while (true)
        {
            if (ReadSome(_small.AsSpan(1 + lengthBytes, 1)) == 0)
                throw HeaderError("the file ends inside the header");
            byte b = _small[1 + lengthBytes];
            length |= (ulong)(b & 0x7F) << (7 * lengthBytes);
            lengthBytes++;
            if ((b & 0x80) == 0)
                break;
            if (lengthBytes == 5)
                throw HeaderError("impossible length");
        }
        if (length > MaxHeaderPayload)
            throw HeaderError("impossible length");
        if (_length >= 0 && _pos + (long)length + 4 > _length)
            throw HeaderError("the file ends inside the header");
        byte[] payload = ReadPayload((int)length, out int kept);
        if (kept < (int)length || ReadSome(_small.AsSpan(8, 4)) < 4)
            throw HeaderError("the file ends inside the header");
        uint crc = version >= RecordingHeader.PreambleCrcVersion ? Crc32C.Update(~0u, pre) : ~0u;
        crc = Crc32C.Update(crc, _small.AsSpan(0, 1 + lengthBytes));
        crc = ~Crc32C.Update(crc, payload);
        if (BinaryPrimitives.ReadUInt32LittleEndian(_small.AsSpan(8)) != crc)
            throw HeaderError("checksum mismatch");
        _prevCrc = crc;
        return RecordingHeader.DecodePayload(payload, version, flags, out string? error)
            ?? throw HeaderError(error ?? "malformed");
    }

    private static RecordingFormatException HeaderError(string what) => new($"corrupt recording header ({what})");
}
