using System.Text;
using Rewind.Board.Devices;
using Rewind.Board.Loading;
using Rewind.Core.Bus;
using Rewind.Core.Memory;

namespace Rewind.Board.Tests;

public class ElfLoaderTests
{
    /// <summary>A minimal ELF64 RISC-V executable: one PT_LOAD and a symbol table with one symbol.</summary>
    internal static byte[] TinyElf(ulong paddr = 0x80000000, ulong entry = 0x80000004, ushort machine = 243,
        byte cls = 2, ulong fileSize = 8, ulong memSize = 32)
    {
        var code = new byte[] { 0x13, 0, 0, 0, 0x6f, 0, 0, 0 }; // nop; j .
        var strtab = Encoding.ASCII.GetBytes("\0_start\0");
        const int ehSize = 64, phSize = 56, shSize = 64, symSize = 24;
        int codeOff = ehSize + phSize;
        int symOff = codeOff + code.Length;
        int strOff = symOff + 2 * symSize;
        int shOff = (strOff + strtab.Length + 7) & ~7;

        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', cls, 1, 1, 0 });
        w.Write(new byte[8]);
        w.Write((ushort)2); w.Write(machine); w.Write(1u); w.Write(entry);
        w.Write((ulong)ehSize); w.Write((ulong)shOff); w.Write(0u);
        w.Write((ushort)ehSize); w.Write((ushort)phSize); w.Write((ushort)1);
        w.Write((ushort)shSize); w.Write((ushort)3); w.Write((ushort)0);
        // PT_LOAD
        w.Write(1u); w.Write(5u); w.Write((ulong)codeOff); w.Write(paddr + 0x1000_0000); w.Write(paddr);
        w.Write(fileSize); w.Write(memSize); w.Write(8UL);
        w.Write(code);
        // symbols: null, _start (global func, size 8)
        w.Write(new byte[symSize]);
        w.Write(1u); w.Write((byte)0x12); w.Write((byte)0); w.Write((ushort)1); w.Write(entry); w.Write(8UL);
        w.Write(strtab);
        while (ms.Length < shOff) w.Write((byte)0);
        w.Write(new byte[shSize]); // null section
        // .symtab: type 2, link 2
        w.Write(0u); w.Write(2u); w.Write(0UL); w.Write(0UL); w.Write((ulong)symOff); w.Write((ulong)(2 * symSize));
        w.Write(2u); w.Write(1u); w.Write(8UL); w.Write((ulong)symSize);
        // .strtab: type 3
        w.Write(0u); w.Write(3u); w.Write(0UL); w.Write(0UL); w.Write((ulong)strOff); w.Write((ulong)strtab.Length);
        w.Write(0u); w.Write(0u); w.Write(1UL); w.Write(0UL);
        return ms.ToArray();
    }

    private static SystemBus NewBus()
    {
        var bus = new SystemBus(new PhysicalMemory(0x80000000, 0x10000));
        bus.Map(0x1000, 0xf000, BootRom.Create(0x80000000, 0, 0));
        return bus;
    }

    [Fact]
    public void Elf_Load_ExposesEntrySegmentsAndSymbols()
    {
        var elf = ElfImage.Load(TinyElf());
        Assert.Equal(0x80000004UL, elf.Entry);
        var seg = Assert.Single(elf.Segments);
        Assert.Equal(0x80000000UL, seg.PhysicalAddress);
        Assert.Equal(0x90000000UL, seg.VirtualAddress);
        Assert.Equal(8, seg.FileBytes.Length);
        Assert.Equal(32UL, seg.MemorySize);
        var sym = Assert.Single(elf.Symbols);
        Assert.Equal(new ElfSymbol("_start", 0x80000004, 8, 0x12, 1), sym);
        Assert.Equal(ElfSymbol.TypeFunc, sym.Type);
        Assert.Same(sym, elf.FindSymbol("_start"));
    }

    [Fact]
    public void ImageLoader_Elf_WritesAtPhysicalAddressAndZeroFills()
    {
        var bus = NewBus();
        bus.Ram.Bytes[..64].Fill(0xff);
        var loaded = ImageLoader.LoadInto(bus, ElfImage.Load(TinyElf()));
        Assert.Equal(new LoadedImage(0x80000004, 0x80000000, 0x80000020), loaded);
        Assert.Equal(0x13, bus.Ram.Bytes[0]);
        Assert.Equal(0x6f, bus.Ram.Bytes[4]);
        Assert.All(bus.Ram.Bytes[8..32].ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0xff, bus.Ram.Bytes[32]);
    }

    [Fact]
    public void ImageLoader_SegmentIntoRom_IsPatchedIn()
    {
        var bus = NewBus();
        ImageLoader.LoadInto(bus, ElfImage.Load(TinyElf(paddr: 0x2000, memSize: 8)));
        Assert.True(bus.TryRead(0x2000, 4, out ulong v));
        Assert.Equal(0x13UL, v);
    }

    [Fact]
    public void ImageLoader_SegmentOutsideMemory_FailsClearly()
    {
        var bus = NewBus();
        var ex = Assert.Throws<ImageLoadException>(() => ImageLoader.LoadInto(bus, ElfImage.Load(TinyElf(paddr: 0x40000000))));
        Assert.Contains("0x40000000", ex.Message);
        var ex2 = Assert.Throws<ImageLoadException>(() => ImageLoader.LoadInto(bus, new RawImage(new byte[16], 0x8000fff8)));
        Assert.Contains("does not fit", ex2.Message);
    }

    [Fact]
    public void ImageLoader_RawImage_LoadsAtAddress()
    {
        var bus = NewBus();
        var loaded = ImageLoader.LoadFile(bus, [1, 2, 3], 0x80000100);
        Assert.Equal(new LoadedImage(0x80000100, 0x80000100, 0x80000103), loaded);
        Assert.Equal(3, bus.Ram.Bytes[0x102]);
        Assert.Equal(0x80200000UL, ImageLoader.KernelStartAfter(0x8001a000));
        Assert.Equal(0x80200000UL, ImageLoader.KernelStartAfter(0x80200000));
    }

    [Fact]
    public void Elf_BadMagic_Throws()
    {
        var ex = Assert.Throws<ImageFormatException>(() => ElfImage.Load([1, 2, 3, 4, 5]));
        Assert.Equal("not an ELF file (bad magic)", ex.Message);
    }

    [Fact]
    public void Elf_WrongMachineClassOrTruncation_ThrowOneLineErrors()
    {
        Assert.Contains("not RISC-V", Assert.Throws<ImageFormatException>(() => ElfImage.Load(TinyElf(machine: 62))).Message);
        Assert.Contains("not ELF64", Assert.Throws<ImageFormatException>(() => ElfImage.Load(TinyElf(cls: 1))).Message);
        Assert.Contains("outside", Assert.Throws<ImageFormatException>(() => ElfImage.Load(TinyElf()[..100])).Message);
        Assert.Contains("truncated", Assert.Throws<ImageFormatException>(() => ElfImage.Load(TinyElf()[..20])).Message);
        Assert.Contains("file size", Assert.Throws<ImageFormatException>(() => ElfImage.Load(TinyElf(fileSize: 64, memSize: 8))).Message);
        foreach (var bad in new[] { TinyElf(machine: 62), TinyElf()[..100] })
            Assert.DoesNotContain('\n', Assert.Throws<ImageFormatException>(() => ElfImage.Load(bad)).Message);
    }
}
