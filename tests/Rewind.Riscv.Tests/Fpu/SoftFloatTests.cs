using Rewind.Riscv.Fpu;

namespace Rewind.Riscv.Tests.Fpu;

/// <summary>The soft-float core: rounding in every mode, flags, special values, conversions.</summary>
public class SoftFloatTests
{
    private static readonly FloatFormat S = FloatFormat.Single;
    private static readonly FloatFormat D = FloatFormat.Double;
    private const uint NX = FFlags.Inexact, UF = FFlags.Underflow, OF = FFlags.Overflow, DZ = FFlags.DivideByZero, NV = FFlags.Invalid;

    private static ulong Bits(float f) => BitConverter.SingleToUInt32Bits(f);
    private static ulong Bits(double d) => BitConverter.DoubleToUInt64Bits(d);

    [Theory]
    // quotient of 0b1011 >> 2 = 2.75: round bit 1, rest 1
    [InlineData(0b1011, 2, RoundingMode.Rne, false, 3, true)]
    [InlineData(0b1011, 2, RoundingMode.Rtz, false, 2, true)]
    [InlineData(0b1011, 2, RoundingMode.Rdn, false, 2, true)]
    [InlineData(0b1011, 2, RoundingMode.Rdn, true, 3, true)]
    [InlineData(0b1011, 2, RoundingMode.Rup, false, 3, true)]
    [InlineData(0b1011, 2, RoundingMode.Rup, true, 2, true)]
    // ties: 2.5 and 3.5
    [InlineData(0b1010, 2, RoundingMode.Rne, false, 2, true)]
    [InlineData(0b1110, 2, RoundingMode.Rne, false, 4, true)]
    [InlineData(0b1010, 2, RoundingMode.Rmm, false, 3, true)]
    [InlineData(0b1010, 2, RoundingMode.Rmm, true, 3, true)]
    // exact
    [InlineData(0b1100, 2, RoundingMode.Rup, false, 3, false)]
    public void RoundShift_rounds_in_each_mode(int sig, int shift, RoundingMode rm, bool negative, int expected, bool inexact)
    {
        var q = SoftFloat.RoundShift((UInt128)sig, shift, false, negative, rm, out bool nx);
        Assert.Equal((UInt128)expected, q);
        Assert.Equal(inexact, nx);
    }

    [Fact]
    public void RoundShift_sticky_breaks_a_tie_and_large_shifts_keep_only_sticky()
    {
        Assert.Equal((UInt128)3, SoftFloat.RoundShift(0b1010, 2, true, false, RoundingMode.Rne, out _));
        Assert.Equal(UInt128.Zero, SoftFloat.RoundShift(UInt128.MaxValue, 129, false, false, RoundingMode.Rne, out bool nx));
        Assert.True(nx);
        Assert.Equal(UInt128.One, SoftFloat.RoundShift(UInt128.One << 127, 128, false, false, RoundingMode.Rmm, out _));
        Assert.Equal(UInt128.One, SoftFloat.RoundShift(1, 200, false, false, RoundingMode.Rup, out _));
    }

    [Theory]
    [InlineData(RoundingMode.Rne, 0x3eaaaaabu, 0xbeaaaaabu)]
    [InlineData(RoundingMode.Rtz, 0x3eaaaaaau, 0xbeaaaaaau)]
    [InlineData(RoundingMode.Rdn, 0x3eaaaaaau, 0xbeaaaaabu)]
    [InlineData(RoundingMode.Rup, 0x3eaaaaabu, 0xbeaaaaaau)]
    [InlineData(RoundingMode.Rmm, 0x3eaaaaabu, 0xbeaaaaabu)]
    public void One_third_in_single_in_every_mode(RoundingMode rm, uint positive, uint negative)
    {
        uint flags = 0;
        Assert.Equal(positive, SoftFloat.Div(Bits(1f), Bits(3f), S, rm, ref flags));
        Assert.Equal(negative, SoftFloat.Div(Bits(-1f), Bits(3f), S, rm, ref flags));
        Assert.Equal(NX, flags);
    }

    [Theory]
    [InlineData(RoundingMode.Rne, 0x7f800000u, 0xff800000u)]
    [InlineData(RoundingMode.Rtz, 0x7f7fffffu, 0xff7fffffu)]
    [InlineData(RoundingMode.Rdn, 0x7f7fffffu, 0xff800000u)]
    [InlineData(RoundingMode.Rup, 0x7f800000u, 0xff7fffffu)]
    [InlineData(RoundingMode.Rmm, 0x7f800000u, 0xff800000u)]
    public void Overflow_result_depends_on_mode_and_sign(RoundingMode rm, uint positive, uint negative)
    {
        uint flags = 0;
        Assert.Equal(positive, SoftFloat.Mul(Bits(float.MaxValue), Bits(2f), S, rm, ref flags));
        Assert.Equal(negative, SoftFloat.Mul(Bits(-float.MaxValue), Bits(2f), S, rm, ref flags));
        Assert.Equal(OF | NX, flags);
    }

    [Fact]
    public void Underflow_is_detected_after_rounding()
    {
        // (2 - 2^-24) * 2^-127 rounds to 2^-126 with an unbounded exponent: not tiny, so no underflow.
        ulong justBelow = 0x380ffffff0000000;
        uint flags = 0;
        Assert.Equal(0x00800000UL, SoftFloat.Convert(justBelow, D, S, RoundingMode.Rne, ref flags));
        Assert.Equal(NX, flags);
        flags = 0;
        Assert.Equal(0x007fffffUL, SoftFloat.Convert(justBelow, D, S, RoundingMode.Rtz, ref flags));
        Assert.Equal(UF | NX, flags);
        // Exact subnormal results raise nothing.
        flags = 0;
        Assert.Equal(0x00400000UL, SoftFloat.Mul(0x00800000, Bits(0.5f), S, RoundingMode.Rne, ref flags));
        Assert.Equal(0u, flags);
        // 2^-150 is a tie between 0 and the smallest subnormal.
        Assert.Equal(0UL, SoftFloat.Mul(1, Bits(0.5f), S, RoundingMode.Rne, ref flags));
        Assert.Equal(UF | NX, flags);
        Assert.Equal(1UL, SoftFloat.Mul(1, Bits(0.5f), S, RoundingMode.Rmm, ref flags));
    }

    [Fact]
    public void Special_values_give_the_canonical_nan_and_the_right_flags()
    {
        uint flags = 0;
        Assert.Equal(0x7fc00000UL, SoftFloat.Add(0x7fc12345, Bits(1f), S, RoundingMode.Rne, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(0x7fc00000UL, SoftFloat.Add(0x7f800001, Bits(1f), S, RoundingMode.Rne, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(Bits(double.PositiveInfinity), SoftFloat.Div(Bits(1.0), 0, D, RoundingMode.Rne, ref flags));
        Assert.Equal(DZ, flags);
        flags = 0;
        Assert.Equal(0x7ff8000000000000UL, SoftFloat.Sqrt(Bits(-1.0), D, RoundingMode.Rne, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(Bits(-0.0), SoftFloat.Sqrt(Bits(-0.0), D, RoundingMode.Rne, ref flags));
        Assert.Equal(Bits(-0.0), SoftFloat.Sub(Bits(1.0), Bits(1.0), D, RoundingMode.Rdn, ref flags));
        Assert.Equal(Bits(0.0), SoftFloat.Sub(Bits(1.0), Bits(1.0), D, RoundingMode.Rup, ref flags));
        Assert.Equal(0u, flags);
        // inf * 0 + qNaN is invalid
        Assert.Equal(0x7fc00000UL, SoftFloat.MulAdd(0x7f800000, 0, 0x7fc00000, false, false, S, RoundingMode.Rne, ref flags));
        Assert.Equal(NV, flags);
    }

    [Fact]
    public void Fused_multiply_add_rounds_once()
    {
        uint flags = 0;
        // (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46
        ulong r = SoftFloat.MulAdd(0x3f800001, 0x3f800001, 0x3f800002, false, true, S, RoundingMode.Rne, ref flags);
        Assert.Equal(0x28800000UL, r);
        Assert.Equal(0u, flags);
        // -(a*b) + c with a*b = 1 + 2^-25 rounds towards -inf to -(1 + 2^-23)
        r = SoftFloat.MulAdd(0x3eaaaaab, Bits(3f), 0, true, false, S, RoundingMode.Rdn, ref flags);
        Assert.Equal(0xbf800001UL, r);
        Assert.Equal(NX, flags);
        // -(0) - 0 = -0
        Assert.Equal(Bits(-0.0), SoftFloat.MulAdd(0, Bits(1.0), 0, true, true, D, RoundingMode.Rne, ref flags));
    }

    [Theory]
    [InlineData(0x40200000u, true, 32, RoundingMode.Rne, 2UL, NX)]                       // 2.5
    [InlineData(0x40200000u, true, 32, RoundingMode.Rmm, 3UL, NX)]
    [InlineData(0xc0200000u, true, 32, RoundingMode.Rdn, 0xfffffffffffffffdUL, NX)]        // -2.5
    [InlineData(0x4f32d05eu, true, 32, RoundingMode.Rtz, 0x7fffffffUL, NV)]               // 3e9
    [InlineData(0xcf32d05eu, true, 32, RoundingMode.Rtz, 0xffffffff80000000UL, NV)]
    [InlineData(0x7fc00000u, true, 32, RoundingMode.Rtz, 0x7fffffffUL, NV)]               // NaN
    [InlineData(0xff800000u, true, 64, RoundingMode.Rtz, 0x8000000000000000UL, NV)]       // -inf
    [InlineData(0x4f6e6b28u, false, 32, RoundingMode.Rtz, 0xffffffffee6b2800UL, 0u)]      // 4e9, sign-extended
    [InlineData(0xbf800000u, false, 32, RoundingMode.Rtz, 0UL, NV)]                       // -1 unsigned
    [InlineData(0xbf000000u, false, 64, RoundingMode.Rtz, 0UL, NX)]                       // -0.5 -> 0
    [InlineData(0xbf000000u, false, 64, RoundingMode.Rdn, 0UL, NV)]                       // -0.5 -> -1
    [InlineData(0x7f800000u, false, 64, RoundingMode.Rtz, ulong.MaxValue, NV)]
    [InlineData(0xdf000000u, true, 64, RoundingMode.Rtz, 0x8000000000000000UL, 0u)]       // -2^63 fits
    public void Float_to_integer_saturates(uint single, bool signed, int bits, RoundingMode rm, ulong expected, uint expectedFlags)
    {
        uint flags = 0;
        Assert.Equal(expected, SoftFloat.ToInt(single, S, signed, bits, rm, ref flags));
        Assert.Equal(expectedFlags, flags);
    }

    [Fact]
    public void Integer_to_float_rounds()
    {
        uint flags = 0;
        Assert.Equal(0x4f000000UL, SoftFloat.FromInt(0x7fffffff, true, 32, S, RoundingMode.Rne, ref flags));
        Assert.Equal(NX, flags);
        Assert.Equal(0x4effffffUL, SoftFloat.FromInt(0x7fffffff, true, 32, S, RoundingMode.Rtz, ref flags));
        Assert.Equal(0xdf000000UL, SoftFloat.FromInt(0x8000000000000000, true, 64, S, RoundingMode.Rtz, ref flags));
        Assert.Equal(0x5f800000UL, SoftFloat.FromInt(ulong.MaxValue, false, 64, S, RoundingMode.Rne, ref flags));
        Assert.Equal(0x4340000000000001UL, SoftFloat.FromInt(0x20000000000001, true, 64, D, RoundingMode.Rup, ref flags));
        flags = 0;
        Assert.Equal(Bits(-5.0), SoftFloat.FromInt(0xfffffffb, true, 32, D, RoundingMode.Rne, ref flags));
        Assert.Equal(0UL, SoftFloat.FromInt(0, true, 64, D, RoundingMode.Rdn, ref flags));
        Assert.Equal(0u, flags);
    }

    [Fact]
    public void Min_max_compare_and_classify()
    {
        uint flags = 0;
        Assert.Equal(Bits(-0f), SoftFloat.MinMax(Bits(0f), Bits(-0f), false, S, ref flags));
        Assert.Equal(Bits(0f), SoftFloat.MinMax(Bits(-0f), Bits(0f), true, S, ref flags));
        Assert.Equal(Bits(1f), SoftFloat.MinMax(0x7fc00000, Bits(1f), false, S, ref flags));
        Assert.Equal(0u, flags);
        Assert.Equal(Bits(1f), SoftFloat.MinMax(0x7f800001, Bits(1f), true, S, ref flags));
        Assert.Equal(NV, flags);
        flags = 0;
        Assert.Equal(0x7fc00000UL, SoftFloat.MinMax(0x7fc00000, 0xffc00001, true, S, ref flags));
        Assert.True(SoftFloat.Eq(Bits(-0.0), Bits(0.0), D, ref flags));
        Assert.False(SoftFloat.Lt(Bits(-0.0), Bits(0.0), false, D, ref flags));
        Assert.True(SoftFloat.Lt(Bits(-0.0), Bits(0.0), true, D, ref flags));
        Assert.False(SoftFloat.Eq(Bits(double.NaN), Bits(1.0), D, ref flags));
        Assert.Equal(0u, flags);
        Assert.False(SoftFloat.Lt(Bits(double.NaN), Bits(1.0), false, D, ref flags));
        Assert.Equal(NV, flags);
        Assert.Equal(1UL << 0, SoftFloat.Classify(Bits(double.NegativeInfinity), D));
        Assert.Equal(1UL << 2, SoftFloat.Classify(0x80000001, S));
        Assert.Equal(1UL << 3, SoftFloat.Classify(Bits(-0.0), D));
        Assert.Equal(1UL << 6, SoftFloat.Classify(Bits(1.0), D));
        Assert.Equal(1UL << 8, SoftFloat.Classify(0x7f800001, S));
        Assert.Equal(1UL << 9, SoftFloat.Classify(0x7fc00000, S));
    }

    // ------------------------------------------------------------ randomized checks against the host

    private static ulong RandomDouble(Random rng)
    {
        return rng.Next(8) switch
        {
            0 => (ulong)rng.NextInt64() << 1 ^ (ulong)rng.Next(2), // any bits
            1 => (ulong)rng.Next(2) << 63 | (ulong)rng.Next(60) << 52 | ((ulong)rng.NextInt64() & 0xfffffffffffff), // tiny
            2 => (ulong)rng.Next(2) << 63 | (ulong)(2046 - rng.Next(60)) << 52 | ((ulong)rng.NextInt64() & 0xfffffffffffff), // huge
            _ => (ulong)rng.Next(2) << 63 | (ulong)(1023 - 40 + rng.Next(80)) << 52 | ((ulong)rng.NextInt64() & 0xfffffffffffff),
        };
    }

    private static ulong RandomSingle(Random rng) => (uint)(RandomDouble(rng) >> 32 ^ (ulong)rng.Next());

    /// <summary>The host computes IEEE round-to-nearest-even; NaN payloads differ, so NaN results become canonical.</summary>
    private static ulong Canon(double d) => double.IsNaN(d) ? 0x7ff8000000000000 : Bits(d);
    private static ulong Canon(float f) => float.IsNaN(f) ? 0x7fc00000 : Bits(f);

    [Fact]
    public void Round_to_nearest_even_matches_host_arithmetic()
    {
        var rng = new Random(12345);
        for (int i = 0; i < 200_000; i++)
        {
            ulong a = RandomDouble(rng), b = RandomDouble(rng), c = RandomDouble(rng);
            if (i % 8 == 0) b = a ^ ((ulong)rng.Next(2) << 63);
            double x = BitConverter.UInt64BitsToDouble(a), y = BitConverter.UInt64BitsToDouble(b), z = BitConverter.UInt64BitsToDouble(c);
            uint fl = 0;
            Assert.Equal(Canon(x + y), SoftFloat.Add(a, b, D, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(x - y), SoftFloat.Sub(a, b, D, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(x * y), SoftFloat.Mul(a, b, D, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(x / y), SoftFloat.Div(a, b, D, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(Math.Sqrt(x)), SoftFloat.Sqrt(a, D, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(Math.FusedMultiplyAdd(x, y, z)), SoftFloat.MulAdd(a, b, c, false, false, D, RoundingMode.Rne, ref fl));

            ulong p = RandomSingle(rng), q = RandomSingle(rng), r = RandomSingle(rng);
            float u = BitConverter.UInt32BitsToSingle((uint)p), v = BitConverter.UInt32BitsToSingle((uint)q), w = BitConverter.UInt32BitsToSingle((uint)r);
            Assert.Equal(Canon(u + v), SoftFloat.Add(p, q, S, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(u * v), SoftFloat.Mul(p, q, S, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(u / v), SoftFloat.Div(p, q, S, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(MathF.Sqrt(u)), SoftFloat.Sqrt(p, S, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon(MathF.FusedMultiplyAdd(u, v, w)), SoftFloat.MulAdd(p, q, r, false, false, S, RoundingMode.Rne, ref fl));
            Assert.Equal(Canon((float)x), SoftFloat.Convert(a, D, S, RoundingMode.Rne, ref fl));
        }
    }

    /// <summary>
    /// Directed modes bracket the exact result: exact results agree in every mode; inexact finite ones
    /// have RUP one ulp above RDN, RTZ on the side of zero, and RNE/RMM equal to one of the two.
    /// </summary>
    [Fact]
    public void Directed_modes_bracket_the_exact_result()
    {
        var rng = new Random(777);
        Span<ulong> res = stackalloc ulong[5];
        for (int i = 0; i < 100_000; i++)
        {
            ulong a = RandomDouble(rng), b = RandomDouble(rng), c = RandomDouble(rng);
            for (int op = 0; op < 5; op++)
            {
                uint nxFlags = 0;
                for (int m = 0; m < 5; m++)
                {
                    uint fl = 0;
                    var rm = (RoundingMode)m;
                    res[m] = op switch
                    {
                        0 => SoftFloat.Add(a, b, D, rm, ref fl),
                        1 => SoftFloat.Mul(a, b, D, rm, ref fl),
                        2 => SoftFloat.Div(a, b, D, rm, ref fl),
                        3 => SoftFloat.Sqrt(a, D, rm, ref fl),
                        _ => SoftFloat.MulAdd(a, b, c, false, false, D, rm, ref fl),
                    };
                    if (m == 0) nxFlags = fl & NX;
                    else Assert.Equal(nxFlags, fl & NX);
                }
                double dn = BitConverter.UInt64BitsToDouble(res[(int)RoundingMode.Rdn]);
                double up = BitConverter.UInt64BitsToDouble(res[(int)RoundingMode.Rup]);
                if (double.IsNaN(dn) || double.IsInfinity(dn) || double.IsInfinity(up)) continue;
                if (nxFlags == 0)
                {
                    for (int m = 1; m < 5; m++) Assert.Equal(res[0], res[m]);
                    continue;
                }
                Assert.Equal(Math.BitIncrement(dn), up);
                Assert.Equal(dn < 0 || (dn == 0 && up <= 0) ? res[(int)RoundingMode.Rup] : res[(int)RoundingMode.Rdn], res[(int)RoundingMode.Rtz]);
                Assert.True(res[0] == res[2] || res[0] == res[3]);
                Assert.True(res[4] == res[2] || res[4] == res[3]);
            }
        }
    }
}
