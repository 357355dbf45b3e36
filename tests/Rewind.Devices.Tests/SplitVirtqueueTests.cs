using Rewind.Devices.Virtio;

namespace Rewind.Devices.Tests;

public class SplitVirtqueueTests
{
    private readonly GuestRig _rig = new();
    private readonly DescriptorChain _chain = new();

    [Fact]
    public void EmptyAvailRing_PopsNothing()
    {
        Assert.Equal(QueuePop.Empty, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void Chain_ReadableThenWritable_IsWalkedInOrder()
    {
        _rig.WriteDesc(GuestRig.Desc, 2, GuestRig.Data, 16, SplitVirtqueue.DescNext, 5);
        _rig.WriteDesc(GuestRig.Desc, 5, GuestRig.Data + 0x100, 512, SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite, 1);
        _rig.WriteDesc(GuestRig.Desc, 1, GuestRig.Data + 0x400, 1, SplitVirtqueue.DescWrite);
        _rig.Offer(2);
        Assert.Equal(QueuePop.Request, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Equal(2, _chain.Head);
        Assert.Equal(3, _chain.Count);
        Assert.Equal(16, _chain.ReadableLength);
        Assert.Equal(513, _chain.WritableLength);
        Assert.False(_chain.OutsideRam);
        Assert.Equal(GuestRig.Data + 0x400, _chain.LastWritableByte());
        Assert.Equal(QueuePop.Empty, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void IndirectTable_IsFollowed()
    {
        ulong table = GuestRig.Data + 0x2000;
        _rig.WriteDesc(table, 0, GuestRig.Data, 16, SplitVirtqueue.DescNext, 1);
        _rig.WriteDesc(table, 1, GuestRig.Data + 0x100, 8, SplitVirtqueue.DescWrite);
        _rig.WriteDesc(GuestRig.Desc, 0, table, 32, SplitVirtqueue.DescIndirect);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Request, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Equal(2, _chain.Count);
        Assert.Equal(8, _chain.WritableLength);
    }

    [Fact]
    public void IndirectTable_WithoutTheFeature_BreaksTheQueue()
    {
        _rig.Queue.IndirectAllowed = false;
        _rig.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 32, SplitVirtqueue.DescIndirect);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Contains("VIRTIO_F_INDIRECT_DESC", _rig.Queue.Problem);
    }

    [Fact]
    public void IndirectInsideIndirect_BreaksTheQueue()
    {
        ulong table = GuestRig.Data + 0x2000;
        _rig.WriteDesc(table, 0, table, 16, SplitVirtqueue.DescIndirect);
        _rig.WriteDesc(GuestRig.Desc, 0, table, 16, SplitVirtqueue.DescIndirect);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void LoopInChain_IsBoundedByTheQueueSize()
    {
        _rig.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 16, SplitVirtqueue.DescNext, 1);
        _rig.WriteDesc(GuestRig.Desc, 1, GuestRig.Data, 16, SplitVirtqueue.DescNext, 0);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Contains("loop", _rig.Queue.Problem);
    }

    [Fact]
    public void LoopInIndirectTable_IsBounded()
    {
        ulong table = GuestRig.Data + 0x2000;
        _rig.WriteDesc(table, 0, GuestRig.Data, 16, SplitVirtqueue.DescNext, 0);
        _rig.WriteDesc(GuestRig.Desc, 0, table, 16, SplitVirtqueue.DescIndirect);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void NextIndexPastTheTable_BreaksTheQueue()
    {
        _rig.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 16, SplitVirtqueue.DescNext, 8);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void HeadIndexPastTheQueue_BreaksTheQueue()
    {
        _rig.Offer(9);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void BufferOutsideRam_IsFlaggedForTheDevice()
    {
        _rig.WriteDesc(GuestRig.Desc, 0, 0x1000, 16, SplitVirtqueue.DescNext, 1);
        _rig.WriteDesc(GuestRig.Desc, 1, GuestRig.RamBase + (1 << 20) - 4, 8, SplitVirtqueue.DescWrite);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Request, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.True(_chain.OutsideRam);
    }

    [Fact]
    public void DescriptorTableOutsideRam_BreaksTheQueue()
    {
        _rig.Queue.DescTable = 0x4000_0000;
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Contains("outside RAM", _rig.Queue.Problem);
    }

    [Fact]
    public void ReadableAfterWritable_BreaksTheQueue()
    {
        _rig.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 16, SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite, 1);
        _rig.WriteDesc(GuestRig.Desc, 1, GuestRig.Data, 16, 0);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void ZeroSizedBuffer_BreaksTheQueueAsInQemu()
    {
        _rig.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 0, SplitVirtqueue.DescWrite);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void AvailIndexRunningAhead_BreaksTheQueue()
    {
        _rig.Memory.TryWriteU16(GuestRig.Avail + 2, 9);
        Assert.Equal(QueuePop.Broken, _rig.Queue.Pop(_rig.Memory, _chain));
    }

    [Fact]
    public void Push_WritesTheUsedRingAndIndex()
    {
        Assert.True(_rig.Queue.Push(_rig.Memory, 3, 513));
        Assert.Equal(1, _rig.U16(GuestRig.Used + 2));
        Assert.Equal((3u, 513u), _rig.UsedEntry(0));
    }

    [Fact]
    public void Push_MarksTheUsedRingPageDirty()
    {
        _rig.Ram.ClearDirty();
        _rig.Queue.Push(_rig.Memory, 0, 1);
        Assert.True(_rig.Ram.IsDirty((int)((GuestRig.Used - GuestRig.RamBase) >> 12)));
    }

    [Fact]
    public void WithoutEventIdx_NoInterruptFlagSuppressesTheInterrupt()
    {
        _rig.Queue.Push(_rig.Memory, 0, 1);
        _rig.Memory.TryWriteU16(GuestRig.Avail, SplitVirtqueue.AvailNoInterrupt);
        Assert.False(_rig.Queue.ShouldInterrupt(_rig.Memory));
        _rig.Queue.Push(_rig.Memory, 0, 1);
        _rig.Memory.TryWriteU16(GuestRig.Avail, 0);
        Assert.True(_rig.Queue.ShouldInterrupt(_rig.Memory));
        Assert.False(_rig.Queue.ShouldInterrupt(_rig.Memory));
    }

    [Fact]
    public void EventIdx_InterruptsOnlyWhenUsedEventIsCrossed()
    {
        _rig.Queue.EventIdx = true;
        ulong usedEvent = GuestRig.Avail + 4 + 2UL * 8;
        // The driver wants to hear when entry 2 is used (used index passes 2).
        _rig.Memory.TryWriteU16(usedEvent, 2);
        _rig.Queue.Push(_rig.Memory, 0, 1);
        Assert.False(_rig.Queue.ShouldInterrupt(_rig.Memory));
        _rig.Queue.Push(_rig.Memory, 0, 1);
        Assert.False(_rig.Queue.ShouldInterrupt(_rig.Memory));
        _rig.Queue.Push(_rig.Memory, 0, 1);
        Assert.True(_rig.Queue.ShouldInterrupt(_rig.Memory));
    }

    [Fact]
    public void EventIdx_EmptyQueuePublishesAvailEvent()
    {
        _rig.Queue.EventIdx = true;
        _rig.WriteDesc(GuestRig.Desc, 0, GuestRig.Data, 4, SplitVirtqueue.DescWrite);
        _rig.Offer(0);
        Assert.Equal(QueuePop.Request, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Equal(QueuePop.Empty, _rig.Queue.Pop(_rig.Memory, _chain));
        Assert.Equal(1, _rig.U16(GuestRig.Used + 4 + 8 * 8));
    }

    [Fact]
    public void Fuzz_RandomDescriptorTables_NeverThrowAndAlwaysEnd()
    {
        var random = new Random(1234);
        var results = new int[3];
        var rigs = Enumerable.Range(0, 5).Select(k => new GuestRig(1 << k)).ToArray();
        for (int round = 0; round < 2000; round++)
        {
            var rig = rigs[random.Next(rigs.Length)];
            rig.Queue.LastAvail = rig.Queue.UsedIdx = rig.Queue.SignalledUsed = 0;
            rig.Queue.EventIdx = random.Next(2) == 0;
            rig.Queue.IndirectAllowed = random.Next(4) != 0;
            // Random bytes over the descriptor table, the rings and an area indirect tables may point into.
            var noise = new byte[0x4000];
            random.NextBytes(noise);
            rig.Memory.TryWrite(GuestRig.Desc, noise);
            ushort[] flagChoices = [0, 0, SplitVirtqueue.DescNext, SplitVirtqueue.DescWrite, SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite, SplitVirtqueue.DescIndirect];
            foreach (int i in Enumerable.Range(0, rig.Queue.Size * 2))
            {
                // Most descriptors are plausible, so that chains get somewhere before something breaks.
                if (random.Next(8) != 0)
                {
                    ushort flags = flagChoices[random.Next(flagChoices.Length)];
                    ulong addr = (flags & SplitVirtqueue.DescIndirect) != 0 ? GuestRig.Desc + (ulong)random.Next(0, 4) * 16 : GuestRig.RamBase + (ulong)random.Next(0, 0x8000) * 16;
                    rig.WriteDesc(GuestRig.Desc, i % rig.Queue.Size, addr, (uint)random.Next(0, 64) * 16, flags, (ushort)random.Next(0, rig.Queue.Size + 1));
                }
            }
            for (int i = 0; i < rig.Queue.Size; i++)
                rig.Memory.TryWriteU16(GuestRig.Avail + 4 + 2UL * (ulong)i, (ushort)random.Next(0, rig.Queue.Size + 1));
            rig.Memory.TryWriteU16(GuestRig.Avail + 2, (ushort)random.Next(0, rig.Queue.Size + 2));
            for (int pops = 0; pops <= rig.Queue.Size + 1; pops++)
            {
                var r = rig.Queue.Pop(rig.Memory, _chain);
                results[(int)r]++;
                if (r != QueuePop.Request) break;
                Assert.InRange(_chain.Count, 1, rig.Queue.Size);
                rig.Queue.Push(rig.Memory, _chain.Head, 0);
                rig.Queue.ShouldInterrupt(rig.Memory);
            }
        }
        // The generator reaches every outcome, so the fuzzing is not all one path.
        Assert.All(results, n => Assert.True(n > 20, $"outcomes (empty, request, broken) {string.Join(",", results)}"));
    }
}
