using System.Runtime.CompilerServices;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv.Tests;

/// <summary>The decoded slot's shape, which the interpreter's speed on large code depends on.</summary>
public class DecodedInsnTests
{
    [Fact]
    public void A_decoded_slot_takes_16_bytes()
    {
        // One slot per 2-byte parcel of every code page: 24 bytes made a kernel's slots miss the cache.
        Assert.Equal(16, Unsafe.SizeOf<DecodedInsn>());
    }

    [Theory]
    [InlineData(0x7ffff0b7u, 0x7ffff000)]   // lui ra, 0x7ffff: the largest positive upper immediate
    [InlineData(0x800000b7u, int.MinValue)] // lui ra, 0x80000: sign-extends on RV64
    public void The_upper_immediate_keeps_its_sign_in_32_bits(uint raw, int imm)
    {
        var d = Decoder.Decode(raw);
        Assert.Equal(Op.Lui, d.Op);
        Assert.Equal(imm, d.Imm);
        Assert.Equal(0xffff_ffff_8000_0000UL, (ulong)Decoder.Decode(0x800000b7u).Imm);
    }
}
