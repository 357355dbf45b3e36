using System.Buffers.Binary;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.Memory;
using Rewind.Core.Time;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Tests;

internal sealed class FakeRun : IRunControl
{
    public ulong Icount { get; set; }
    public VirtualClock Clock { get; } = new(3);
    public int SliceEnds { get; private set; }
    public void EndSlice() => SliceEnds++;
}

internal sealed class IrqRecorder : IIrqSink
{
    public bool Level { get; private set; }
    public void SetIrq(int line, bool level) => Level = level;
}

internal sealed class EntropyInput : IInputBoundary
{
    public List<(ulong Icount, int Length)> Reads { get; } = [];
    public byte Next { get; set; } = 1;
    public ulong NextDueIcount => ulong.MaxValue;
    public ulong? HistoryEnd => null;
    public void DeliverDue(ulong icount) { }
    public ulong ReadHostClock(ulong icount) => 0;
    public void Attach(InputChannel channel, IInputSink sink) { }
    public void ReadEntropy(ulong icount, Span<byte> destination)
    {
        Reads.Add((icount, destination.Length));
        for (int i = 0; i < destination.Length; i++) destination[i] = Next++;
    }
}

/// <summary>A megabyte of guest RAM at 0x80000000 and helpers that play the driver's part of a split queue.</summary>
internal sealed class GuestRig
{
    public const ulong RamBase = 0x8000_0000;
    public const ulong Desc = RamBase + 0x1000, Avail = RamBase + 0x2000, Used = RamBase + 0x3000;
    public const ulong Data = RamBase + 0x10000;

    public GuestRig(int size = 8)
    {
        Ram = new PhysicalMemory(RamBase, 1 << 20);
        Memory = new GuestMemory(Ram);
        Queue = new SplitVirtqueue(size) { DescTable = Desc, AvailRing = Avail, UsedRing = Used, Ready = true, IndirectAllowed = true };
        Queue.Reset();
        Queue.DescTable = Desc;
        Queue.AvailRing = Avail;
        Queue.UsedRing = Used;
        Queue.Ready = true;
        Queue.IndirectAllowed = true;
    }

    public PhysicalMemory Ram { get; }
    public GuestMemory Memory { get; }
    public SplitVirtqueue Queue { get; }
    public ushort AvailIdx { get; private set; }
    /// <summary>Where the driver's rings are (the legacy layout puts them elsewhere than the constants).</summary>
    public ulong AvailAddr { get; set; } = Avail;
    public ulong UsedAddr { get; set; } = Used;

    public void WriteDesc(ulong table, int index, ulong addr, uint len, ushort flags, ushort next = 0)
    {
        Span<byte> d = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(d, addr);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], len);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
        Assert.True(Memory.TryWrite(table + 16UL * (ulong)index, d));
    }

    /// <summary>Makes <paramref name="head"/> available, as a driver does.</summary>
    public void Offer(ushort head)
    {
        Memory.TryWriteU16(AvailAddr + 4 + 2UL * (ulong)(AvailIdx % Queue.Size), head);
        AvailIdx++;
        Memory.TryWriteU16(AvailAddr + 2, AvailIdx);
    }

    /// <summary>A driver starting over after a device reset: both ring indices back to 0.</summary>
    public void ResetIndices()
    {
        AvailIdx = 0;
        Memory.TryWriteU16(AvailAddr + 2, 0);
        Memory.TryWriteU16(UsedAddr + 2, 0);
    }

    public ushort U16(ulong address)
    {
        Assert.True(Memory.TryReadU16(address, out ushort v));
        return v;
    }

    public uint U32(ulong address)
    {
        Span<byte> b = stackalloc byte[4];
        Assert.True(Memory.TryRead(address, b));
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public byte[] Bytes(ulong address, int length)
    {
        var b = new byte[length];
        Assert.True(Memory.TryRead(address, b));
        return b;
    }

    /// <summary>The used ring's entry <paramref name="index"/>: (id, written length).</summary>
    public (uint Id, uint Length) UsedEntry(int index) =>
        (U32(UsedAddr + 4 + 8UL * (ulong)(index % Queue.Size)), U32(UsedAddr + 8 + 8UL * (ulong)(index % Queue.Size)));

    /// <summary>The used ring's index.</summary>
    public ushort UsedIndex => U16(UsedAddr + 2);
}
