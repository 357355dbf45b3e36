using System.Runtime.CompilerServices;
using Rewind.Arm64.Decode;

namespace Rewind.Arm64.Tests;

/// <summary>The decoded slot's shape, which the interpreter's speed on large code depends on.</summary>
public class A64OpTests
{
    [Fact]
    public void A_decoded_slot_takes_32_bytes()
    {
        // One slot per instruction of every code page: 48 bytes made a kernel's slots miss the cache.
        Assert.Equal(32, Unsafe.SizeOf<A64Op>());
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(0xffff_ffffUL)]
    public void The_width_mask_reads_back_as_written(ulong mask)
    {
        var op = new A64Op { Mask = mask };
        Assert.Equal(mask, op.Mask);
    }

    // Shifted-register operands with ASR: the vacated bits take the sign (SignFill), within the width.
    [Theory]
    [InlineData(0x8b821020u, 100UL, 0xffff_ffff_ffff_ff00UL, 84UL)]            // add x0, x1, x2, asr #4
    [InlineData(0x8b821020u, 100UL, 0x7fff_ffff_ffff_ff00UL, 0x0800_0000_0000_0054UL)] // positive: zeros shift in
    [InlineData(0x4b820c20u, 5UL, 0x8000_0000UL, 0x1000_0005UL)]          // sub w0, w1, w2, asr #3
    [InlineData(0x4b820c20u, 5UL, 0xffff_ffff_0000_0040UL, 0xffff_fffdUL)]                            // the upper half of w2 is not its sign
    public void An_arithmetic_shift_right_operand_fills_with_the_sign_in_its_width(uint insn, ulong x1, ulong x2, ulong expected)
    {
        var rig = new CpuRig(insn);
        rig.Cpu.SetX(1, x1);
        rig.Cpu.SetX(2, x2);
        rig.Step();
        Assert.Equal(expected, rig.Cpu.GetX(0));
    }

    [Fact]
    public void Eor_and_bic_with_asr_fill_with_the_sign()
    {
        var rig = new CpuRig(0xca82fc23, 0x0aa27c24); // eor x3, x1, x2, asr #63; bic w4, w1, w2, asr #31
        rig.Cpu.SetX(1, 0x1234_5678_9abc_def0);
        rig.Cpu.SetX(2, 0x8000_0000_8000_0000);
        rig.Step(2);
        Assert.Equal(~0x1234_5678_9abc_def0UL, rig.Cpu.GetX(3));
        Assert.Equal(0UL, rig.Cpu.GetX(4));
    }
}
