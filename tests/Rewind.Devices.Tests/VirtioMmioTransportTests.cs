using Rewind.Devices.Block;
using Rewind.Devices.Rng;
using Rewind.Devices.Virtio;
using R = Rewind.Devices.Virtio.VirtioMmioRegister;

namespace Rewind.Devices.Tests;

public class VirtioMmioTransportTests
{
    private static TransportRig Blk(bool legacy) => new(new VirtioBlock(TransportRig.Disk(new byte[8192])), legacy);

    [Theory]
    [InlineData(true, 1u)]
    [InlineData(false, 2u)]
    public void Identity_IsQemusForEachVersion(bool legacy, uint version)
    {
        var rig = Blk(legacy);
        Assert.Equal(0x74726976u, rig.Read(R.MagicValue));
        Assert.Equal(version, rig.Read(R.Version));
        Assert.Equal(2u, rig.Read(R.DeviceId));
        Assert.Equal(0x554d4551u, rig.Read(R.VendorId));
    }

    [Fact]
    public void Registers_AnswerOnlyWordAccesses()
    {
        var rig = Blk(true);
        Assert.Equal(0ul, rig.Transport.Read((ulong)R.MagicValue, 2));
        rig.Transport.Write((ulong)R.Status, 1, VirtioStatus.Acknowledge);
        Assert.Equal(0u, rig.Read(R.Status));
    }

    [Fact]
    public void LegacyFeatures_ShowOnlyTheLowWord()
    {
        var rig = Blk(true);
        rig.Write(R.DeviceFeaturesSel, 0);
        uint low = rig.Read(R.DeviceFeatures);
        Assert.NotEqual(0u, low & (1u << VirtioFeature.IndirectDesc));
        Assert.NotEqual(0u, low & (1u << VirtioBlock.FeatureFlush));
        rig.Write(R.DeviceFeaturesSel, 1);
        Assert.Equal(0u, rig.Read(R.DeviceFeatures));
    }

    [Fact]
    public void ModernFeatures_OfferVersion1InTheHighWord()
    {
        var rig = Blk(false);
        rig.Write(R.DeviceFeaturesSel, 1);
        Assert.Equal(1u, rig.Read(R.DeviceFeatures));
    }

    [Fact]
    public void Modern_FeaturesOkWithoutVersion1_DoesNotStick()
    {
        var rig = Blk(false);
        rig.Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver);
        rig.Write(R.DriverFeaturesSel, 0);
        rig.Write(R.DriverFeatures, 1u << VirtioFeature.IndirectDesc);
        rig.Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk);
        Assert.Equal(0u, rig.Read(R.Status) & VirtioStatus.FeaturesOk);
    }

    [Fact]
    public void QueueNumMax_IsQemusForExistingQueuesOnly()
    {
        var rig = Blk(true);
        rig.Write(R.QueueSel, 0);
        Assert.Equal(1024u, rig.Read(R.QueueNumMax));
        rig.Write(R.QueueSel, 1);
        Assert.Equal(0u, rig.Read(R.QueueNumMax));
    }

    [Fact]
    public void LegacyQueuePfn_LaysOutTheRingsAsTheSpecSays()
    {
        var rig = Blk(true);
        rig.Write(R.GuestPageSize, 4096);
        rig.Write(R.QueueSel, 0);
        rig.Write(R.QueueNum, 8);
        rig.Write(R.QueueAlign, 4096);
        rig.Write(R.QueuePfn, 0x80005);
        var q = rig.Transport.Queue(0);
        Assert.Equal(0x8000_5000ul, q.DescTable);
        Assert.Equal(0x8000_5000ul + 8 * 16, q.AvailRing);
        Assert.Equal(0x8000_6000ul, q.UsedRing);
        Assert.Equal(0x80005u, rig.Read(R.QueuePfn));
        Assert.True(q.Ready);
    }

    [Fact]
    public void LegacyGuestPageSize_SurvivesTheDriversReset_AsLinuxProbesIt()
    {
        // Linux's virtio-mmio probe writes GuestPageSize once, then the virtio core resets the device
        // (status 0) before it sets up the queues by page number.
        var rig = Blk(true);
        rig.Write(R.GuestPageSize, 4096);
        rig.Write(R.Status, 0);
        rig.Write(R.QueueSel, 0);
        rig.Write(R.QueueNum, 8);
        rig.Write(R.QueueAlign, 4096);
        rig.Write(R.QueuePfn, 0x80005);
        Assert.Equal(0x8000_5000ul, rig.Transport.Queue(0).DescTable);
    }

    [Fact]
    public void LegacyQueuePfnZero_ResetsTheDeviceAsQemu()
    {
        var rig = Blk(true);
        rig.Start();
        rig.Write(R.QueuePfn, 0);
        Assert.Equal(0u, rig.Read(R.Status));
        Assert.False(rig.Transport.Queue(0).Ready);
    }

    [Fact]
    public void ModernQueueAddresses_ReadBack()
    {
        var rig = Blk(false);
        rig.Write(R.QueueSel, 0);
        rig.Write(R.QueueDescLow, 0x1000);
        rig.Write(R.QueueDescHigh, 0x2);
        Assert.Equal(0x2_0000_1000ul, rig.Transport.Queue(0).DescTable);
        Assert.Equal(0x1000u, rig.Read(R.QueueDescLow));
        Assert.Equal(0x2u, rig.Read(R.QueueDescHigh));
        Assert.Equal(0u, rig.Read(R.QueueReady));
        rig.Write(R.QueueReady, 1);
        Assert.Equal(1u, rig.Read(R.QueueReady));
    }

    [Fact]
    public void OversizedQueueNum_IsIgnoredAsInQemu()
    {
        var rig = Blk(false);
        rig.Write(R.QueueNum, 4096);
        Assert.Equal(VirtioBlock.QueueSize, rig.Transport.Queue(0).Size);
    }

    [Fact]
    public void ConfigSpace_HoldsTheCapacityInSectors()
    {
        var rig = Blk(true);
        Assert.Equal(16ul, rig.Transport.Read((ulong)R.Config, 8));
        Assert.Equal(16ul, rig.Transport.Read((ulong)R.Config, 1));
        Assert.Equal(512ul, rig.Transport.Read((ulong)R.Config + 20, 4));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Notify_CompletesAfterTheFixedLatency(bool legacy)
    {
        var rig = new TransportRig(new VirtioRng(new EntropyInput()), legacy);
        rig.Start();
        rig.Guest.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 16, Virtio.SplitVirtqueue.DescWrite);
        rig.Guest.Offer(0);
        rig.Run.Icount = 1000;
        rig.Write(R.QueueNotify, 0);
        Assert.Equal(1, rig.Run.SliceEnds);
        Assert.Equal(1000 + VirtioMmioTransport.CompletionLatency, rig.Transport.NextDeadline(1000));
        rig.Transport.Advance(1000 + VirtioMmioTransport.CompletionLatency - 1);
        Assert.Equal(0, rig.Guest.UsedIndex);
        rig.Transport.Advance(1000 + VirtioMmioTransport.CompletionLatency);
        Assert.Equal(1, rig.Guest.UsedIndex);
        Assert.True(rig.Irq.Level);
        Assert.Equal(VirtioInterrupt.UsedBuffer, rig.Read(R.InterruptStatus));
        rig.Write(R.InterruptAck, VirtioInterrupt.UsedBuffer);
        Assert.False(rig.Irq.Level);
        Assert.Equal(ulong.MaxValue, rig.Transport.NextDeadline(rig.Run.Icount));
    }

    [Fact]
    public void BrokenChain_SetsNeedsResetAndAConfigInterrupt()
    {
        var rig = Blk(false);
        rig.Start();
        rig.Guest.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 16, Virtio.SplitVirtqueue.DescNext, 0);
        rig.Guest.Offer(0);
        rig.NotifyAndComplete();
        Assert.NotEqual(0u, rig.Read(R.Status) & VirtioStatus.NeedsReset);
        Assert.Equal(VirtioInterrupt.ConfigChange, rig.Read(R.InterruptStatus));
        Assert.Contains("loop", rig.Transport.Problem);
        // Until the driver resets the device, notifies are ignored.
        rig.Write(R.QueueNotify, 0);
        Assert.Equal(ulong.MaxValue, rig.Transport.NextDeadline(rig.Run.Icount));
        rig.Write(R.Status, 0);
        Assert.Equal(0u, rig.Read(R.Status));
        Assert.False(rig.Irq.Level);
    }

    [Fact]
    public void State_SavedAndLoaded_GivesTheSameRegisters()
    {
        var rig = Blk(true);
        rig.Start();
        rig.Write(R.QueueNotify, 0);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) rig.Transport.SaveState(w);
        var other = Blk(true);
        ms.Position = 0;
        using (var r = new BinaryReader(ms, System.Text.Encoding.UTF8, leaveOpen: true)) other.Transport.LoadState(r);
        Assert.Equal(ms.Length, ms.Position);
        foreach (var reg in new[] { R.Status, R.QueuePfn, R.InterruptStatus })
            Assert.Equal(rig.Read(reg), other.Read(reg));
        Assert.Equal(rig.Transport.NextDeadline(0), other.Transport.NextDeadline(0));
        Assert.Equal(rig.Transport.Queue(0).UsedRing, other.Transport.Queue(0).UsedRing);
    }
}
