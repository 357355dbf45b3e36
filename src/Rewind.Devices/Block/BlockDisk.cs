using Rewind.Core.State;

namespace Rewind.Devices.Block;

/// <summary>
/// The disk a virtio-blk device sees: a base image that is never modified, and the guest's writes in an
/// in-memory copy-on-write overlay of <see cref="ClusterSize"/>-byte clusters. The overlay is machine
/// state (saved with the device), so snapshots, reverse steps and seeks put the disk back exactly, and a
/// recording or replay leaves the image file as it was. Only a live run without -snapshot writes
/// through to the file, as QEMU does. A time-travel snapshot keeps the overlay incrementally: it takes
/// references to the clusters (<see cref="CapturingStateWriter"/>), which are then shared and copied on
/// the next write, so each snapshot copies only the clusters written since the one before.
/// </summary>
public sealed class BlockDisk
{
    public const int ClusterSize = 4096;
    private SortedDictionary<long, byte[]> _overlay = [];
    // Clusters whose arrays no snapshot capture shares, so a write may change them in place.
    private readonly HashSet<long> _owned = [];
    // Discarded clusters all share this one, which is never written: a copy is made on the next write.
    private readonly byte[] _zero = new byte[ClusterSize];

    public BlockDisk(IBlockImage image, bool readOnly, bool writeThrough)
    {
        Image = image;
        ReadOnly = readOnly || (writeThrough && image.ReadOnly);
        WriteThrough = writeThrough && !readOnly;
    }

    public IBlockImage Image { get; }
    public long Length => Image.Length;
    /// <summary>The guest may not write (readonly=on).</summary>
    public bool ReadOnly { get; }
    /// <summary>Writes go to the image file (a live run without -snapshot) instead of the overlay.</summary>
    public bool WriteThrough { get; }
    /// <summary>When set, every read of the base image is added to it (the recording's disk read checks).</summary>
    public DiskReadFingerprint? Fingerprint { get; set; }
    /// <summary>Clusters the guest has written (copy-on-write), for tests and `info`.</summary>
    public int OverlayClusters => _overlay.Count;

    public void Read(long offset, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            long cluster = offset / ClusterSize;
            int at = (int)(offset % ClusterSize);
            int n = Math.Min(ClusterSize - at, destination.Length);
            if (_overlay.TryGetValue(cluster, out var data)) data.AsSpan(at, n).CopyTo(destination);
            else
            {
                // Runs of clusters the overlay lacks are read from the image in one call.
                long end = offset + n;
                while (end < offset + destination.Length && !_overlay.ContainsKey(end / ClusterSize))
                    end = Math.Min(offset + destination.Length, (end / ClusterSize + 1) * ClusterSize);
                n = (int)(end - offset);
                Image.Read(offset, destination[..n]);
                Fingerprint?.Add(offset, destination[..n]);
            }
            offset += n;
            destination = destination[n..];
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (ReadOnly) throw new InvalidOperationException("the disk is read-only");
        if (WriteThrough)
        {
            Image.Write(offset, data);
            return;
        }
        while (data.Length > 0)
        {
            long cluster = offset / ClusterSize;
            int at = (int)(offset % ClusterSize);
            int n = Math.Min(ClusterSize - at, data.Length);
            if (!_overlay.TryGetValue(cluster, out var block) || block == _zero)
            {
                bool wasZero = block == _zero;
                block = new byte[ClusterSize];
                _owned.Add(cluster);
                if (n < ClusterSize && !wasZero)
                {
                    // The rest of the cluster comes from the image: it is read, so it is checked too.
                    Image.Read(cluster * ClusterSize, block);
                    Fingerprint?.Add(cluster * ClusterSize, block);
                }
                _overlay[cluster] = block;
            }
            else if (_owned.Add(cluster))
            {
                // A snapshot holds this cluster as it was: copy it before the write.
                block = (byte[])block.Clone();
                _overlay[cluster] = block;
            }
            data[..n].CopyTo(block.AsSpan(at));
            offset += n;
            data = data[n..];
        }
    }

    /// <summary>Discards a range: it reads as zeros afterwards (deterministic, unlike a real disk's unmap).</summary>
    public void Discard(long offset, long length)
    {
        if (ReadOnly) throw new InvalidOperationException("the disk is read-only");
        Span<byte> zeros = stackalloc byte[512];
        zeros.Clear();
        long end = offset + length;
        while (offset < end)
        {
            long cluster = offset / ClusterSize;
            int at = (int)(offset % ClusterSize);
            int n = (int)Math.Min(ClusterSize - at, end - offset);
            if (n == ClusterSize && !WriteThrough)
            {
                _overlay[cluster] = _zero;
                _owned.Remove(cluster);
            }
            else
            {
                for (int done = 0; done < n; done += zeros.Length)
                    Write(offset + done, zeros[..Math.Min(zeros.Length, n - done)]);
            }
            offset += n;
        }
    }

    public void Flush()
    {
        if (WriteThrough) Image.Flush();
    }

    /// <summary>
    /// The overlay, cluster by cluster in order (a write-through disk has none); for an in-memory
    /// snapshot (<see cref="CapturingStateWriter"/>), -1 and the index of a capture sharing the clusters.
    /// </summary>
    public void SaveState(BinaryWriter writer)
    {
        if (writer is CapturingStateWriter capturing)
        {
            writer.Write(-1);
            writer.Write(capturing.Captures.Count);
            capturing.Captures.Add(new OverlayCapture([.. _overlay]));
            capturing.CapturedBytes += (long)_owned.Count * ClusterSize;
            // From now on the snapshot shares every cluster: the next write to one copies it.
            _owned.Clear();
            return;
        }
        writer.Write(_overlay.Count);
        foreach (var (cluster, data) in _overlay)
        {
            writer.Write(cluster);
            bool zero = data == _zero;
            writer.Write(zero);
            if (!zero) writer.Write(data);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count == -1)
        {
            int index = reader.ReadInt32();
            if (reader is not CapturingStateReader capturing || index < 0 || index >= capturing.Captures.Count
                || capturing.Captures[index] is not OverlayCapture capture)
                throw new InvalidDataException("the disk overlay refers to an in-memory capture that is not there");
            _overlay = new SortedDictionary<long, byte[]>(capture.Clusters.ToDictionary());
            _owned.Clear();
            return;
        }
        long clusters = (Length + ClusterSize - 1) / ClusterSize;
        if (count < 0 || count > clusters) throw new InvalidDataException($"impossible overlay cluster count {count}");
        _overlay.Clear();
        _owned.Clear();
        for (int i = 0; i < count; i++)
        {
            long cluster = reader.ReadInt64();
            if (cluster < 0 || cluster >= clusters) throw new InvalidDataException($"overlay cluster {cluster} is outside the disk");
            if (reader.ReadBoolean())
            {
                _overlay[cluster] = _zero;
                continue;
            }
            var data = reader.ReadBytes(ClusterSize);
            if (data.Length != ClusterSize) throw new EndOfStreamException();
            _overlay[cluster] = data;
            _owned.Add(cluster);
        }
    }

    /// <summary>The overlay at a snapshot: the clusters by reference, never written again.</summary>
    private sealed record OverlayCapture(KeyValuePair<long, byte[]>[] Clusters);
}
