using Rewind.Core.Bus;

namespace Rewind.Board.Loading;

/// <summary>The address range an image occupies once loaded, and where it starts.</summary>
public readonly record struct LoadedImage(ulong Entry, ulong LowAddress, ulong HighAddress);

/// <summary>Copies images into guest memory through the bus, so RAM pages are marked dirty and ROM can be filled too.</summary>
public static class ImageLoader
{
    private const ulong TwoMiB = 2UL * 1024 * 1024;

    public static LoadedImage LoadInto(SystemBus bus, ElfImage elf)
    {
        ulong low = ulong.MaxValue, high = 0;
        foreach (var seg in elf.Segments)
        {
            Write(bus, seg.PhysicalAddress, seg.FileBytes, "ELF segment");
            ulong zeros = seg.MemorySize - (ulong)seg.FileBytes.Length;
            if (zeros > 0) WriteZeros(bus, seg.PhysicalAddress + (ulong)seg.FileBytes.Length, zeros);
            low = Math.Min(low, seg.PhysicalAddress);
            high = Math.Max(high, seg.PhysicalAddress + seg.MemorySize);
        }
        return new LoadedImage(elf.Entry, low, high);
    }

    public static LoadedImage LoadInto(SystemBus bus, RawImage raw)
    {
        Write(bus, raw.LoadAddress, raw.Bytes, "raw image");
        return new LoadedImage(raw.Entry, raw.LoadAddress, raw.End);
    }

    /// <summary>Loads an ELF if the bytes are one, else a flat binary at <paramref name="rawAddress"/>, as QEMU's -bios and -kernel do.</summary>
    public static LoadedImage LoadFile(SystemBus bus, byte[] file, ulong rawAddress) =>
        Loading.ElfImage.HasElfMagic(file)
            ? LoadInto(bus, Loading.ElfImage.Load(file))
            : LoadInto(bus, new RawImage(file, rawAddress));

    /// <summary>Where QEMU puts a kernel after 64-bit firmware: the next 2 MiB boundary (0x80200000 after OpenSBI).</summary>
    public static ulong KernelStartAfter(ulong firmwareEnd) => (firmwareEnd + TwoMiB - 1) & ~(TwoMiB - 1);

    private static void Write(SystemBus bus, ulong address, ReadOnlySpan<byte> data, string what)
    {
        if (data.Length == 0) return;
        int written = bus.WriteBytes(address, data);
        if (written != data.Length)
            throw new ImageLoadException(
                $"{what} at 0x{address:x}-0x{address + (ulong)data.Length:x} does not fit in RAM or ROM (stops at 0x{address + (ulong)written:x})");
    }

    private static void WriteZeros(SystemBus bus, ulong address, ulong count)
    {
        var zeros = new byte[(int)Math.Min(count, 1UL << 20)];
        for (ulong done = 0; done < count;)
        {
            int n = (int)Math.Min((ulong)zeros.Length, count - done);
            Write(bus, address + done, zeros.AsSpan(0, n), "ELF zero-filled segment tail");
            done += (ulong)n;
        }
    }
}
