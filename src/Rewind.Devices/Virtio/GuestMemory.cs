using System.Buffers.Binary;
using Rewind.Core.Memory;

namespace Rewind.Devices.Virtio;

/// <summary>
/// A device's view of guest RAM (DMA). Every access is checked against RAM and reports failure instead
/// of throwing; writes go through <see cref="PhysicalMemory.Write"/>, so the pages are marked dirty for
/// snapshots and the decode cache forgets code the device overwrote, as for any guest store, and a
/// debugger's watchpoint on the bytes hears of the write (<see cref="DeviceWriteWatch"/>).
/// </summary>
public sealed class GuestMemory(PhysicalMemory ram)
{
    public PhysicalMemory Ram { get; } = ram;

    public bool Contains(ulong address, ulong length) =>
        length <= Ram.Size && address >= Ram.BaseAddress && address - Ram.BaseAddress <= Ram.Size - length;

    public bool TryRead(ulong address, Span<byte> destination)
    {
        if (!Contains(address, (ulong)destination.Length)) return false;
        Ram.Read(address - Ram.BaseAddress, destination);
        return true;
    }

    public bool TryWrite(ulong address, ReadOnlySpan<byte> data)
    {
        if (!Contains(address, (ulong)data.Length)) return false;
        Ram.Write(address - Ram.BaseAddress, data);
        Ram.DeviceWrites.Note(address, (ulong)data.Length);
        return true;
    }

    /// <summary>The RAM bytes at <paramref name="address"/> for a device to fill; call <see cref="Written"/> after.</summary>
    public Span<byte> Window(ulong address, int length) => Ram.Bytes.Slice((int)(address - Ram.BaseAddress), length);

    /// <summary>Marks a range filled through <see cref="Window"/> as written (dirty pages, stale code).</summary>
    public void Written(ulong address, int length)
    {
        Ram.NoteWriteRange(address - Ram.BaseAddress, length);
        Ram.DeviceWrites.Note(address, (ulong)length);
    }

    public bool TryReadU16(ulong address, out ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        bool ok = TryRead(address, b);
        value = BinaryPrimitives.ReadUInt16LittleEndian(b);
        return ok;
    }

    public bool TryWriteU16(ulong address, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return TryWrite(address, b);
    }
}
