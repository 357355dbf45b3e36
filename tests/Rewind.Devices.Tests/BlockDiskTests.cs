using Rewind.Devices.Block;

namespace Rewind.Devices.Tests;

public class BlockDiskTests
{
    [Fact]
    public void WriteThrough_ChangesTheImage()
    {
        var image = new MemoryImage(new byte[8192]);
        var disk = new BlockDisk(image, readOnly: false, writeThrough: true);
        disk.Write(100, [1, 2, 3]);
        Assert.Equal(2, image.Bytes[101]);
        Assert.Equal(0, disk.OverlayClusters);
    }

    [Fact]
    public void Overlay_PartialClusterWrite_KeepsTheRestOfTheCluster()
    {
        var bytes = Enumerable.Range(0, 8192).Select(i => (byte)i).ToArray();
        var disk = new BlockDisk(new MemoryImage((byte[])bytes.Clone()), readOnly: false, writeThrough: false);
        disk.Write(4096 + 10, [0xaa]);
        var all = new byte[8192];
        disk.Read(0, all);
        bytes[4106] = 0xaa;
        Assert.Equal(bytes, all);
    }

    [Fact]
    public void Discard_OfWholeClusters_ReadsZeroAndWritesAfterwardCopy()
    {
        var disk = new BlockDisk(new MemoryImage(Enumerable.Repeat((byte)7, 16384).ToArray()), readOnly: false, writeThrough: false);
        disk.Discard(4096, 8192);
        disk.Write(4096, [9]);
        var all = new byte[16384];
        disk.Read(0, all);
        Assert.Equal(7, all[4095]);
        Assert.Equal(9, all[4096]);
        Assert.All(all[4097..12288], b => Assert.Equal(0, b));
        Assert.Equal(7, all[12288]);
    }

    [Fact]
    public void RawFileImage_MissingFile_IsOneLine()
    {
        var e = Assert.Throws<BlockImageException>(() => RawFileImage.Open("/nonexistent/disk.img", writable: false));
        Assert.Equal("'/nonexistent/disk.img': no such file", e.Message);
    }

    [Fact]
    public void RawFileImage_ReadsTheFileAndZeroesPastItsEnd()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4]);
            using var image = RawFileImage.Open(path, writable: false);
            Assert.Equal(4, image.Length);
            Assert.True(image.ReadOnly);
            var b = new byte[6];
            image.Read(2, b);
            Assert.Equal(new byte[] { 3, 4, 0, 0, 0, 0 }, b);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
