using System.Buffers.Binary;
using Rewind.Core.Input;
using Rewind.Devices.Block;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Tests;

/// <summary>virtio-blk hands the fingerprint of each request's image reads to the input boundary at the completion count.</summary>
public class VirtioBlockReadCheckTests
{
    private sealed class CheckingInput(bool checks) : IInputBoundary
    {
        public List<(ulong Icount, byte[] Fingerprint)> Checks { get; } = [];
        public ulong NextDueIcount => ulong.MaxValue;
        public ulong? HistoryEnd => null;
        public void DeliverDue(ulong icount) { }
        public ulong ReadHostClock(ulong icount) => 0;
        public void Attach(InputChannel channel, IInputSink sink) { }
        public void ReadEntropy(ulong icount, Span<byte> destination) { }
        public bool ChecksDiskReads => checks;
        public void CheckDiskRead(ulong icount, ReadOnlySpan<byte> fingerprint) => Checks.Add((icount, fingerprint.ToArray()));
    }

    private static void Read(TransportRig rig, ulong sector, uint length)
    {
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, VirtioBlock.TypeIn);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sector);
        rig.Guest.Memory.TryWrite(GuestRig.Data, h);
        rig.Guest.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 16, SplitVirtqueue.DescNext, 1);
        rig.Guest.WriteDesc(GuestRig.Desc, 1, GuestRig.Data + 0x1000, length, SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite, 2);
        rig.Guest.WriteDesc(GuestRig.Desc, 2, GuestRig.Data + 0x8000, 1, SplitVirtqueue.DescWrite);
        rig.Guest.Offer(0);
        rig.NotifyAndComplete();
        Assert.Equal(VirtioBlock.StatusOk, rig.Guest.Bytes(GuestRig.Data + 0x8000, 1)[0]);
    }

    [Fact]
    public void Recording_ReadRequest_IsCheckedAtItsCompletionCount_WithItsSlot()
    {
        var input = new CheckingInput(checks: true);
        var blk = new VirtioBlock(TransportRig.Disk(new byte[64 * 1024]), "", input, slot: 7);
        var rig = new TransportRig(blk, legacy: false);
        rig.Start();
        Read(rig, 2, 8192);
        var (icount, fingerprint) = Assert.Single(input.Checks);
        Assert.Equal(rig.Run.Icount, icount);
        Assert.Equal(7, fingerprint[0]);
        // Bytes 1024..9216: blocks 1024..4096, 4096..8192, 8192..9216.
        Assert.Equal(1 + DiskReadCheck.RunHeaderSize + 3 * DiskReadCheck.HashSize, fingerprint.Length);
        Assert.Equal(1024UL, BinaryPrimitives.ReadUInt64LittleEndian(fingerprint.AsSpan(1)));
    }

    [Fact]
    public void LiveRun_ChecksNothing()
    {
        var input = new CheckingInput(checks: false);
        var rig = new TransportRig(new VirtioBlock(TransportRig.Disk(new byte[64 * 1024]), "", input), legacy: false);
        rig.Start();
        Read(rig, 0, 512);
        Assert.Empty(input.Checks);
    }
}
