using System.Buffers.Binary;
using System.Security.Cryptography;
using Rewind.Core.Input;

namespace Rewind.Devices.Block;

/// <summary>
/// Builds the <see cref="DiskReadCheck"/> of one request: every byte range the disk read from its base
/// image, cut into 4 KiB-aligned blocks, each hashed. Only reads of the image count (the overlay is
/// machine state, which digests and snapshots already cover). The buffer is reused, so a request
/// allocates nothing once it has grown.
/// </summary>
public sealed class DiskReadFingerprint
{
    private byte[] _buffer = new byte[256];
    private int _length;
    private int _runAt = -1; // where the open run's header is
    private long _runEnd;

    public bool IsEmpty => _length <= 1;
    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);

    public void Begin(byte device)
    {
        _buffer[0] = device;
        _length = 1;
        _runAt = -1;
    }

    /// <summary>The disk read <paramref name="data"/> from its image at <paramref name="offset"/>.</summary>
    public void Add(long offset, ReadOnlySpan<byte> data)
    {
        if (_length == 0) return; // not begun: nobody checks
        Span<byte> hash = stackalloc byte[32];
        while (data.Length > 0)
        {
            int n = (int)Math.Min(data.Length, DiskReadCheck.BlockSize - offset % DiskReadCheck.BlockSize);
            if (_runAt < 0 || offset != _runEnd)
            {
                Grow(DiskReadCheck.RunHeaderSize);
                _runAt = _length;
                BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), (ulong)offset);
                BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length + 8), 0);
                _length += DiskReadCheck.RunHeaderSize;
            }
            SHA256.HashData(data[..n], hash);
            Grow(DiskReadCheck.HashSize);
            hash[..DiskReadCheck.HashSize].CopyTo(_buffer.AsSpan(_length));
            _length += DiskReadCheck.HashSize;
            var count = _buffer.AsSpan(_runAt + 8, 4);
            BinaryPrimitives.WriteUInt32LittleEndian(count, BinaryPrimitives.ReadUInt32LittleEndian(count) + 1);
            offset += n;
            _runEnd = offset;
            data = data[n..];
        }
    }

    /// <summary>Stops collecting until the next <see cref="Begin"/>.</summary>
    public void End() => _length = 0;

    private void Grow(int more)
    {
        if (_length + more > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}
