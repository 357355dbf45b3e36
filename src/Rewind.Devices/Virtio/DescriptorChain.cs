namespace Rewind.Devices.Virtio;

/// <summary>
/// One request taken from a virtqueue: its head index and its buffers in order, device-readable ones
/// first. The arrays are reused from request to request so that taking one allocates nothing.
/// </summary>
public sealed class DescriptorChain
{
    private ulong[] _address = new ulong[16];
    private uint[] _length = new uint[16];
    private bool[] _writable = new bool[16];

    public ushort Head { get; internal set; }
    public int Count { get; private set; }
    public long ReadableLength { get; private set; }
    public long WritableLength { get; private set; }
    /// <summary>A buffer lies (partly) outside RAM: the device must fail the request rather than touch it.</summary>
    public bool OutsideRam { get; private set; }

    public ulong Address(int i) => _address[i];
    public uint Length(int i) => _length[i];
    public bool Writable(int i) => _writable[i];

    internal void Clear()
    {
        Count = 0;
        ReadableLength = WritableLength = 0;
        OutsideRam = false;
    }

    internal void Add(ulong address, uint length, bool writable, bool inRam)
    {
        if (Count == _address.Length)
        {
            Array.Resize(ref _address, Count * 2);
            Array.Resize(ref _length, Count * 2);
            Array.Resize(ref _writable, Count * 2);
        }
        _address[Count] = address;
        _length[Count] = length;
        _writable[Count] = writable;
        Count++;
        if (writable) WritableLength += length;
        else ReadableLength += length;
        if (!inRam) OutsideRam = true;
    }

    /// <summary>Copies device-readable bytes from <paramref name="offset"/> (counted over the readable buffers) into <paramref name="destination"/>; returns how many.</summary>
    public int Gather(GuestMemory memory, long offset, Span<byte> destination)
    {
        int done = 0;
        for (int i = 0; i < Count && done < destination.Length; i++)
        {
            if (_writable[i]) continue;
            long len = _length[i];
            if (offset >= len)
            {
                offset -= len;
                continue;
            }
            int n = (int)Math.Min(len - offset, destination.Length - done);
            if (!memory.TryRead(_address[i] + (ulong)offset, destination.Slice(done, n))) return done;
            done += n;
            offset = 0;
        }
        return done;
    }

    /// <summary>Copies <paramref name="data"/> into the device-writable buffers from <paramref name="offset"/> (counted over them); returns how many bytes fit.</summary>
    public int Scatter(GuestMemory memory, long offset, ReadOnlySpan<byte> data)
    {
        int done = 0;
        for (int i = 0; i < Count && done < data.Length; i++)
        {
            if (!_writable[i]) continue;
            long len = _length[i];
            if (offset >= len)
            {
                offset -= len;
                continue;
            }
            int n = (int)Math.Min(len - offset, data.Length - done);
            if (!memory.TryWrite(_address[i] + (ulong)offset, data.Slice(done, n))) return done;
            done += n;
            offset = 0;
        }
        return done;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with each piece of the writable buffers between <paramref name="offset"/>
    /// and <paramref name="offset"/> + <paramref name="length"/>: (guest address, length, position in the range).
    /// </summary>
    public void ForEachWritable(long offset, long length, Action<ulong, int, long> visit)
    {
        long pos = 0;
        for (int i = 0; i < Count && pos < length; i++)
        {
            if (!_writable[i]) continue;
            long len = _length[i];
            if (offset >= len)
            {
                offset -= len;
                continue;
            }
            int n = (int)Math.Min(len - offset, length - pos);
            visit(_address[i] + (ulong)offset, n, pos);
            pos += n;
            offset = 0;
        }
    }

    /// <summary>As <see cref="ForEachWritable"/>, over the device-readable buffers.</summary>
    public void ForEachReadable(long offset, long length, Action<ulong, int, long> visit)
    {
        long pos = 0;
        for (int i = 0; i < Count && pos < length; i++)
        {
            if (_writable[i]) continue;
            long len = _length[i];
            if (offset >= len)
            {
                offset -= len;
                continue;
            }
            int n = (int)Math.Min(len - offset, length - pos);
            visit(_address[i] + (ulong)offset, n, pos);
            pos += n;
            offset = 0;
        }
    }

    /// <summary>The guest address of the last writable byte (the virtio-blk status byte), or null.</summary>
    public ulong? LastWritableByte()
    {
        for (int i = Count - 1; i >= 0; i--)
            if (_writable[i] && _length[i] > 0) return _address[i] + _length[i] - 1;
        return null;
    }
}
