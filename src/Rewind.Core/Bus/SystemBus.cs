using Rewind.Core.Memory;

namespace Rewind.Core.Bus;

/// <summary>
/// Physical address space: RAM plus MMIO windows. Harts reach RAM through its pointer on their fast
/// path and come here only for devices and misses.
/// </summary>
public sealed class SystemBus
{
    private readonly record struct Window(ulong Base, ulong Size, IMmioDevice Device);
    private Window[] _windows = [];

    public SystemBus(PhysicalMemory ram) => Ram = ram;

    public PhysicalMemory Ram { get; }

    public void Map(ulong baseAddress, ulong size, IMmioDevice device)
    {
        foreach (var w in _windows)
            if (baseAddress < w.Base + w.Size && w.Base < baseAddress + size)
                throw new InvalidOperationException($"{device.Name} at 0x{baseAddress:x} overlaps {w.Device.Name}");
        _windows = [.. _windows, new Window(baseAddress, size, device)];
    }

    public IEnumerable<(ulong Base, ulong Size, IMmioDevice Device)> Windows =>
        _windows.Select(w => (w.Base, w.Size, w.Device));

    private IMmioDevice? Find(ulong address, out ulong offset)
    {
        foreach (var w in _windows)
        {
            if (address - w.Base < w.Size)
            {
                offset = address - w.Base;
                return w.Device;
            }
        }
        offset = 0;
        return null;
    }

    /// <summary>
    /// Reading <paramref name="size"/> bytes at <paramref name="address"/> now changes nothing, and what
    /// it reads changes only with the machine's state, never with the count alone: RAM, a ROM, or a
    /// device register that says so (<see cref="ISteadyReads"/>). A CPU may then skip a loop polling it.
    /// </summary>
    public bool IsSteadyRead(ulong address, int size)
    {
        if (Ram.Contains(address, size)) return true;
        return Find(address, out ulong off) switch
        {
            IReadOnlyMemoryDevice => true,
            ISteadyReads steady => steady.IsSteadyRead(off, size),
            _ => false,
        };
    }

    /// <summary>Reads 1, 2, 4 or 8 bytes; false means nothing answers at that address (an access fault).</summary>
    public unsafe bool TryRead(ulong address, int size, out ulong value)
    {
        if (Ram.Contains(address, size))
        {
            byte* p = Ram.Pointer + (address - Ram.BaseAddress);
            value = size switch
            {
                1 => *p,
                2 => *(ushort*)p,
                4 => *(uint*)p,
                _ => *(ulong*)p,
            };
            return true;
        }
        var dev = Find(address, out ulong off);
        if (dev == null)
        {
            value = 0;
            return false;
        }
        value = dev.Read(off, size);
        return true;
    }

    public unsafe bool TryWrite(ulong address, int size, ulong value)
    {
        if (Ram.Contains(address, size))
        {
            ulong off = address - Ram.BaseAddress;
            byte* p = Ram.Pointer + off;
            switch (size)
            {
                case 1: *p = (byte)value; break;
                case 2: *(ushort*)p = (ushort)value; break;
                case 4: *(uint*)p = (uint)value; break;
                default: *(ulong*)p = value; break;
            }
            Ram.NoteWrite(off);
            if (((off + (ulong)size - 1) >> PhysicalMemory.PageShift) != off >> PhysicalMemory.PageShift)
                Ram.NoteWrite(off + (ulong)size - 1);
            return true;
        }
        var dev = Find(address, out ulong o);
        if (dev == null) return false;
        dev.Write(o, size, value);
        return true;
    }

    /// <summary>Debugger and loader access: byte-wise, across RAM and devices with side-effect-free reads only from RAM and ROM.</summary>
    public int ReadBytes(ulong address, Span<byte> destination, bool allowDevices = false)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (Ram.Contains(a, 1))
            {
                int n = (int)Math.Min((ulong)(destination.Length - i), Ram.BaseAddress + Ram.Size - a);
                Ram.Read(a - Ram.BaseAddress, destination.Slice(i, n));
                i += n - 1;
                continue;
            }
            var dev = Find(a, out ulong off);
            if (dev == null || !(allowDevices || dev is IReadOnlyMemoryDevice)) return i;
            destination[i] = (byte)dev.Read(off, 1);
        }
        return destination.Length;
    }

    public int WriteBytes(ulong address, ReadOnlySpan<byte> source)
    {
        for (int i = 0; i < source.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (Ram.Contains(a, 1))
            {
                int n = (int)Math.Min((ulong)(source.Length - i), Ram.BaseAddress + Ram.Size - a);
                Ram.Write(a - Ram.BaseAddress, source.Slice(i, n));
                i += n - 1;
                continue;
            }
            var dev = Find(a, out _);
            if (dev is IReadOnlyMemoryDevice rom && rom.TryPatch(a, source[i])) continue;
            return i;
        }
        return source.Length;
    }
}

/// <summary>A device whose reads have no side effects (ROM), so a debugger may read it freely.</summary>
public interface IReadOnlyMemoryDevice : IMmioDevice
{
    bool TryPatch(ulong address, byte value);
}
