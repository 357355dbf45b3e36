using System.Buffers.Binary;
using Rewind.Board.Arm;
using Rewind.Core.Memory;

namespace Rewind.Board.Tests.Arm;

/// <summary>fw-cfg-mmio as U-Boot's qfw driver uses it: big-endian selector, streamed data, DMA descriptors in RAM.</summary>
public class FwCfgTests
{
    private const ulong RamBase = 0x4000_0000;
    private readonly PhysicalMemory _ram = new(RamBase, 1 << 20);

    private FwCfg Device() => new(_ram, 1);

    private static void Select(FwCfg fw, ushort key) => fw.Write(8, 2, BinaryPrimitives.ReverseEndianness(key));

    private void Descriptor(ulong at, uint control, uint length, ulong address)
    {
        Span<byte> d = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(d, control);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], length);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], address);
        _ram.Write(at - RamBase, d);
    }

    private uint Control(ulong at)
    {
        Span<byte> b = stackalloc byte[4];
        _ram.Read(at - RamBase, b);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    [Fact]
    public void Selected_signature_streams_qemu_through_the_data_register()
    {
        var fw = Device();
        Select(fw, FwCfg.Signature);
        Assert.Equal(0x554d_4551UL, fw.Read(0, 4)); // "QEMU" in memory order
        Assert.Equal(0UL, fw.Read(0, 4));           // past the end: zeros
    }

    [Fact]
    public void Id_offers_dma_and_the_dma_register_reads_qemu_cfg()
    {
        var fw = Device();
        Select(fw, FwCfg.Id);
        Assert.Equal(3UL, fw.Read(0, 4));
        Assert.Equal(BinaryPrimitives.ReverseEndianness(0x5145_4d55_2043_4647UL), fw.Read(0x10, 8));
    }

    [Fact]
    public void Dma_select_and_read_copies_the_item_and_zero_fills_past_it()
    {
        var fw = Device();
        _ram.Bytes[0x200..0x208].Fill(0xee);
        Descriptor(RamBase + 0x100, (uint)FwCfg.NbCpus << 16 | 0x08 | 0x02, 4, RamBase + 0x200);
        fw.Write(0x10, 8, BinaryPrimitives.ReverseEndianness(RamBase + 0x100));
        Assert.Equal(0u, Control(RamBase + 0x100));
        Assert.Equal([1, 0, 0, 0, 0xee], _ram.Bytes[0x200..0x205].ToArray());
        Assert.True(_ram.IsDirty(0));
    }

    [Fact]
    public void Dma_by_two_32_bit_writes_runs_on_the_low_half()
    {
        var fw = Device();
        Descriptor(RamBase + 0x100, (uint)FwCfg.Signature << 16 | 0x08 | 0x02, 4, RamBase + 0x300);
        fw.Write(0x10, 4, 0);
        fw.Write(0x14, 4, BinaryPrimitives.ReverseEndianness((uint)(RamBase + 0x100)));
        Assert.Equal("QEMU"u8.ToArray(), _ram.Bytes[0x300..0x304].ToArray());
    }

    [Fact]
    public void Dma_outside_ram_or_too_long_sets_the_error_bit_without_writing()
    {
        var fw = Device();
        Descriptor(RamBase + 0x100, 0x08 | 0x02, 0xffff_ff00, RamBase + 0x200);
        fw.Write(0x10, 8, BinaryPrimitives.ReverseEndianness(RamBase + 0x100));
        Assert.Equal(1u, Control(RamBase + 0x100));
        Descriptor(RamBase + 0x100, 0x02, 4, 0x1000);
        fw.Write(0x10, 8, BinaryPrimitives.ReverseEndianness(RamBase + 0x100));
        Assert.Equal(1u, Control(RamBase + 0x100));
    }

    [Fact]
    public void Kernel_size_reads_zero_on_a_firmware_boot()
    {
        // U-Boot's `qfw load` prints "fatal: no kernel available" from this, as on QEMU without -kernel.
        var fw = Device();
        Select(fw, FwCfg.KernelSize);
        Assert.Equal(0UL, fw.Read(0, 4));
    }
}
