using System.Buffers.Binary;
using System.Text;
using Rewind.Core.Input;

namespace Rewind.Replay.Log;

/// <summary>
/// Writes a recording (see docs/recording-format.md). The constructor writes and flushes the header;
/// each Write* call appends one complete, checksummed record to an internal buffer, which goes to the
/// stream and is flushed to the OS every <see cref="FlushEveryRecords"/> records, when it reaches
/// <see cref="FlushEveryBytes"/> bytes, after every snapshot and end record, and whenever
/// <see cref="Flush"/> is called (the caller runs a timer for that). A recorder killed at any moment
/// therefore leaves a file that reads back up to its last flushed record.
/// <para>
/// Icounts must not decrease from one record to the next. Thread-safe: a timer may call
/// <see cref="Flush"/> while the run loop writes. Writing an event allocates nothing once the buffer
/// has grown to its working size, apart from the index's lists of a file recording (see
/// <see cref="Create"/>), which grow by doubling.
/// </para>
/// </summary>
public sealed class ReplayLogWriter : IDisposable
{
    public const int FlushEveryRecords = 64;
    public const int FlushEveryBytes = 64 * 1024;

    /// <summary>The largest record payload the format allows (1 GiB).</summary>
    public const int MaxPayload = 1 << 30;

    /// <summary>Snapshot payloads at least this big bypass the buffer and go straight to the stream.</summary>
    private const int DirectWriteThreshold = 16 * 1024;

    internal static ReadOnlySpan<byte> Magic => "REWINDRR"u8;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Lock _gate = new();
    private byte[] _buf = new byte[8 * 1024];
    private int _len;
    private int _unflushedRecords;
    private ulong _lastIcount;
    private uint _prevCrc; // the last record's CRC, which the next record's CRC starts from (format 3)
    private bool _ended;
    private bool _disposed;
    private long _written; // bytes handed to the stream
    private RecordingIndexBuilder? _index;
    private string? _indexFor;

    public ReplayLogWriter(Stream stream, RecordingHeader header, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        if (!stream.CanWrite)
            throw new ArgumentException("the stream is not writable", nameof(stream));
        if (header.Flags != 0)
            throw new ArgumentException($"header flags 0x{header.Flags:x4} are not defined in format version {RecordingHeader.CurrentVersion}", nameof(header));
        _stream = stream;
        _leaveOpen = leaveOpen;

        byte[] payload = header.EncodePayload();
        if (payload.Length > MaxPayload)
            throw new ArgumentException("header too large", nameof(header));
        Magic.CopyTo(Reserve(Magic.Length));
        _len += Magic.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), RecordingHeader.CurrentVersion);
        _len += 2;
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), header.Flags);
        _len += 2;
        int start = BeginRecord(RecordKind.Header, payload.Length);
        payload.CopyTo(Reserve(payload.Length));
        _len += payload.Length;
        // The header's CRC starts at the magic (PreambleCrcVersion): the preamble sits just before it.
        const int preamble = 12;
        _prevCrc = Crc32C.Compute(_buf.AsSpan(start - preamble, _len - start + preamble));
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), _prevCrc);
        _len += 4;
        FlushCore(toDisk: false);
    }

    /// <summary>
    /// Creates (or overwrites) a recording file. Its index (<see cref="RecordingIndex"/>, beside it) is
    /// gathered as records are written and saved after the End record; an old one is removed now.
    /// </summary>
    public static ReplayLogWriter Create(string path, RecordingHeader header)
    {
        DeleteIndex(path);
        return new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024), header)
        {
            _index = new RecordingIndexBuilder(),
            _indexFor = path,
        };
    }

    /// <summary>Why the index could not be saved after the End record, or null (the timeline then rebuilds it).</summary>
    public string? IndexProblem { get; private set; }

    private static void DeleteIndex(string path)
    {
        try
        {
            File.Delete(RecordingIndex.PathFor(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale index is refused anyway: it is bound to the recording's length and last CRC.
        }
    }

    /// <summary>Number of records written after the header.</summary>
    public long RecordCount { get; private set; }

    /// <summary>The icount of the last record written.</summary>
    public ulong LastIcount => _lastIcount;

    public void WriteInput(ulong icount, InputChannel channel, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            ulong delta = Delta(icount);
            int start = BeginRecord(RecordKind.InputEvent, Varint.Size(delta) + 1 + data.Length);
            PutVar(delta);
            Put((byte)channel);
            Put(data);
            Commit(start, icount);
            _index?.Input(icount, channel, data);
        }
    }

    public void WriteClockRead(ulong icount, ulong value)
    {
        lock (_gate)
        {
            ulong delta = Delta(icount);
            int start = BeginRecord(RecordKind.ClockRead, Varint.Size(delta) + 8);
            PutVar(delta);
            BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
            _len += 8;
            Commit(start, icount);
            _index?.ClockRead(icount);
        }
    }

    /// <summary>A machine-state digest of 1 to 255 bytes (e.g. SHA-256 or a 64-bit hash).</summary>
    public void WriteDigest(ulong icount, ReadOnlySpan<byte> digest)
    {
        if (digest.Length is 0 or > 255)
            throw new ArgumentOutOfRangeException(nameof(digest), "a digest is 1 to 255 bytes");
        lock (_gate)
        {
            ulong delta = Delta(icount);
            int start = BeginRecord(RecordKind.Digest, Varint.Size(delta) + 1 + digest.Length);
            PutVar(delta);
            Put((byte)digest.Length);
            Put(digest);
            Commit(start, icount);
        }
    }

    /// <summary>Stores an opaque snapshot payload under a name. Always flushed to the OS at once.</summary>
    public void WriteSnapshot(ulong icount, string name, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(name);
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        lock (_gate)
        {
            ulong delta = Delta(icount);
            long size = (long)Varint.Size(delta) + Varint.Size((ulong)nameBytes) + nameBytes + payload.Length;
            if (size > MaxPayload)
                throw new ArgumentOutOfRangeException(nameof(payload), $"a snapshot record is limited to {MaxPayload} bytes");
            int start = BeginRecord(RecordKind.Snapshot, (int)size);
            PutVar(delta);
            PutVar((ulong)nameBytes);
            _len += Encoding.UTF8.GetBytes(name, Reserve(nameBytes));
            if (payload.Length < DirectWriteThreshold)
            {
                Put(payload);
                Commit(start, icount);
            }
            else
            {
                // Checksum prefix + payload without copying the payload into the buffer.
                uint crc = Crc32C.Update(ChainSeed(_prevCrc), _buf.AsSpan(start, _len - start));
                crc = ~Crc32C.Update(crc, payload);
                _prevCrc = crc;
                _stream.Write(_buf, 0, _len);
                _written += _len + payload.Length;
                _len = 0;
                _stream.Write(payload);
                BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), crc);
                _len += 4;
                _lastIcount = icount;
                RecordCount++;
                _unflushedRecords++;
            }
            _index?.Snapshot(icount, name, payload.Length);
            FlushCore(toDisk: false);
        }
    }

    /// <summary>The state sections the digests that follow cover, as <c>name:version</c> pairs separated by spaces.</summary>
    public void WriteStateLayout(ulong icount, string layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        lock (_gate)
            WriteTextRecord(RecordKind.StateLayout, icount, layout);
    }

    /// <summary>
    /// Console output: <paramref name="data"/> written by the guest, its last byte at instruction
    /// <paramref name="lastByteIcount"/>; the record itself is stamped <paramref name="icount"/> (now,
    /// which may be later: the end of a recording flushes an unfinished line). Not an input: a replay
    /// computes the output again; the record makes it searchable by time without a replay.
    /// </summary>
    public void WriteOutput(ulong icount, ulong lastByteIcount, ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lastByteIcount, icount);
        lock (_gate)
        {
            ulong delta = Delta(icount);
            ulong back = icount - lastByteIcount;
            int start = BeginRecord(RecordKind.Output, Varint.Size(delta) + Varint.Size(back) + data.Length);
            PutVar(delta);
            PutVar(back);
            Put(data);
            Commit(start, icount);
            _index?.Output(lastByteIcount, data);
        }
    }

    public void WriteMonitor(ulong icount, string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_gate)
        {
            WriteTextRecord(RecordKind.Monitor, icount, command);
            _index?.Monitor(icount, Encoding.UTF8.GetBytes(command));
        }
    }

    /// <summary>Ends the recording (e.g. "poweroff", "exit 3", "quit") and flushes it to disk.</summary>
    public void WriteEnd(ulong icount, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_gate)
        {
            WriteTextRecord(RecordKind.End, icount, reason);
            _ended = true;
            FlushCore(toDisk: true);
            SaveIndex(icount);
        }
    }

    /// <summary>Pushes everything written so far to the OS (it survives the recorder being killed).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (!_disposed)
                FlushCore(toDisk: false);
        }
    }

    /// <summary>
    /// Pushes everything written so far to the OS and, for a file, on to the disk (fsync), so it also
    /// survives a power loss. The recorder calls it once a second.
    /// </summary>
    public void FlushToDisk()
    {
        lock (_gate)
        {
            if (!_disposed)
                FlushCore(toDisk: true);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            try
            {
                FlushCore(toDisk: true);
            }
            finally
            {
                _disposed = true;
                if (!_leaveOpen)
                    _stream.Dispose();
            }
        }
    }

    /// <summary>
    /// After the End record, which is on the disk: the index, bound to the file as it now is. Best
    /// effort: a recording without its index is whole, and the timeline rebuilds the index.
    /// </summary>
    private void SaveIndex(ulong end)
    {
        if (_index == null || _indexFor == null) return;
        try
        {
            _index.Build(RecordingHeader.CurrentVersion, _written, _prevCrc, end, endedCleanly: true, problem: null).Save(_indexFor);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            IndexProblem = $"{RecordingIndex.PathFor(_indexFor)}: not written: {e.Message.ReplaceLineEndings(" ")}";
        }
        _index = null;
    }

    /// <summary>Caller holds the lock.</summary>
    private void WriteTextRecord(RecordKind kind, ulong icount, string text)
    {
        int textBytes = Encoding.UTF8.GetByteCount(text);
        {
            ulong delta = Delta(icount);
            long size = (long)Varint.Size(delta) + textBytes;
            if (size > MaxPayload)
                throw new ArgumentOutOfRangeException(nameof(text), "text too long");
            int start = BeginRecord(kind, (int)size);
            PutVar(delta);
            _len += Encoding.UTF8.GetBytes(text, Reserve(textBytes));
            Commit(start, icount);
        }
    }

    private ulong Delta(ulong icount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended)
            throw new InvalidOperationException("the recording has already ended");
        if (icount < _lastIcount)
            throw new ArgumentOutOfRangeException(nameof(icount),
                $"icount {icount} is before the previous record's icount {_lastIcount}");
        return icount - _lastIcount;
    }

    /// <summary>Writes kind and payload length; returns the buffer offset of the record (for the CRC).</summary>
    private int BeginRecord(RecordKind kind, int payloadLength)
    {
        int start = _len;
        Reserve(1 + 5 + Math.Min(payloadLength, DirectWriteThreshold) + 4);
        _buf[_len++] = (byte)kind;
        PutVar((ulong)payloadLength);
        return start;
    }

    private void EndRecord(int start)
    {
        uint crc = ~Crc32C.Update(ChainSeed(_prevCrc), _buf.AsSpan(start, _len - start));
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), crc);
        _len += 4;
        _prevCrc = crc;
    }

    /// <summary>
    /// Format 3: a record's CRC covers the previous record's CRC (4 bytes, little-endian) before its
    /// own bytes, so a removed, duplicated or reordered record breaks the chain. Returns the running
    /// CRC state after those 4 bytes.
    /// </summary>
    internal static uint ChainSeed(uint previousCrc)
    {
        Span<byte> prev = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(prev, previousCrc);
        return Crc32C.Update(~0u, prev);
    }

    private void Commit(int start, ulong icount)
    {
        EndRecord(start);
        _lastIcount = icount;
        RecordCount++;
        if (++_unflushedRecords >= FlushEveryRecords || _len >= FlushEveryBytes)
            FlushCore(toDisk: false);
    }

    private void FlushCore(bool toDisk)
    {
        if (_len > 0)
        {
            _stream.Write(_buf, 0, _len);
            _written += _len;
            _len = 0;
        }
        if (toDisk && _stream is FileStream fs)
            fs.Flush(flushToDisk: true);
        else
            _stream.Flush();
        _unflushedRecords = 0;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buf.Length - _len < count)
        {
            int size = Math.Max(_buf.Length * 2, _len + count);
            Array.Resize(ref _buf, size);
        }
        return _buf.AsSpan(_len, count);
    }

    private void PutVar(ulong value) => _len += Varint.Write(Reserve(Varint.MaxLength64), value);

    private void Put(byte value)
    {
        Reserve(1);
        _buf[_len++] = value;
    }

    private void Put(ReadOnlySpan<byte> data)
    {
        data.CopyTo(Reserve(data.Length));
        _len += data.Length;
    }
}
