using System.Buffers.Binary;

namespace Rewind.Devices.Block;

/// <summary>
/// Writing a qcow2 image in place, as a live QEMU run without -snapshot does. A guest cluster that this
/// image alone owns (its L2 entry's COPIED bit: refcount exactly 1) is written where it is. Any other
/// (unallocated, read from the backing file, all zeros, or shared with an internal snapshot) is copied on
/// write: its current contents plus the new bytes go to a new host cluster, the L2 entry points there,
/// and the old cluster loses a reference. L2 tables shared with a snapshot are copied the same way.
/// The order of the file writes (data, then refcounts, then the table entry that points to them) means
/// a crash leaves at worst a leaked cluster, never a table pointing at unwritten data.
/// </summary>
public sealed partial class Qcow2Image
{
    private const ulong L1Copied = 1UL << 63;

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (_refcounts == null) throw new InvalidOperationException("the qcow2 image is open read only; writes go to the overlay");
        if (offset < 0 || offset > Length - data.Length) throw new IOException($"a write of {data.Length} bytes at {offset} runs past the {Length}-byte disk");
        int clusterSize = ClusterSize;
        while (data.Length > 0)
        {
            long cluster = offset >> _clusterBits;
            int at = (int)(offset & (clusterSize - 1));
            int n = Math.Min(clusterSize - at, data.Length);
            WriteCluster(cluster, at, data[..n]);
            offset += n;
            data = data[n..];
        }
    }

    public void Flush()
    {
        if (_refcounts != null) RandomAccess.FlushToDisk(_file);
    }

    private void WriteCluster(long cluster, int at, ReadOnlySpan<byte> part)
    {
        long l1Index = cluster >> _l2Bits;
        int l2Index = (int)(cluster & ((1L << _l2Bits) - 1));
        ulong[] table = OwnedL2Table(l1Index);
        ulong entry = table[l2Index];
        long host = (long)(entry & OffsetMask);
        bool owned = host != 0 && (entry & L2Copied) != 0;
        if (owned && (entry & L2ZeroFlag) == 0)
        {
            RandomAccess.Write(_file, part, host + at);
            return;
        }
        var whole = new byte[ClusterSize];
        if (part.Length < whole.Length) Read(cluster << _clusterBits, whole);
        part.CopyTo(whole.AsSpan(at));
        // An owned zero cluster (preallocated) is filled where it is; anything else moves to a new cluster.
        long target = owned ? host : _refcounts!.Allocate();
        WriteHostCluster(target, whole);
        table[l2Index] = (ulong)target | L2Copied;
        WriteEntry((long)(_l1[l1Index] & OffsetMask) + l2Index * 8L, table[l2Index]);
        if (!owned && host != 0) _refcounts!.Release(host);
    }

    /// <summary>The L2 table of <paramref name="l1Index"/>, allocated or copied first unless this image alone owns it.</summary>
    private ulong[] OwnedL2Table(long l1Index)
    {
        ulong l1Entry = _l1[l1Index];
        long old = (long)(l1Entry & OffsetMask);
        if (old != 0 && (l1Entry & L1Copied) != 0) return _l2[l1Index]!;
        // A shared table's entries are shared clusters too (their COPIED bits are clear), so the copy
        // points to the same clusters and their counts do not change.
        var table = _l2[l1Index] ?? new ulong[1 << _l2Bits];
        var bytes = new byte[ClusterSize];
        for (int j = 0; j < table.Length; j++) BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(j * 8), table[j]);
        long fresh = _refcounts!.Allocate();
        WriteHostCluster(fresh, bytes);
        _l2[l1Index] = table;
        _l1[l1Index] = (ulong)fresh | L1Copied;
        WriteEntry(_l1Offset + l1Index * 8, _l1[l1Index]);
        if (old != 0) _refcounts.Release(old);
        return table;
    }

    private void WriteHostCluster(long offset, byte[] cluster)
    {
        RandomAccess.Write(_file, cluster, offset);
        _fileLength = Math.Max(_fileLength, offset + cluster.Length);
    }

    private void WriteEntry(long offset, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        RandomAccess.Write(_file, bytes, offset);
    }
}
