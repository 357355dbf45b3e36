using Rewind.Devices.Rng;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Tests;

public class VirtioRngTests
{
    [Fact]
    public void Buffers_AreFilledThroughTheInputBoundary_AtTheCompletionCount()
    {
        var input = new EntropyInput();
        var rig = new TransportRig(new VirtioRng(input), legacy: true);
        rig.Start();
        rig.Guest.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 8, SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite, 1);
        rig.Guest.WriteDesc(GuestRig.Desc, 1, GuestRig.Data + 100, 4, SplitVirtqueue.DescWrite);
        rig.Guest.Offer(0);
        rig.Run.Icount = 5000;
        rig.NotifyAndComplete();
        Assert.Equal([(5000 + VirtioMmioTransport.CompletionLatency, 12)], input.Reads);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, rig.Guest.Bytes(GuestRig.Data, 8));
        Assert.Equal(new byte[] { 9, 10, 11, 12 }, rig.Guest.Bytes(GuestRig.Data + 100, 4));
        Assert.Equal((0u, 12u), rig.Guest.UsedEntry(0));
    }

    [Fact]
    public void BufferOutsideRam_NeedsReset_AndReadsNoEntropy()
    {
        var input = new EntropyInput();
        var rig = new TransportRig(new VirtioRng(input), legacy: false);
        rig.Start();
        rig.Guest.WriteDesc(GuestRig.Desc, 0, 0x10, 8, SplitVirtqueue.DescWrite);
        rig.Guest.Offer(0);
        rig.NotifyAndComplete();
        Assert.Empty(input.Reads);
        Assert.NotEqual(0u, rig.Transport.Status & VirtioStatus.NeedsReset);
    }
}
