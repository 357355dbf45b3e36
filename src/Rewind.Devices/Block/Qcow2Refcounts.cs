using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Rewind.Devices.Block;

/// <summary>
/// A writable qcow2 image's host cluster reference counts (qcow2.txt, "Host cluster management"): a
/// refcount table of refcount block offsets, each block an array of refcount_bits-wide counts, one per
/// host cluster. Refcounts are kept exact on every change (no lazy refcounts), so `qemu-img check` finds
/// no leaks and no errors after Rewind has written an image. New clusters are taken from the end of the
/// file; a refcount block that does not exist yet is placed in the first cluster it describes that is
/// free, so it always counts itself. Growing the refcount table is not done: with the default 64 KiB
/// clusters one table cluster covers 16 TiB of image file, and an image that needs more is refused
/// with a one-line error at the write.
/// </summary>
internal sealed class Qcow2Refcounts
{
    private const ulong OffsetMask = 0x00ff_ffff_ffff_fe00;
    private readonly SafeFileHandle _file;
    private readonly string _path;
    private readonly int _clusterBits;
    private readonly int _bits;
    private readonly long _entriesPerBlock;
    private readonly long _tableOffset;
    private readonly ulong[] _table;
    private readonly Dictionary<long, byte[]> _blocks = [];
    private long _nextFree;

    private Qcow2Refcounts(SafeFileHandle file, string path, int clusterBits, int bits, long tableOffset, ulong[] table, long fileLength)
    {
        _file = file;
        _path = path;
        _clusterBits = clusterBits;
        _bits = bits;
        _entriesPerBlock = (8L << clusterBits) / bits;
        _tableOffset = tableOffset;
        _table = table;
        _nextFree = (fileLength + (1L << clusterBits) - 1) >> clusterBits;
    }

    /// <summary>Reads and checks the refcount table; a bad one is refused in one line.</summary>
    public static Qcow2Refcounts Load(string path, SafeFileHandle file, int clusterBits, int refcountOrder,
        ulong tableOffset, uint tableClusters, long fileLength)
    {
        Exception Bad(string why) => new BlockImageException($"'{path}': cannot write to this qcow2 image: {why} (check it with: qemu-img check {path})");
        long clusterSize = 1L << clusterBits;
        if (tableClusters == 0 || tableOffset == 0 || tableOffset % (ulong)clusterSize != 0
            || tableOffset > (ulong)fileLength || (ulong)tableClusters * (ulong)clusterSize > (ulong)fileLength - tableOffset)
            throw Bad($"its refcount table ({tableClusters} clusters at byte {tableOffset}) is misaligned or lies outside the file");
        if ((ulong)tableClusters * (ulong)clusterSize > 8 * 1024 * 1024) throw Bad("its refcount table is larger than QEMU's 8 MiB limit");
        var bytes = new byte[tableClusters * clusterSize];
        int got = 0;
        while (got < bytes.Length)
        {
            int n = RandomAccess.Read(file, bytes.AsSpan(got), (long)tableOffset + got);
            if (n <= 0) throw Bad("its refcount table is cut short by the end of the file");
            got += n;
        }
        var table = new ulong[bytes.Length / 8];
        for (int i = 0; i < table.Length; i++)
        {
            ulong e = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
            ulong block = e & OffsetMask;
            if ((e & ~OffsetMask) != 0 || block % (ulong)clusterSize != 0 || (block != 0 && block >= (ulong)fileLength))
                throw Bad($"refcount table entry {i} (0x{e:x16}) is malformed or points past the end of the file");
            table[i] = block;
        }
        return new Qcow2Refcounts(file, path, clusterBits, 1 << refcountOrder, (long)tableOffset, table, fileLength);
    }

    /// <summary>The reference count of the host cluster at <paramref name="hostOffset"/>.</summary>
    public ulong Get(long hostOffset)
    {
        long cluster = hostOffset >> _clusterBits;
        long ti = cluster / _entriesPerBlock;
        if (ti >= _table.Length || _table[ti] == 0) return 0;
        return Entry(Block((long)_table[ti]), cluster % _entriesPerBlock);
    }

    /// <summary>
    /// A free host cluster at the end of the file, its refcount now 1. The caller writes the whole
    /// cluster (data or a table) before anything points to it.
    /// </summary>
    public long Allocate()
    {
        while (true)
        {
            long cluster = _nextFree++;
            long ti = cluster / _entriesPerBlock;
            if (ti >= _table.Length)
                throw new IOException($"'{_path}': the qcow2 image's refcount table is full; Rewind does not grow it (qemu-img convert -O qcow2 makes a copy with room)");
            if (_table[ti] == 0)
            {
                // This cluster becomes the refcount block of its own range, counting itself.
                long blockOffset = cluster << _clusterBits;
                var block = new byte[1L << _clusterBits];
                SetEntry(block, cluster % _entriesPerBlock, 1);
                RandomAccess.Write(_file, block, blockOffset);
                _blocks[blockOffset] = block;
                _table[ti] = (ulong)blockOffset;
                Span<byte> entry = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(entry, (ulong)blockOffset);
                RandomAccess.Write(_file, entry, _tableOffset + ti * 8);
                continue;
            }
            var refs = Block((long)_table[ti]);
            long index = cluster % _entriesPerBlock;
            if (Entry(refs, index) != 0) continue; // in use although past the end of the file (a preallocated tail)
            Set(refs, (long)_table[ti], index, 1);
            return cluster << _clusterBits;
        }
    }

    /// <summary>Drops one reference to the host cluster at <paramref name="hostOffset"/> (a copy-on-write left it).</summary>
    public void Release(long hostOffset)
    {
        long cluster = hostOffset >> _clusterBits;
        long ti = cluster / _entriesPerBlock;
        ulong blockOffset = ti < _table.Length ? _table[ti] : 0;
        var refs = blockOffset == 0 ? null : Block((long)blockOffset);
        long index = cluster % _entriesPerBlock;
        ulong count = refs == null ? 0 : Entry(refs, index);
        if (count == 0) throw new IOException($"'{_path}': the qcow2 image is inconsistent: host cluster at byte {hostOffset} is in use but has refcount 0 (repair it with: qemu-img check -r all {_path})");
        Set(refs!, (long)blockOffset, index, count - 1);
    }

    private byte[] Block(long offset)
    {
        if (_blocks.TryGetValue(offset, out var block)) return block;
        block = new byte[1L << _clusterBits];
        int got = 0;
        while (got < block.Length)
        {
            int n = RandomAccess.Read(_file, block.AsSpan(got), offset + got);
            if (n <= 0) break; // a block cut short by the end of the file counts zeros past it
            got += n;
        }
        _blocks[offset] = block;
        return block;
    }

    private void Set(byte[] block, long blockOffset, long index, ulong value)
    {
        SetEntry(block, index, value);
        // Only the bytes that hold the entry go to the file.
        int first = (int)(index * _bits / 8), length = Math.Max(1, _bits / 8);
        RandomAccess.Write(_file, block.AsSpan(first, length), blockOffset + first);
    }

    /// <summary>Entry <paramref name="index"/>: big-endian when a byte or wider, else packed from the least significant bit.</summary>
    private ulong Entry(byte[] block, long index)
    {
        if (_bits >= 8)
        {
            int width = _bits / 8, at = (int)(index * width);
            ulong v = 0;
            for (int k = 0; k < width; k++) v = (v << 8) | block[at + k];
            return v;
        }
        int perByte = 8 / _bits;
        int shift = (int)(index % perByte) * _bits;
        return (ulong)((block[index / perByte] >> shift) & ((1 << _bits) - 1));
    }

    private void SetEntry(byte[] block, long index, ulong value)
    {
        if (_bits >= 8)
        {
            int width = _bits / 8, at = (int)(index * width);
            for (int k = width - 1; k >= 0; k--, value >>= 8) block[at + k] = (byte)value;
            return;
        }
        int perByte = 8 / _bits;
        int shift = (int)(index % perByte) * _bits;
        int mask = ((1 << _bits) - 1) << shift;
        ref byte b = ref block[index / perByte];
        b = (byte)((b & ~mask) | (((int)value << shift) & mask));
    }
}
