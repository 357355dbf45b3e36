using System.Numerics;

namespace Rewind.Riscv.Fpu;

/// <summary>
/// IEEE 754 arithmetic in software with RISC-V semantics: every rounding mode, exact exception flags
/// (tininess detected after rounding), and the canonical NaN as the result of any operation that
/// produces a NaN. Operands and results are raw bit patterns of the given <see cref="FloatFormat"/>.
/// Works on exact integer significands (UInt128), so results do not depend on host floating point.
/// Allocation-free.
/// </summary>
public static class SoftFloat
{
    // ------------------------------------------------------------------ rounding

    /// <summary>
    /// Shifts <paramref name="sig"/> right by <paramref name="shift"/> (at least 1) and rounds the
    /// quotient to an integer under <paramref name="rm"/>. <paramref name="sticky"/> stands for
    /// non-zero bits below sig's least significant bit. The result may carry into a new top bit.
    /// </summary>
    public static UInt128 RoundShift(UInt128 sig, int shift, bool sticky, bool negative, RoundingMode rm, out bool inexact)
    {
        UInt128 q;
        bool round, rest;
        if (shift > 128)
        {
            q = 0;
            round = false;
            rest = sig != 0 || sticky;
        }
        else if (shift == 128)
        {
            q = 0;
            round = (sig >> 127) != 0;
            rest = (sig << 1) != 0 || sticky;
        }
        else
        {
            q = sig >> shift;
            round = ((sig >> (shift - 1)) & 1) != 0;
            rest = sticky || (shift > 1 && (sig & ((UInt128.One << (shift - 1)) - 1)) != 0);
        }
        inexact = round || rest;
        bool increment = rm switch
        {
            RoundingMode.Rne => round && (rest || (q & 1) != 0),
            RoundingMode.Rtz => false,
            RoundingMode.Rdn => inexact && negative,
            RoundingMode.Rup => inexact && !negative,
            _ => round,
        };
        return increment ? q + 1 : q;
    }

    /// <summary>
    /// Rounds the exact value (-1)^sign * (sig + sticky fraction) * 2^exp (sig non-zero) to the format,
    /// raising inexact, overflow and underflow (tiny after rounding and inexact) as IEEE 754 specifies.
    /// </summary>
    public static ulong RoundPack(bool negative, int exp, UInt128 sig, bool sticky, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        int lz = (int)UInt128.LeadingZeroCount(sig);
        sig <<= lz;
        exp -= lz;
        int lead = exp + 127; // exponent of the leading one
        int p = f.Precision;

        // Tininess after rounding: rounded to p bits with an unbounded exponent, is it below 2^emin?
        bool tiny = false;
        if (lead < f.Emin)
        {
            tiny = true;
            if (lead == f.Emin - 1)
            {
                UInt128 u = RoundShift(sig, 128 - p, sticky, negative, rm, out _);
                if ((u >> p) != 0) tiny = false;
            }
        }

        int lsb = Math.Max(lead, f.Emin) - p + 1; // weight of the result's last bit
        ulong q = (ulong)RoundShift(sig, lsb - exp, sticky, negative, rm, out bool inexact);
        if ((q >> p) != 0)
        {
            q >>= 1; // carried out to exactly 2^p
            lsb++;
        }
        ulong sign = f.Zero(negative);
        if ((q >> (p - 1)) != 0)
        {
            int e = lsb + p - 1;
            if (e > f.Emax)
            {
                flags |= FFlags.Overflow | FFlags.Inexact;
                return OverflowResult(negative, f, rm);
            }
            if (inexact) flags |= tiny ? FFlags.Inexact | FFlags.Underflow : FFlags.Inexact;
            return sign | ((ulong)(e + f.Bias) << f.MantBits) | (q & f.MantMask);
        }
        if (inexact) flags |= FFlags.Inexact | FFlags.Underflow;
        return sign | q;
    }

    private static ulong OverflowResult(bool negative, FloatFormat f, RoundingMode rm) => rm switch
    {
        RoundingMode.Rtz => f.MaxFinite(negative),
        RoundingMode.Rdn => negative ? f.Infinity(true) : f.MaxFinite(false),
        RoundingMode.Rup => negative ? f.MaxFinite(true) : f.Infinity(false),
        _ => f.Infinity(negative),
    };

    private static UInt128 ShiftRightJam(UInt128 x, int n)
    {
        if (n == 0) return x;
        if (n >= 128) return x != 0 ? UInt128.One : UInt128.Zero;
        UInt128 lost = x & ((UInt128.One << n) - 1);
        return (x >> n) | (lost != 0 ? UInt128.One : UInt128.Zero);
    }

    /// <summary>NaN result: canonical, invalid if any operand is signaling.</summary>
    private static ulong PropagateNaN(ulong a, ulong b, FloatFormat f, ref uint flags)
    {
        if (f.IsSignalingNaN(a) || f.IsSignalingNaN(b)) flags |= FFlags.Invalid;
        return f.DefaultNaN;
    }

    /// <summary>Exact sum of two non-zero values, rounded once. Significands up to 126 bits.</summary>
    private static ulong AddCore(bool sa, int ea, UInt128 ma, bool sb, int eb, UInt128 mb, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        // Both leading ones to bit 125: room for a carry, and far more guard bits than rounding needs.
        int na = (int)UInt128.LeadingZeroCount(ma) - 2;
        int nb = (int)UInt128.LeadingZeroCount(mb) - 2;
        ma <<= na;
        ea -= na;
        mb <<= nb;
        eb -= nb;
        if (ea < eb || (ea == eb && ma < mb))
        {
            (sa, sb) = (sb, sa);
            (ea, eb) = (eb, ea);
            (ma, mb) = (mb, ma);
        }
        mb = ShiftRightJam(mb, ea - eb);
        UInt128 r = sa == sb ? ma + mb : ma - mb;
        if (r == 0) return f.Zero(rm == RoundingMode.Rdn);
        return RoundPack(sa, ea, r, false, f, rm, ref flags);
    }

    // ------------------------------------------------------------------ arithmetic

    public static ulong Add(ulong a, ulong b, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        if (f.IsNaN(a) || f.IsNaN(b)) return PropagateNaN(a, b, f, ref flags);
        bool sa = f.Sign(a), sb = f.Sign(b);
        if (f.IsInfinity(a))
        {
            if (f.IsInfinity(b) && sa != sb)
            {
                flags |= FFlags.Invalid;
                return f.DefaultNaN;
            }
            return a;
        }
        if (f.IsInfinity(b)) return b;
        if (f.IsZero(a) && f.IsZero(b)) return sa == sb ? a : f.Zero(rm == RoundingMode.Rdn);
        if (f.IsZero(a)) return b;
        if (f.IsZero(b)) return a;
        f.Unpack(a, out int ea, out ulong ma);
        f.Unpack(b, out int eb, out ulong mb);
        return AddCore(sa, ea, ma, sb, eb, mb, f, rm, ref flags);
    }

    public static ulong Sub(ulong a, ulong b, FloatFormat f, RoundingMode rm, ref uint flags) =>
        f.IsNaN(b) ? PropagateNaN(a, b, f, ref flags) : Add(a, b ^ f.SignBit, f, rm, ref flags);

    public static ulong Mul(ulong a, ulong b, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        if (f.IsNaN(a) || f.IsNaN(b)) return PropagateNaN(a, b, f, ref flags);
        bool s = f.Sign(a) ^ f.Sign(b);
        if (f.IsInfinity(a) || f.IsInfinity(b))
        {
            if (f.IsZero(a) || f.IsZero(b))
            {
                flags |= FFlags.Invalid;
                return f.DefaultNaN;
            }
            return f.Infinity(s);
        }
        if (f.IsZero(a) || f.IsZero(b)) return f.Zero(s);
        f.Unpack(a, out int ea, out ulong ma);
        f.Unpack(b, out int eb, out ulong mb);
        return RoundPack(s, ea + eb, (UInt128)ma * mb, false, f, rm, ref flags);
    }

    public static ulong Div(ulong a, ulong b, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        if (f.IsNaN(a) || f.IsNaN(b)) return PropagateNaN(a, b, f, ref flags);
        bool s = f.Sign(a) ^ f.Sign(b);
        if (f.IsInfinity(a))
        {
            if (f.IsInfinity(b))
            {
                flags |= FFlags.Invalid;
                return f.DefaultNaN;
            }
            return f.Infinity(s);
        }
        if (f.IsInfinity(b)) return f.Zero(s);
        if (f.IsZero(b))
        {
            if (f.IsZero(a))
            {
                flags |= FFlags.Invalid;
                return f.DefaultNaN;
            }
            flags |= FFlags.DivideByZero;
            return f.Infinity(s);
        }
        if (f.IsZero(a)) return f.Zero(s);
        f.Unpack(a, out int ea, out ulong ma);
        f.Unpack(b, out int eb, out ulong mb);
        int na = BitOperations.LeadingZeroCount(ma) - 11;
        int nb = BitOperations.LeadingZeroCount(mb) - 11;
        ma <<= na;
        ea -= na;
        mb <<= nb;
        eb -= nb;
        // Both significands now have their leading one at bit 52; the quotient gets at least 74 bits.
        UInt128 n = (UInt128)ma << 75;
        UInt128 q = UInt128.DivRem(n, mb).Quotient;
        bool rest = q * mb != n;
        return RoundPack(s, ea - 75 - eb, q, rest, f, rm, ref flags);
    }

    public static ulong Sqrt(ulong a, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        if (f.IsNaN(a)) return PropagateNaN(a, a, f, ref flags);
        if (f.IsZero(a)) return a;
        if (f.Sign(a))
        {
            flags |= FFlags.Invalid;
            return f.DefaultNaN;
        }
        if (f.IsInfinity(a)) return a;
        f.Unpack(a, out int ea, out ulong ma);
        int na = BitOperations.LeadingZeroCount(ma) - 11;
        ma <<= na;
        ea -= na;
        int k = ((ea - 75) & 1) == 0 ? 75 : 74; // make the exponent even
        UInt128 n = (UInt128)ma << k;
        UInt128 root = ISqrt(n, out UInt128 rem);
        return RoundPack(false, (ea - k) / 2, root, rem != 0, f, rm, ref flags);
    }

    /// <summary>Integer square root by the digit-by-digit method: floor(sqrt(n)) and n - root^2.</summary>
    public static UInt128 ISqrt(UInt128 n, out UInt128 remainder)
    {
        UInt128 rem = n, root = 0, bit = UInt128.One << 126;
        while (bit > rem) bit >>= 2;
        while (bit != 0)
        {
            if (rem >= root + bit)
            {
                rem -= root + bit;
                root = (root >> 1) + bit;
            }
            else root >>= 1;
            bit >>= 2;
        }
        remainder = rem;
        return root;
    }

    /// <summary>
    /// Fused multiply-add: (±a*b) ± c rounded once. negateProduct and negateAddend give fmsub
    /// (a*b - c), fnmsub (-(a*b) + c) and fnmadd (-(a*b) - c).
    /// </summary>
    public static ulong MulAdd(ulong a, ulong b, ulong c, bool negateProduct, bool negateAddend, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        bool infTimesZero = (f.IsInfinity(a) && f.IsZero(b)) || (f.IsZero(a) && f.IsInfinity(b));
        if (f.IsNaN(a) || f.IsNaN(b) || f.IsNaN(c))
        {
            // The spec requires invalid for inf * 0 even when the addend is a quiet NaN.
            if (f.IsSignalingNaN(a) || f.IsSignalingNaN(b) || f.IsSignalingNaN(c) || infTimesZero) flags |= FFlags.Invalid;
            return f.DefaultNaN;
        }
        bool sp = f.Sign(a) ^ f.Sign(b) ^ negateProduct;
        bool sc = f.Sign(c) ^ negateAddend;
        if (infTimesZero)
        {
            flags |= FFlags.Invalid;
            return f.DefaultNaN;
        }
        if (f.IsInfinity(a) || f.IsInfinity(b))
        {
            if (f.IsInfinity(c) && sc != sp)
            {
                flags |= FFlags.Invalid;
                return f.DefaultNaN;
            }
            return f.Infinity(sp);
        }
        if (f.IsInfinity(c)) return f.Infinity(sc);
        if (f.IsZero(a) || f.IsZero(b))
        {
            if (f.IsZero(c)) return sp == sc ? f.Zero(sp) : f.Zero(rm == RoundingMode.Rdn);
            return c ^ (negateAddend ? f.SignBit : 0);
        }
        f.Unpack(a, out int ea, out ulong ma);
        f.Unpack(b, out int eb, out ulong mb);
        UInt128 product = (UInt128)ma * mb;
        if (f.IsZero(c)) return RoundPack(sp, ea + eb, product, false, f, rm, ref flags);
        f.Unpack(c, out int ec, out ulong mc);
        return AddCore(sp, ea + eb, product, sc, ec, mc, f, rm, ref flags);
    }

    // ------------------------------------------------------------------ min, max, compare, classify

    /// <summary>a &lt; b for non-NaN values; with zeroOrdered, -0 &lt; +0 (as fmin/fmax order them).</summary>
    private static bool Less(ulong a, ulong b, FloatFormat f, bool zeroOrdered)
    {
        bool sa = f.Sign(a), sb = f.Sign(b);
        if (sa != sb) return sa && (zeroOrdered || !(f.IsZero(a) && f.IsZero(b)));
        ulong ma = a & ~f.SignBit, mb = b & ~f.SignBit;
        return sa ? ma > mb : ma < mb;
    }

    /// <summary>fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber, as RISC-V F 2.2 specifies).</summary>
    public static ulong MinMax(ulong a, ulong b, bool max, FloatFormat f, ref uint flags)
    {
        if (f.IsSignalingNaN(a) || f.IsSignalingNaN(b)) flags |= FFlags.Invalid;
        bool na = f.IsNaN(a), nb = f.IsNaN(b);
        if (na && nb) return f.DefaultNaN;
        if (na) return b;
        if (nb) return a;
        bool aLess = Less(a, b, f, zeroOrdered: true);
        return aLess ^ max ? a : b;
    }

    /// <summary>feq: quiet (invalid only for signaling NaNs).</summary>
    public static bool Eq(ulong a, ulong b, FloatFormat f, ref uint flags)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
        {
            if (f.IsSignalingNaN(a) || f.IsSignalingNaN(b)) flags |= FFlags.Invalid;
            return false;
        }
        return a == b || (f.IsZero(a) && f.IsZero(b));
    }

    /// <summary>flt (orEqual false) or fle (orEqual true): signaling (invalid for any NaN).</summary>
    public static bool Lt(ulong a, ulong b, bool orEqual, FloatFormat f, ref uint flags)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
        {
            flags |= FFlags.Invalid;
            return false;
        }
        if (orEqual && (a == b || (f.IsZero(a) && f.IsZero(b)))) return true;
        return Less(a, b, f, zeroOrdered: false);
    }

    /// <summary>fclass: one bit of ten (-inf, -normal, -subnormal, -0, +0, +subnormal, +normal, +inf, sNaN, qNaN).</summary>
    public static ulong Classify(ulong a, FloatFormat f)
    {
        if (f.IsNaN(a)) return f.IsSignalingNaN(a) ? 1UL << 8 : 1UL << 9;
        bool s = f.Sign(a);
        int bit;
        if (f.IsInfinity(a)) bit = s ? 0 : 7;
        else if (f.IsZero(a)) bit = s ? 3 : 4;
        else if (f.ExpField(a) == 0) bit = s ? 2 : 5;
        else bit = s ? 1 : 6;
        return 1UL << bit;
    }

    // ------------------------------------------------------------------ conversions

    /// <summary>
    /// Float to integer (32 or 64 bits, signed or unsigned) with RISC-V saturation: NaN and +inf give the
    /// largest value, -inf the smallest; out of range saturates with invalid and without inexact. A
    /// 32-bit result comes back sign-extended to 64 bits, as fcvt.w[u] write it.
    /// </summary>
    public static ulong ToInt(ulong a, FloatFormat f, bool signed, int bits, RoundingMode rm, ref uint flags)
    {
        ulong maxPos = signed ? (1UL << (bits - 1)) - 1 : bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        ulong negLimit = signed ? 1UL << (bits - 1) : 0; // magnitude of the most negative result
        ulong result;
        bool negative = f.Sign(a);
        if (f.IsNaN(a))
        {
            flags |= FFlags.Invalid;
            result = maxPos;
        }
        else if (f.IsZero(a))
        {
            result = 0;
        }
        else
        {
            bool overflow;
            ulong mag = 0;
            bool inexact = false;
            if (f.IsInfinity(a))
            {
                overflow = true;
            }
            else
            {
                f.Unpack(a, out int exp, out ulong sig);
                if (exp >= 0)
                {
                    overflow = 64 - BitOperations.LeadingZeroCount(sig) + exp > 64;
                    if (!overflow) mag = sig << exp;
                }
                else
                {
                    mag = (ulong)RoundShift(sig, -exp, false, negative, rm, out inexact);
                    overflow = false;
                }
                if (!overflow) overflow = negative ? mag > negLimit : mag > maxPos;
            }
            if (overflow)
            {
                flags |= FFlags.Invalid;
                result = negative ? 0UL - negLimit : maxPos; // unsigned: negLimit is 0
            }
            else
            {
                if (inexact) flags |= FFlags.Inexact;
                result = negative ? 0UL - mag : mag;
            }
        }
        return bits == 32 ? (ulong)(long)(int)(uint)result : result;
    }

    /// <summary>Integer (the low 32 or all 64 bits of <paramref name="value"/>) to float, rounded.</summary>
    public static ulong FromInt(ulong value, bool signed, int bits, FloatFormat f, RoundingMode rm, ref uint flags)
    {
        if (bits == 32) value = signed ? (ulong)(long)(int)value : (uint)value;
        bool negative = signed && (long)value < 0;
        ulong mag = negative ? 0UL - value : value;
        if (mag == 0) return 0;
        return RoundPack(negative, 0, mag, false, f, rm, ref flags);
    }

    /// <summary>Converts between formats (fcvt.s.d rounds; fcvt.d.s is exact).</summary>
    public static ulong Convert(ulong a, FloatFormat from, FloatFormat to, RoundingMode rm, ref uint flags)
    {
        if (from.IsNaN(a))
        {
            if (from.IsSignalingNaN(a)) flags |= FFlags.Invalid;
            return to.DefaultNaN;
        }
        bool s = from.Sign(a);
        if (from.IsInfinity(a)) return to.Infinity(s);
        if (from.IsZero(a)) return to.Zero(s);
        from.Unpack(a, out int exp, out ulong sig);
        return RoundPack(s, exp, sig, false, to, rm, ref flags);
    }
}
