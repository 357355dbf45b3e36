using System.Buffers.Binary;

namespace Rewind.Devices.Virtio;

/// <summary>What taking the next request from a queue gave.</summary>
public enum QueuePop
{
    /// <summary>The driver has made nothing new available.</summary>
    Empty,
    /// <summary>A request is in the chain.</summary>
    Request,
    /// <summary>The driver broke the queue's rules (a loop, an index out of range, a ring outside RAM, …): the device needs a reset.</summary>
    Broken,
}

/// <summary>
/// The device side of one split virtqueue (virtio 1.2 §2.7): walks descriptor chains, direct and
/// indirect, returns used buffers and decides when the driver wants an interrupt, with or without
/// VIRTIO_F_EVENT_IDX. Everything the driver wrote is checked; a malformed ring gives
/// <see cref="QueuePop.Broken"/> and a reason, never an exception, and no walk can take more steps
/// than the queue has entries.
/// </summary>
public sealed class SplitVirtqueue
{
    public const ushort DescNext = 1, DescWrite = 2, DescIndirect = 4;
    public const ushort AvailNoInterrupt = 1;
    private const int DescSize = 16;

    public SplitVirtqueue(int defaultSize) => DefaultSize = defaultSize;

    /// <summary>The size a queue has until the driver sets one (QEMU's queue size for the device).</summary>
    public int DefaultSize { get; }
    public int Size { get; set; }
    public bool Ready { get; set; }
    public ulong DescTable { get; set; }
    public ulong AvailRing { get; set; }
    public ulong UsedRing { get; set; }
    /// <summary>The next avail ring index the device will look at.</summary>
    public ushort LastAvail { get; set; }
    /// <summary>The device's used index (the driver only reads it).</summary>
    public ushort UsedIdx { get; set; }
    /// <summary>Used index when the driver was last interrupted for this queue (for VIRTIO_F_EVENT_IDX).</summary>
    public ushort SignalledUsed { get; set; }
    public bool IndirectAllowed { get; set; }
    public bool EventIdx { get; set; }
    /// <summary>Why the last pop gave <see cref="QueuePop.Broken"/>.</summary>
    public string? Problem { get; private set; }

    public void Reset()
    {
        Size = DefaultSize;
        Ready = false;
        DescTable = AvailRing = UsedRing = 0;
        LastAvail = UsedIdx = SignalledUsed = 0;
        Problem = null;
    }

    private QueuePop Fail(string why)
    {
        Problem = why;
        return QueuePop.Broken;
    }

    /// <summary>Takes the next available request into <paramref name="chain"/>.</summary>
    public QueuePop Pop(GuestMemory memory, DescriptorChain chain)
    {
        chain.Clear();
        if (Size <= 0 || Size > ushort.MaxValue + 1 || (Size & (Size - 1)) != 0) return Fail($"queue size {Size} is not a power of 2");
        if (!memory.TryReadU16(AvailRing + 2, out ushort availIdx)) return Fail("the avail ring is outside RAM");
        ushort pending = (ushort)(availIdx - LastAvail);
        if (pending == 0)
        {
            PublishAvailEvent(memory);
            return QueuePop.Empty;
        }
        if (pending > Size) return Fail($"the avail index moved by {pending}, more than the {Size} entries");
        if (!memory.TryReadU16(AvailRing + 4 + 2UL * (ulong)(LastAvail % Size), out ushort head))
            return Fail("the avail ring is outside RAM");
        if (head >= Size) return Fail($"head descriptor {head} is past the queue's {Size}");
        var result = Walk(memory, chain, head);
        if (result != QueuePop.Request) return result;
        chain.Head = head;
        LastAvail++;
        return QueuePop.Request;
    }

    /// <summary>Puts the request taken last back: the next pop takes it again.</summary>
    public void Unpop() => LastAvail--;

    private QueuePop Walk(GuestMemory memory, DescriptorChain chain, ushort head)
    {
        Span<byte> d = stackalloc byte[DescSize];
        ulong table = DescTable;
        long tableSize = Size;
        long index = head;
        bool indirect = false, sawWritable = false;
        // A chain may not be longer than the queue (§2.7.5.3.1), indirect tables included: this bounds loops.
        for (int steps = 0; ; steps++)
        {
            if (steps >= Size) return Fail($"descriptor chain from head {head} is longer than the queue ({Size}): a loop?");
            if (!memory.TryRead(table + (ulong)index * DescSize, d)) return Fail($"descriptor {index} is outside RAM");
            ulong addr = BinaryPrimitives.ReadUInt64LittleEndian(d);
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(d[12..]);
            ushort next = BinaryPrimitives.ReadUInt16LittleEndian(d[14..]);
            if ((flags & DescIndirect) != 0)
            {
                if (!IndirectAllowed) return Fail("an indirect descriptor without VIRTIO_F_INDIRECT_DESC");
                if (indirect) return Fail("an indirect descriptor inside an indirect table");
                if ((flags & DescNext) != 0) return Fail("an indirect descriptor with NEXT set");
                if (len == 0 || len % DescSize != 0) return Fail($"an indirect table of {len} bytes");
                if (!memory.Contains(addr, len)) return Fail("an indirect table outside RAM");
                table = addr;
                tableSize = len / DescSize;
                index = 0;
                indirect = true;
                continue;
            }
            // As QEMU: a zero-sized buffer is an error of the driver's, not an empty transfer.
            if (len == 0) return Fail($"descriptor {index} has a zero-sized buffer");
            bool writable = (flags & DescWrite) != 0;
            if (!writable && sawWritable) return Fail("a device-readable buffer after a device-writable one");
            sawWritable |= writable;
            chain.Add(addr, len, writable, memory.Contains(addr, len));
            if ((flags & DescNext) == 0) return QueuePop.Request;
            if (next >= tableSize) return Fail($"next descriptor {next} is past the table's {tableSize}");
            index = next;
        }
    }

    /// <summary>With VIRTIO_F_EVENT_IDX: tells the driver to notify once it makes entry <see cref="LastAvail"/> available.</summary>
    private void PublishAvailEvent(GuestMemory memory)
    {
        if (EventIdx) memory.TryWriteU16(UsedRing + 4 + 8UL * (ulong)Size, LastAvail);
    }

    /// <summary>Returns a request's buffers to the driver with <paramref name="written"/> bytes written; false if the used ring is outside RAM.</summary>
    public bool Push(GuestMemory memory, ushort head, uint written)
    {
        Span<byte> e = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(e, head);
        BinaryPrimitives.WriteUInt32LittleEndian(e[4..], written);
        if (!memory.TryWrite(UsedRing + 4 + 8UL * (ulong)(UsedIdx % Size), e))
        {
            Problem = "the used ring is outside RAM";
            return false;
        }
        UsedIdx++;
        if (!memory.TryWriteU16(UsedRing + 2, UsedIdx))
        {
            Problem = "the used ring is outside RAM";
            return false;
        }
        return true;
    }

    /// <summary>
    /// Whether the driver wants an interrupt for the buffers used since the last one: its used_event
    /// (§2.7.10) with VIRTIO_F_EVENT_IDX, otherwise the avail ring's NO_INTERRUPT flag.
    /// </summary>
    public bool ShouldInterrupt(GuestMemory memory)
    {
        ushort old = SignalledUsed, now = UsedIdx;
        if (old == now) return false;
        if (EventIdx)
        {
            if (!memory.TryReadU16(AvailRing + 4 + 2UL * (ulong)Size, out ushort usedEvent)) return true;
            SignalledUsed = now;
            return (ushort)(now - usedEvent - 1) < (ushort)(now - old);
        }
        SignalledUsed = now;
        if (!memory.TryReadU16(AvailRing, out ushort flags)) return true;
        return (flags & AvailNoInterrupt) == 0;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(Size); w.Write(Ready); w.Write(DescTable); w.Write(AvailRing); w.Write(UsedRing);
        w.Write(LastAvail); w.Write(UsedIdx); w.Write(SignalledUsed); w.Write(IndirectAllowed); w.Write(EventIdx);
    }

    public void Load(BinaryReader r)
    {
        Size = r.ReadInt32(); Ready = r.ReadBoolean(); DescTable = r.ReadUInt64(); AvailRing = r.ReadUInt64();
        UsedRing = r.ReadUInt64(); LastAvail = r.ReadUInt16(); UsedIdx = r.ReadUInt16(); SignalledUsed = r.ReadUInt16();
        IndirectAllowed = r.ReadBoolean(); EventIdx = r.ReadBoolean();
        Problem = null;
    }
}
