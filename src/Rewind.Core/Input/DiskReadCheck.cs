using System.Buffers.Binary;

namespace Rewind.Core.Input;

/// <summary>
/// What a disk device read from its base image in one request, as recorded on
/// <see cref="InputChannel.DiskRead"/>: it identifies the image by the blocks the guest actually read, so
/// a replay with another image stops at the first block that differs instead of running on with
/// other data. Layout (little-endian): u8 device (the virtio-mmio slot), then runs of
/// { u64 disk byte offset, u32 block count, count × 8 bytes: the first 8 bytes of the SHA-256 of each
/// block }; a run's blocks are <see cref="BlockSize"/> bytes at 4 KiB-aligned disk offsets, except that
/// the first and last may be cut by the read's own ends.
/// </summary>
public static class DiskReadCheck
{
    public const int BlockSize = 4096;
    public const int HashSize = 8;
    public const int RunHeaderSize = 12;

    /// <summary>
    /// Null when <paramref name="replayed"/> equals <paramref name="recorded"/>; otherwise one line naming
    /// the first block whose bytes differ (or how the reads themselves differ).
    /// </summary>
    public static string? FirstDifference(ReadOnlySpan<byte> recorded, ReadOnlySpan<byte> replayed)
    {
        if (recorded.SequenceEqual(replayed)) return null;
        if (recorded.Length < 1 || replayed.Length < 1) return "the recording's disk read check is malformed";
        string device = $"the virtio-blk device in slot {replayed[0]}";
        int r = 1, p = 1;
        while (r < recorded.Length && p < replayed.Length)
        {
            if (recorded.Length - r < RunHeaderSize || replayed.Length - p < RunHeaderSize) break;
            ulong ro = BinaryPrimitives.ReadUInt64LittleEndian(recorded[r..]), po = BinaryPrimitives.ReadUInt64LittleEndian(replayed[p..]);
            uint rn = BinaryPrimitives.ReadUInt32LittleEndian(recorded[(r + 8)..]), pn = BinaryPrimitives.ReadUInt32LittleEndian(replayed[(p + 8)..]);
            if (ro != po) return $"{device} read the image at byte {po} where the recording read it at byte {ro}";
            r += RunHeaderSize;
            p += RunHeaderSize;
            ulong at = po;
            for (uint i = 0; i < Math.Min(rn, pn); i++)
            {
                if (recorded.Length - r < HashSize || replayed.Length - p < HashSize) break;
                if (!recorded.Slice(r, HashSize).SequenceEqual(replayed.Slice(p, HashSize)))
                    return $"{device} read other data than the recording from the disk image at byte {at} (sector {at / 512}): the image is not the one recorded";
                r += HashSize;
                p += HashSize;
                at = (at / BlockSize + 1) * BlockSize;
            }
            if (rn != pn) return $"{device} read {pn} blocks of the image at byte {po} where the recording read {rn}";
        }
        return $"{device} read other parts of the disk image than the recording";
    }
}
