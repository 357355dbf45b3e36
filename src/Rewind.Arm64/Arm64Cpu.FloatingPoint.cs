namespace Rewind.Arm64;

/// <summary>
/// Scalar floating point in single and double precision: FADD, FSUB, FMUL, FDIV, FNMUL, FMAX(NM),
/// FMIN(NM), FABS, FNEG, FSQRT, FCVT between the two, FMADD/FMSUB/FNMADD/FNMSUB (fused), FCMP(E),
/// FCCMP(E), FCSEL, FMOV (immediate), and the conversions to and from general registers (SCVTF, UCVTF,
/// FCVT[NAPMZ][SU]). Values are IEEE 754 as the host computes them (round to nearest even); NaNs follow
/// the Arm ARM's FPProcessNaNs (the first signalling NaN quietened, else the first quiet NaN, the
/// default NaN for invalid operations and with FPCR.DN), which the host's own NaN rules do not.
/// FPSR's cumulative flags: invalid operation, division by zero, inexact, overflow and underflow for
/// the arithmetic, fused multiply-adds and conversions (underflow when an inexact result's exact value
/// is below the normal range, judged before rounding as QEMU does for Arm); FPCR.FZ in
/// Arm64Cpu.FlushToZero.cs. Not modelled: FPCR's rounding modes other than to nearest, and half
/// precision; those encodings are undefined or round to nearest. The vector forms (Arm64Cpu.SimdFloat.cs) run lane by lane on this core.
/// </summary>
public sealed partial class Arm64Cpu
{
    private const uint Ioc = 1, Dzc = 2, Ofc = 4, Ufc = 8, Ixc = 16;
    private const ulong DefaultNaN64 = 0x7ff8_0000_0000_0000, DefaultNaN32 = 0x7fc0_0000;

    private bool TryFloatingPoint(uint insn, int rd, int rn, int rm)
    {
        if ((insn & 0xff20_0c00) == 0x1e20_0800) { FpTwoSource(insn, rd, rn, rm); return true; }
        if ((insn & 0xff20_7c00) == 0x1e20_4000) { FpOneSource(insn, rd, rn); return true; }
        if ((insn & 0xff20_fc07) == 0x1e20_2000) { FpCompare(insn, rn, rm); return true; }
        if ((insn & 0xff20_0c00) == 0x1e20_0c00) { FpSelect(insn, rd, rn, rm); return true; }
        if ((insn & 0xff20_0c00) == 0x1e20_0400) { FpConditionalCompare(insn, rn, rm); return true; }
        if ((insn & 0xff20_1fe0) == 0x1e20_1000) { FpImmediate(insn, rd); return true; }
        if ((insn & 0xff00_0000) == 0x1f00_0000) { FpMultiplyAdd(insn, rd, rn, rm); return true; }
        return false;
    }

    /// <summary>The operand width from the type field: true for double, false for single; half and 10 are undefined.</summary>
    private static bool FpDouble(uint insn)
    {
        uint type = (insn >> 22) & 3;
        if (type > 1) throw Undefined();
        return type == 1;
    }

    private ulong FpRead(int reg, bool dbl) => dbl ? _v[2 * reg] : (uint)_v[2 * reg];

    private void FpWrite(int reg, ulong bits, bool dbl) => SetV(reg, dbl ? bits : (uint)bits, 0);

    private void RaiseFp(uint flags) => _fpsr |= flags;

    private bool DefaultNaNMode => (_fpcr & (1UL << 25)) != 0;

    private static bool IsNaN(ulong bits, bool dbl) => dbl
        ? (bits & 0x7fff_ffff_ffff_ffffUL) > 0x7ff0_0000_0000_0000UL
        : (bits & 0x7fff_ffffUL) > 0x7f80_0000UL;

    private static bool IsSignalling(ulong bits, bool dbl) =>
        IsNaN(bits, dbl) && (bits & (dbl ? 1UL << 51 : 1UL << 22)) == 0;

    private static ulong Quiet(ulong bits, bool dbl) => bits | (dbl ? 1UL << 51 : 1UL << 22);

    private static ulong DefaultNaN(bool dbl) => dbl ? DefaultNaN64 : DefaultNaN32;

    /// <summary>The Arm ARM's FPProcessNaN: a NaN operand's result (quietened; the default NaN with FPCR.DN).</summary>
    private ulong ProcessNaN(ulong bits, bool dbl)
    {
        if (IsSignalling(bits, dbl)) RaiseFp(Ioc);
        return DefaultNaNMode ? DefaultNaN(dbl) : Quiet(bits, dbl);
    }

    /// <summary>FPProcessNaNs for any number of operands: signalling NaNs first, then quiet ones, in order.</summary>
    private bool TryProcessNaNs(bool dbl, out ulong result, params ReadOnlySpan<ulong> operands)
    {
        foreach (ulong op in operands)
            if (IsSignalling(op, dbl)) { result = ProcessNaN(op, dbl); return true; }
        foreach (ulong op in operands)
            if (IsNaN(op, dbl)) { result = ProcessNaN(op, dbl); return true; }
        result = 0;
        return false;
    }

    private static double AsDouble(ulong bits, bool dbl) => dbl ? BitConverter.UInt64BitsToDouble(bits) : BitConverter.UInt32BitsToSingle((uint)bits);

    private static ulong Bits(double value, bool dbl) => dbl ? BitConverter.DoubleToUInt64Bits(value) : BitConverter.SingleToUInt32Bits((float)value);

    /// <summary>How the exact result of an operation is obtained again, for judging tininess exactly.</summary>
    private enum Exact { Value, Sum, Product, Quotient }

    /// <summary>
    /// Rounds an exact-or-not double result to the destination format and raises the flags a rounded
    /// result implies: overflow (an infinity from finite operands), underflow (an inexact result whose
    /// exact value is tiny, below the normal range before rounding, as QEMU detects tininess for Arm),
    /// inexact. <paramref name="inexact"/> says the double itself was already rounded; the exact value is
    /// <paramref name="kind"/> of <paramref name="x"/> and <paramref name="y"/> (or the value itself).
    /// </summary>
    private ulong Round(double value, bool dbl, bool inexact, bool finiteOperands, Exact kind = Exact.Value, double x = 0, double y = 0)
    {
        double rounded = dbl ? value : (float)value;
        if (!dbl && !double.IsNaN(value) && rounded != value) inexact = true;
        if (finiteOperands && double.IsInfinity(rounded))
        {
            RaiseFp(Ofc | Ixc);
            return Bits(rounded, dbl);
        }
        if (inexact || (FlushToZero && rounded != 0 && !double.IsNaN(rounded)))
        {
            double tiny = dbl ? MinNormal : 1.1754943508222875e-38;
            int tinyExponent = dbl ? -1022 : -126;
            // A result that rounded up to the smallest normal may still have been tiny.
            bool below = Math.Abs(rounded) < tiny ||
                (inexact && Math.Abs(rounded) == tiny && ExactBelow(kind, kind == Exact.Value ? value : x, y, tinyExponent));
            if (below && FlushToZero) return FlushOut(rounded, dbl);
            if (inexact) RaiseFp(below ? Ufc | Ixc : Ixc);
        }
        return Bits(rounded, dbl);
    }

    /// <summary>Whether the exact |x op y| (or |x| for <see cref="Exact.Value"/>) is below 2^<paramref name="k"/>.</summary>
    private static bool ExactBelow(Exact kind, double x, double y, int k)
    {
        var (mx, ex) = ExactParts(x);
        var (my, ey) = ExactParts(y);
        switch (kind)
        {
            case Exact.Sum:
                {
                    int e = Math.Min(ex, ey);
                    return BelowPowerOfTwo((mx << (ex - e)) + (my << (ey - e)), e, k);
                }
            case Exact.Product:
                return BelowPowerOfTwo(mx * my, ex + ey, k);
            case Exact.Quotient:
                {
                    // |x| < 2^k |y|: both sides as integers times 2^e.
                    var left = System.Numerics.BigInteger.Abs(mx);
                    var right = System.Numerics.BigInteger.Abs(my);
                    int el = ex, er = ey + k, e = Math.Min(el, er);
                    return left << (el - e) < right << (er - e);
                }
            default:
                return BelowPowerOfTwo(mx, ex, k);
        }
    }

    private static bool BelowPowerOfTwo(System.Numerics.BigInteger m, int e, int k) =>
        k - e >= 0 ? System.Numerics.BigInteger.Abs(m) < System.Numerics.BigInteger.One << (k - e) : m.IsZero;

    private void FpTwoSource(uint insn, int rd, int rn, int rm)
    {
        bool dbl = FpDouble(insn);
        uint opcode = (insn >> 12) & 15;
        if (opcode > 8) throw Undefined();
        ulong a = FlushIn(FpRead(rn, dbl), dbl), b = FlushIn(FpRead(rm, dbl), dbl);
        double x = AsDouble(a, dbl), y = AsDouble(b, dbl);
        ulong result;
        if (opcode is 6 or 7 && IsNaN(a, dbl) != IsNaN(b, dbl) && !IsSignalling(a, dbl) && !IsSignalling(b, dbl))
        {
            // FMAXNM, FMINNM: one quiet NaN gives the other operand.
            result = IsNaN(a, dbl) ? b : a;
        }
        else if (TryProcessNaNs(dbl, out ulong nan, a, b)) result = nan;
        else
        {
            result = opcode switch
            {
                0 or 8 => Multiply(x, y, dbl),
                1 => Divide(x, y, dbl),
                2 => Add(x, y, dbl),
                3 => Add(x, -y, dbl),
                4 or 6 => MaxMin(x, y, a, b, dbl, max: true),
                _ => MaxMin(x, y, a, b, dbl, max: false),
            };
        }
        if (opcode == 8) result ^= dbl ? 1UL << 63 : 1UL << 31; // FNMUL negates, NaNs included
        FpWrite(rd, result, dbl);
    }

    private ulong Add(double x, double y, bool dbl)
    {
        if (double.IsInfinity(x) && double.IsInfinity(y) && x != y) return Invalid(dbl);
        double s = x + y;
        // Exact zero sums are +0 except -0 + -0 (round to nearest).
        if (s == 0 && x == 0 && y == 0) s = double.IsNegative(x) && double.IsNegative(y) ? -0.0 : 0.0;
        double bb = s - x, err = (x - (s - bb)) + (y - bb);
        bool finite = double.IsFinite(x) && double.IsFinite(y);
        return Round(s, dbl, finite && double.IsFinite(s) && err != 0, finite, Exact.Sum, x, y);
    }

    private ulong Multiply(double x, double y, bool dbl)
    {
        if ((double.IsInfinity(x) && y == 0) || (x == 0 && double.IsInfinity(y))) return Invalid(dbl);
        double p = x * y;
        bool finite = double.IsFinite(x) && double.IsFinite(y);
        bool inexact = finite && double.IsFinite(p) && Math.FusedMultiplyAdd(x, y, -p) != 0;
        if (finite && Math.Abs(p) <= 2 * MinNormal && x != 0 && y != 0)
        {
            // Near and below the normal range the residual is not representable: compare exactly.
            var (mx, ex) = ExactParts(x);
            var (my, ey) = ExactParts(y);
            var (mp, ep) = ExactParts(p);
            int e = Math.Min(ex + ey, ep);
            inexact = (mx * my << (ex + ey - e)) != mp << (ep - e);
        }
        return Round(p, dbl, inexact || (finite && p == 0 && x != 0 && y != 0), finite, Exact.Product, x, y);
    }

    private ulong Divide(double x, double y, bool dbl)
    {
        if ((x == 0 && y == 0) || (double.IsInfinity(x) && double.IsInfinity(y))) return Invalid(dbl);
        if (y == 0 && double.IsFinite(x))
        {
            RaiseFp(Dzc);
            return Bits(double.IsNegative(x) != double.IsNegative(y) ? double.NegativeInfinity : double.PositiveInfinity, dbl);
        }
        double q = x / y;
        bool finite = double.IsFinite(x) && double.IsFinite(y);
        bool inexact = finite && double.IsFinite(q) && (Math.FusedMultiplyAdd(-q, y, x) != 0 || (q == 0 && x != 0));
        if (finite && Math.Abs(q) <= 2 * MinNormal && x != 0)
        {
            double xs = x * Scale, qs = xs / y;
            inexact = q * Scale != qs || Math.FusedMultiplyAdd(-qs, y, xs) != 0;
        }
        return Round(q, dbl, inexact, finite && y != 0, Exact.Quotient, x, y);
    }

    private static ulong MaxMin(double x, double y, ulong a, ulong b, bool dbl, bool max)
    {
        if (x == y && x == 0)
        {
            // +0 is larger than -0.
            bool aNegative = double.IsNegative(x), bNegative = double.IsNegative(y);
            return max ? (aNegative ? b : a) : (aNegative ? a : b);
        }
        return (max ? x > y : x < y) ? a : b;
    }

    private const double MinNormal = 2.2250738585072014e-308;
    /// <summary>2^512: lifts a subnormal result into the normal range without rounding.</summary>
    private const double Scale = 1.3407807929942597e154;

    private ulong Invalid(bool dbl)
    {
        RaiseFp(Ioc);
        return DefaultNaN(dbl);
    }

    private void FpOneSource(uint insn, int rd, int rn)
    {
        bool dbl = FpDouble(insn);
        uint opcode = (insn >> 15) & 63;
        ulong a = FpRead(rn, dbl);
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        switch (opcode)
        {
            case 0: FpWrite(rd, a, dbl); break; // FMOV
            case 1: FpWrite(rd, a & ~sign, dbl); break; // FABS
            case 2: FpWrite(rd, a ^ sign, dbl); break; // FNEG
            case 3: FpWrite(rd, SquareRoot(a, dbl), dbl); break; // FSQRT
            case 4 when dbl: FpWrite(rd, DoubleToSingle(a), false); break; // FCVT Sd, Dn
            case 5 when !dbl: FpWrite(rd, SingleToDouble(a), true); break; // FCVT Dd, Sn: exact
            default:
                throw Undefined();
        }
    }

    private ulong SquareRoot(ulong a, bool dbl)
    {
        a = FlushIn(a, dbl);
        double x = AsDouble(a, dbl);
        if (IsNaN(a, dbl)) return ProcessNaN(a, dbl);
        if (x < 0) return Invalid(dbl);
        double s = Math.Sqrt(x);
        return Round(s, dbl, double.IsFinite(s) && Math.FusedMultiplyAdd(-s, s, x) != 0, false);
    }

    private ulong DoubleToSingle(ulong a)
    {
        a = FlushIn(a, true);
        if (IsNaN(a, true))
        {
            if (IsSignalling(a, true)) RaiseFp(Ioc);
            // The sign and the top of the payload, quietened.
            return DefaultNaNMode ? DefaultNaN32 : (a >> 32 & 0x8000_0000) | 0x7fc0_0000 | (a >> 29 & 0x003f_ffff);
        }
        double x = BitConverter.UInt64BitsToDouble(a);
        return Round(x, false, false, double.IsFinite(x));
    }

    private ulong SingleToDouble(ulong a)
    {
        a = FlushIn(a, false);
        if (IsNaN(a, false))
        {
            if (IsSignalling(a, false)) RaiseFp(Ioc);
            return DefaultNaNMode ? DefaultNaN64 : (a & 0x8000_0000) << 32 | 0x7ff8_0000_0000_0000UL | (a & 0x003f_ffff) << 29;
        }
        return BitConverter.DoubleToUInt64Bits(BitConverter.UInt32BitsToSingle((uint)a));
    }

    /// <summary>FCMP, FCMPE (against a register or zero): NZCV 0110 equal, 1000 less, 0010 greater, 0011 unordered.</summary>
    private void FpCompare(uint insn, int rn, int rm)
    {
        bool dbl = FpDouble(insn);
        if (((insn >> 14) & 3) != 0) throw Undefined();
        uint opc = (insn >> 3) & 3;
        ulong a = FpRead(rn, dbl), b = (opc & 1) != 0 ? 0 : FpRead(rm, dbl);
        _nzcv = Compare(a, b, dbl, signalAll: (opc & 2) != 0);
    }

    private uint Compare(ulong a, ulong b, bool dbl, bool signalAll)
    {
        a = FlushIn(a, dbl);
        b = FlushIn(b, dbl);
        if (IsNaN(a, dbl) || IsNaN(b, dbl))
        {
            if (signalAll || IsSignalling(a, dbl) || IsSignalling(b, dbl)) RaiseFp(Ioc);
            return FlagC | FlagV;
        }
        double x = AsDouble(a, dbl), y = AsDouble(b, dbl);
        return x == y ? FlagZ | FlagC : x < y ? FlagN : FlagC;
    }

    private void FpConditionalCompare(uint insn, int rn, int rm)
    {
        bool dbl = FpDouble(insn);
        uint cond = (insn >> 12) & 15;
        bool signalAll = (insn & 0x10) != 0;
        _nzcv = ConditionHolds(cond) ? Compare(FpRead(rn, dbl), FpRead(rm, dbl), dbl, signalAll) : (insn & 15) << 28;
    }

    private void FpSelect(uint insn, int rd, int rn, int rm)
    {
        bool dbl = FpDouble(insn);
        FpWrite(rd, ConditionHolds((insn >> 12) & 15) ? FpRead(rn, dbl) : FpRead(rm, dbl), dbl);
    }

    /// <summary>FMOV (scalar, immediate): the Arm ARM's VFPExpandImm.</summary>
    private void FpImmediate(uint insn, int rd)
    {
        bool dbl = FpDouble(insn);
        ulong imm8 = (insn >> 13) & 0xff, sign = imm8 >> 7, b6 = (imm8 >> 6) & 1, low = imm8 & 0x3f;
        ulong bits = dbl
            ? sign << 63 | (b6 ^ 1) << 62 | (b6 != 0 ? 0xffUL : 0) << 54 | low << 48
            : sign << 31 | (b6 ^ 1) << 30 | (b6 != 0 ? 0x1fUL : 0) << 25 | low << 19;
        FpWrite(rd, bits, dbl);
    }

    private void FpMultiplyAdd(uint insn, int rd, int rn, int rm)
    {
        bool dbl = FpDouble(insn);
        int ra = (int)((insn >> 10) & 31);
        bool o1 = (insn & (1u << 21)) != 0, o0 = (insn & (1u << 15)) != 0;
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        ulong addend = FpRead(ra, dbl), n = FpRead(rn, dbl), m = FpRead(rm, dbl);
        // FMSUB and FNMADD negate the product (through op1), FNMADD and FNMSUB the addend.
        if (o0 != o1) n ^= sign;
        if (o1) addend ^= sign;
        FpWrite(rd, MulAdd(addend, n, m, dbl), dbl);
    }

    /// <summary>The Arm ARM's FPMulAdd: addend + n * m, rounded once.</summary>
    private ulong MulAdd(ulong addend, ulong n, ulong m, bool dbl)
    {
        addend = FlushIn(addend, dbl);
        n = FlushIn(n, dbl);
        m = FlushIn(m, dbl);
        double x = AsDouble(n, dbl), y = AsDouble(m, dbl), z = AsDouble(addend, dbl);
        bool infTimesZero = (double.IsInfinity(x) && y == 0) || (x == 0 && double.IsInfinity(y));
        if (IsNaN(addend, dbl) && !IsSignalling(addend, dbl) && infTimesZero && !IsSignalling(n, dbl) && !IsSignalling(m, dbl))
            return Invalid(dbl); // a quiet NaN addend does not hide an invalid product
        if (TryProcessNaNs(dbl, out ulong nan, addend, n, m)) return nan;
        if (infTimesZero) return Invalid(dbl);
        double r = dbl ? Math.FusedMultiplyAdd(x, y, z) : MathF.FusedMultiplyAdd((float)x, (float)y, (float)z);
        if (double.IsNaN(r)) return Invalid(dbl); // the only NaN left is infinity minus infinity
        if (double.IsFinite(x) && double.IsFinite(y) && double.IsFinite(z))
        {
            uint flags = FusedFlags(x, y, z, r, dbl, out bool tiny);
            if (tiny && FlushToZero) return FlushOut(r, dbl);
            RaiseFp(flags);
        }
        return Bits(r, dbl);
    }

    /// <summary>
    /// The flags of a fused multiply-add with finite operands: overflow for an infinite result, else
    /// inexact when the rounded result differs from the exact x * y + z (computed exactly with big
    /// integers), and underflow when that exact value is also tiny (below the normal range before
    /// rounding, as QEMU detects tininess for Arm).
    /// </summary>
    private static uint FusedFlags(double x, double y, double z, double r, bool dbl, out bool tiny)
    {
        tiny = false;
        if (double.IsInfinity(r)) return Ofc | Ixc;
        var (mx, ex) = ExactParts(x);
        var (my, ey) = ExactParts(y);
        var (mz, ez) = ExactParts(z);
        var (mr, er) = ExactParts(r);
        int ep = ex + ey, e = Math.Min(Math.Min(ep, ez), er);
        System.Numerics.BigInteger exact = (mx * my << (ep - e)) + (mz << (ez - e));
        tiny = !exact.IsZero && BelowPowerOfTwo(exact, e, dbl ? -1022 : -126);
        if (exact == mr << (er - e)) return 0;
        return tiny ? Ufc | Ixc : Ixc;
    }

    /// <summary>A finite double as an integer times a power of two, exactly.</summary>
    private static (System.Numerics.BigInteger Mantissa, int Exponent) ExactParts(double v)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        int exponent = (int)((bits >> 52) & 0x7ff);
        long mantissa = bits & 0x000f_ffff_ffff_ffffL;
        if (exponent == 0) exponent = 1;
        else mantissa |= 1L << 52;
        return (bits < 0 ? -mantissa : mantissa, exponent - 1075);
    }

    /// <summary>
    /// SCVTF, UCVTF and FCVT[NAPMZ][SU] between general and FP registers (the integer forms, no fixed
    /// point); false for encodings that are none of them.
    /// </summary>
    private bool TryConvertInteger(uint insn, int rd, int rn)
    {
        bool sf = (insn >> 31) != 0;
        uint type = (insn >> 22) & 3, rmode = (insn >> 19) & 3, opcode = (insn >> 16) & 7;
        if (type > 1 || (insn & (1u << 29)) != 0) return false;
        bool dbl = type == 1;
        if (opcode is 2 or 3 && rmode == 0)
        {
            ulong raw = Xr(rn);
            if (!sf) raw = opcode == 2 ? (ulong)(int)(uint)raw : (uint)raw;
            FpWrite(rd, IntegerToFp(raw, signed: opcode == 2, dbl), dbl);
            return true;
        }
        if (opcode is 0 or 1 or 4 or 5 && (opcode < 4 || rmode == 0))
        {
            MidpointRounding mode = opcode >= 4 ? MidpointRounding.AwayFromZero : rmode switch
            {
                0 => MidpointRounding.ToEven,
                1 => MidpointRounding.ToPositiveInfinity,
                2 => MidpointRounding.ToNegativeInfinity,
                _ => MidpointRounding.ToZero,
            };
            SetXr(rd, FpToInteger(FpRead(rn, dbl), dbl, signed: (opcode & 1) == 0, sf ? 64 : 32, mode));
            return true;
        }
        return false;
    }

    private ulong IntegerToFp(ulong raw, bool signed, bool dbl)
    {
        bool negative = signed && (long)raw < 0;
        ulong magnitude = negative ? (ulong)-(long)raw : raw;
        // Halve values with the top bit set, keeping a sticky bit, so the host's signed conversion rounds once.
        double value = magnitude >> 63 == 0
            ? (dbl ? (double)(long)magnitude : (float)(long)magnitude)
            : (dbl ? (double)(long)((magnitude >> 1) | (magnitude & 1)) * 2 : (float)(long)((magnitude >> 1) | (magnitude & 1)) * 2f);
        if (negative) value = -value;
        // Rounding up to 2^64 is the one result a ulong cannot hold; it is inexact.
        double abs = Math.Abs(value);
        if (abs >= 18446744073709551616.0 || (ulong)abs != magnitude) RaiseFp(Ixc);
        return Bits(value, dbl);
    }

    private ulong FpToInteger(ulong bits, bool dbl, bool signed, int width, MidpointRounding mode)
    {
        bits = FlushIn(bits, dbl);
        if (IsNaN(bits, dbl))
        {
            RaiseFp(Ioc);
            return 0;
        }
        double x = AsDouble(bits, dbl);
        double r = double.IsInfinity(x) ? x : Math.Round(x, mode);
        double min = signed ? -Math.Pow(2, width - 1) : 0, limit = signed ? Math.Pow(2, width - 1) : Math.Pow(2, width);
        ulong result;
        if (r < min)
        {
            RaiseFp(Ioc);
            result = signed ? 1UL << (width - 1) : 0;
        }
        else if (r >= limit)
        {
            RaiseFp(Ioc);
            result = signed ? (1UL << (width - 1)) - 1 : width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        }
        else
        {
            if (r != x) RaiseFp(Ixc);
            result = signed ? (ulong)(long)r : (ulong)r;
        }
        return width == 64 ? result : (uint)result;
    }
}
