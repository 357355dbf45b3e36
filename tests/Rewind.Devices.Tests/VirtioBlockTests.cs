using System.Buffers.Binary;
using Rewind.Devices.Block;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Tests;

public class VirtioBlockTests
{
    private const ulong Header = GuestRig.Data, Buffer = GuestRig.Data + 0x1000, Status = GuestRig.Data + 0x3000;
    private readonly MemoryImage _image;
    private readonly TransportRig _rig;
    private readonly VirtioBlock _blk;

    public VirtioBlockTests()
    {
        var bytes = new byte[64 * 1024];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i / 512);
        _image = new MemoryImage(bytes);
        _blk = new VirtioBlock(new BlockDisk(_image, readOnly: false, writeThrough: false), "disk-serial");
        _rig = new TransportRig(_blk, legacy: false);
        _rig.Start();
    }

    /// <summary>header, optional data of <paramref name="length"/> bytes, status; returns the status byte and the used length.</summary>
    private (byte Status, uint Written) Request(uint type, ulong sector, int length, bool deviceWrites)
    {
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sector);
        _rig.Guest.Memory.TryWrite(Header, h);
        _rig.Guest.Memory.TryWrite(Status, [0xff]);
        ushort next = length > 0 ? (ushort)1 : (ushort)2;
        _rig.Guest.WriteDesc(GuestRig.Desc, 0, Header, 16, SplitVirtqueue.DescNext, next);
        if (length > 0)
            _rig.Guest.WriteDesc(GuestRig.Desc, 1, Buffer, (uint)length, (ushort)(SplitVirtqueue.DescNext | (deviceWrites ? SplitVirtqueue.DescWrite : 0)), 2);
        _rig.Guest.WriteDesc(GuestRig.Desc, 2, Status, 1, SplitVirtqueue.DescWrite);
        int index = _rig.Guest.AvailIdx;
        _rig.Guest.Offer(0);
        _rig.NotifyAndComplete();
        return (_rig.Guest.Bytes(Status, 1)[0], _rig.Guest.UsedEntry(index).Length);
    }

    [Fact]
    public void Read_CopiesSectorsIntoGuestMemory()
    {
        var (status, written) = Request(VirtioBlock.TypeIn, 3, 1024, true);
        Assert.Equal(VirtioBlock.StatusOk, status);
        Assert.Equal(1025u, written);
        var data = _rig.Guest.Bytes(Buffer, 1024);
        Assert.Equal(3, data[0]);
        Assert.Equal(4, data[1023]);
    }

    [Fact]
    public void Read_MarksTheGuestPagesDirty()
    {
        _rig.Guest.Ram.ClearDirty();
        Request(VirtioBlock.TypeIn, 0, 512, true);
        Assert.True(_rig.Guest.Ram.IsDirty((int)((Buffer - GuestRig.RamBase) >> 12)));
    }

    [Fact]
    public void Write_GoesToTheOverlayNotTheImage()
    {
        _rig.Guest.Memory.TryWrite(Buffer, Enumerable.Repeat((byte)0xee, 512).ToArray());
        Assert.Equal(VirtioBlock.StatusOk, Request(VirtioBlock.TypeOut, 2, 512, false).Status);
        Assert.Equal(2, _image.Bytes[1024]);
        Assert.Equal(VirtioBlock.StatusOk, Request(VirtioBlock.TypeIn, 2, 512, true).Status);
        Assert.All(_rig.Guest.Bytes(Buffer, 512), b => Assert.Equal(0xee, b));
        Assert.Equal(1, _blk.Disk.OverlayClusters);
    }

    [Fact]
    public void ReadPastTheEnd_FailsWithIoErr()
    {
        Assert.Equal(VirtioBlock.StatusIoErr, Request(VirtioBlock.TypeIn, 127, 1024, true).Status);
        Assert.Equal(VirtioBlock.StatusIoErr, Request(VirtioBlock.TypeIn, ulong.MaxValue, 512, true).Status);
    }

    [Fact]
    public void PartialSector_FailsWithIoErr()
    {
        Assert.Equal(VirtioBlock.StatusIoErr, Request(VirtioBlock.TypeIn, 0, 100, true).Status);
    }

    [Fact]
    public void Flush_Succeeds()
    {
        Assert.Equal(VirtioBlock.StatusOk, Request(VirtioBlock.TypeFlush, 0, 0, false).Status);
    }

    [Fact]
    public void GetId_ReturnsTheSerialPadded()
    {
        var (status, written) = Request(VirtioBlock.TypeGetId, 0, 20, true);
        Assert.Equal(VirtioBlock.StatusOk, status);
        Assert.Equal(21u, written);
        Assert.Equal("disk-serial\0\0\0\0\0\0\0\0\0"u8.ToArray(), _rig.Guest.Bytes(Buffer, 20));
    }

    [Fact]
    public void Discard_ZeroesTheRange()
    {
        Span<byte> seg = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(seg, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(seg[8..], 16);
        _rig.Guest.Memory.TryWrite(Buffer, seg);
        Assert.Equal(VirtioBlock.StatusOk, Request(VirtioBlock.TypeDiscard, 0, 16, false).Status);
        Assert.Equal(VirtioBlock.StatusOk, Request(VirtioBlock.TypeIn, 7, 512 * 18, true).Status);
        var data = _rig.Guest.Bytes(Buffer, 512 * 18);
        Assert.Equal(7, data[0]);
        Assert.All(data[512..(512 * 17)], b => Assert.Equal(0, b));
        Assert.Equal(24, data[512 * 17]);
    }

    [Fact]
    public void UnknownType_IsUnsupported()
    {
        Assert.Equal(VirtioBlock.StatusUnsupported, Request(99, 0, 512, true).Status);
    }

    [Fact]
    public void ReadOnlyDisk_RefusesWritesAndDiscards_AndSaysSo()
    {
        var blk = new VirtioBlock(TransportRig.Disk(new byte[4096], readOnly: true));
        Assert.NotEqual(0ul, blk.Features & VirtioFeature.Bit(VirtioBlock.FeatureRo));
        var rig = new TransportRig(blk, legacy: true);
        rig.Start();
        rig.Guest.WriteDesc(GuestRig.Desc, 0, Header, 16, SplitVirtqueue.DescNext, 1);
        rig.Guest.WriteDesc(GuestRig.Desc, 1, Buffer, 512, SplitVirtqueue.DescNext, 2);
        rig.Guest.WriteDesc(GuestRig.Desc, 2, Status, 1, SplitVirtqueue.DescWrite);
        rig.Guest.Memory.TryWrite(Header, [1, 0, 0, 0]);
        rig.Guest.Offer(0);
        rig.NotifyAndComplete();
        Assert.Equal(VirtioBlock.StatusIoErr, rig.Guest.Bytes(Status, 1)[0]);
    }

    [Fact]
    public void DataBufferOutsideRam_FailsWithIoErr()
    {
        _rig.Guest.WriteDesc(GuestRig.Desc, 0, Header, 16, SplitVirtqueue.DescNext, 1);
        _rig.Guest.WriteDesc(GuestRig.Desc, 1, 0x1000, 512, SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite, 2);
        _rig.Guest.WriteDesc(GuestRig.Desc, 2, Status, 1, SplitVirtqueue.DescWrite);
        _rig.Guest.Memory.TryWrite(Header, new byte[16]);
        _rig.Guest.Offer(0);
        _rig.NotifyAndComplete();
        Assert.Equal(VirtioBlock.StatusIoErr, _rig.Guest.Bytes(Status, 1)[0]);
        Assert.Equal(0u, _rig.Transport.Status & VirtioStatus.NeedsReset);
    }

    [Fact]
    public void RequestWithoutStatusByte_NeedsReset()
    {
        _rig.Guest.WriteDesc(GuestRig.Desc, 0, Header, 16, 0);
        _rig.Guest.Offer(0);
        _rig.NotifyAndComplete();
        Assert.NotEqual(0u, _rig.Transport.Status & VirtioStatus.NeedsReset);
    }

    [Fact]
    public void StatusByteOutsideRam_NeedsReset()
    {
        _rig.Guest.WriteDesc(GuestRig.Desc, 0, Header, 16, SplitVirtqueue.DescNext, 2);
        _rig.Guest.WriteDesc(GuestRig.Desc, 2, 0x1000, 1, SplitVirtqueue.DescWrite);
        _rig.Guest.Offer(0);
        _rig.NotifyAndComplete();
        Assert.NotEqual(0u, _rig.Transport.Status & VirtioStatus.NeedsReset);
    }

    [Fact]
    public void OverlayState_RestoresTheDiskExactly()
    {
        _rig.Guest.Memory.TryWrite(Buffer, Enumerable.Repeat((byte)0x11, 512).ToArray());
        Request(VirtioBlock.TypeOut, 5, 512, false);
        using var saved = new MemoryStream();
        using (var w = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true)) _blk.SaveState(w);
        _rig.Guest.Memory.TryWrite(Buffer, Enumerable.Repeat((byte)0x22, 512).ToArray());
        Request(VirtioBlock.TypeOut, 5, 512, false);
        Request(VirtioBlock.TypeOut, 100, 512, false);
        saved.Position = 0;
        using (var r = new BinaryReader(saved)) _blk.LoadState(r);
        var sector = new byte[512];
        _blk.Disk.Read(5 * 512, sector);
        Assert.All(sector, b => Assert.Equal(0x11, b));
        _blk.Disk.Read(100 * 512, sector);
        Assert.All(sector, b => Assert.Equal(100, b));
        Assert.Equal(1, _blk.Disk.OverlayClusters);
    }
}
