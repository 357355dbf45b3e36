using Rewind.Core.Input;
using Rewind.Devices.Block;

namespace Rewind.Devices.Tests;

public class DiskReadCheckTests
{
    private static byte[] Fingerprint(byte[] image, Action<BlockDisk> reads)
    {
        var disk = new BlockDisk(new MemoryImage(image), readOnly: false, writeThrough: false);
        var f = new DiskReadFingerprint();
        f.Begin(7);
        disk.Fingerprint = f;
        reads(disk);
        return f.Bytes.ToArray();
    }

    [Fact]
    public void SameImage_SameReads_NoDifference()
    {
        var image = Enumerable.Range(0, 65536).Select(i => (byte)i).ToArray();
        var a = Fingerprint(image, d => d.Read(1000, new byte[20000]));
        var b = Fingerprint((byte[])image.Clone(), d => d.Read(1000, new byte[20000]));
        Assert.Null(DiskReadCheck.FirstDifference(a, b));
        // 1 device byte, one run header, 6 blocks: 1000..4096, then 4 whole blocks, then the tail to 21000.
        Assert.Equal(1 + DiskReadCheck.RunHeaderSize + 6 * DiskReadCheck.HashSize, a.Length);
    }

    [Fact]
    public void OneChangedByte_IsNamedByItsBlock()
    {
        var image = new byte[65536];
        var other = (byte[])image.Clone();
        other[3 * 4096 + 17] = 1;
        var recorded = Fingerprint(image, d => d.Read(512, new byte[8 * 4096]));
        var replayed = Fingerprint(other, d => d.Read(512, new byte[8 * 4096]));
        string? why = DiskReadCheck.FirstDifference(recorded, replayed);
        Assert.Equal("the virtio-blk device in slot 7 read other data than the recording from the disk image at byte 12288 (sector 24): the image is not the one recorded", why);
    }

    [Fact]
    public void OverlayReads_AreNotFingerprinted_ButCopyOnWriteReadsAre()
    {
        var image = new byte[16384];
        _ = Fingerprint(image, d =>
        {
            d.Fingerprint = null;
            d.Write(0, new byte[4096]);
            d.Fingerprint = new DiskReadFingerprint();
            d.Fingerprint.Begin(7);
            d.Read(0, new byte[4096]);
            Assert.True(d.Fingerprint.IsEmpty);
        });
        var partialWrite = Fingerprint(image, d => d.Write(4096 + 10, [1]));
        Assert.Equal(1 + DiskReadCheck.RunHeaderSize + DiskReadCheck.HashSize, partialWrite.Length);
    }

    [Fact]
    public void ReadsAtOtherOffsets_AreReported()
    {
        var image = new byte[65536];
        var a = Fingerprint(image, d => d.Read(0, new byte[4096]));
        var b = Fingerprint(image, d => d.Read(8192, new byte[4096]));
        Assert.Contains("read the image at byte 8192 where the recording read it at byte 0", DiskReadCheck.FirstDifference(a, b));
    }
}
