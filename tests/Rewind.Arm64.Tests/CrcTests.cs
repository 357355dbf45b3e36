namespace Rewind.Arm64.Tests;

/// <summary>CRC32 and CRC32C (U-Boot checks its environment with them); encodings from GNU as (+crc).</summary>
public class CrcTests
{
    private const ulong Digits1To8 = 0x3837_3635_3433_3231; // "12345678" as a little-endian doubleword

    /// <summary>The standard check: the CRC of "123456789", with the usual inversion done around the instructions.</summary>
    private static uint CheckValue(uint doubleword, uint singleByte)
    {
        var rig = new CpuRig(doubleword, singleByte);
        rig.Cpu.SetX(0, 0xffff_ffff);
        rig.Cpu.SetX(1, Digits1To8);
        rig.Cpu.SetX(2, (byte)'9');
        rig.Step(2);
        Assert.Equal(CpuRig.Ram + 8, rig.Cpu.Pc);
        return ~(uint)rig.Cpu.GetX(0);
    }

    [Fact]
    public void Crc32x_then_crc32b_over_123456789_gives_the_crc32_check_value()
    {
        Assert.Equal(0xcbf4_3926u, CheckValue(0x9ac14c00, 0x1ac24000)); // crc32x w0, w0, x1; crc32b w0, w0, w2
    }

    [Fact]
    public void Crc32cx_then_crc32cb_over_123456789_gives_the_castagnoli_check_value()
    {
        Assert.Equal(0xe306_9283u, CheckValue(0x9ac15c00, 0x1ac25000)); // crc32cx w0, w0, x1; crc32cb w0, w0, w2
    }

    [Fact]
    public void Crc32h_and_crc32w_take_two_and_four_bytes_of_the_data_register()
    {
        // Two halfwords fed one at a time equal one word: the CRC is a byte stream.
        var rig = new CpuRig(0x1ac54483, 0x1ac54483, 0x1ac54886); // crc32h w3, w4, w5 (twice, the second on w3); crc32w w6, w4, w5
        rig.Load(CpuRig.Ram + 4, 0x1ac74463); // crc32h w3, w3, w7
        rig.Cpu.SetX(4, 0x1234_5678);
        rig.Cpu.SetX(5, 0xffff_ffff_aaaa_bbbb); // the bits above the operand size are ignored
        rig.Cpu.SetX(7, 0xaaaa);
        rig.Step(3);
        Assert.Equal(rig.Cpu.GetX(6), rig.Cpu.GetX(3));
        Assert.NotEqual(0x1234_5678UL, rig.Cpu.GetX(3));
        Assert.Equal(0UL, rig.Cpu.GetX(3) >> 32);
    }

    [Fact]
    public void Crc32x_without_the_64_bit_flag_is_undefined()
    {
        var rig = new CpuRig(0x1ac14c00); // sf=0 with sz=11: unallocated
        rig.Step();
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(0x0200_0000UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
    }
}
