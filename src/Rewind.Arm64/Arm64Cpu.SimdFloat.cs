namespace Rewind.Arm64;

/// <summary>
/// Advanced SIMD floating point in single and double precision (4S, 2S, 2D), lane by lane through the
/// scalar core of Arm64Cpu.FloatingPoint.cs, so NaNs, FPCR.DN and FPSR's flags are the scalar forms':
/// three-same arithmetic (FADD, FSUB, FMUL, FMULX, FDIV, FABD, FMAX, FMIN, FMAXNM, FMINNM, FMLA, FMLS),
/// their pairwise forms (FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP, also scalar), compares (FCMEQ, FCMGE,
/// FCMGT, FACGE, FACGT, and against zero FCMLT, FCMLE), FABS, FNEG, FSQRT, FRINT[NMPZAXI],
/// FCVT[NMAPZ][SU], SCVTF, UCVTF, FCVTN/FCVTL, FMAXV/FMINV/FMAXNMV/FMINNMV, and FMUL/FMLA/FMLS by element.
/// Half precision, the reciprocal estimates and steps, and the fixed-point conversions stay undefined.
/// </summary>
public sealed partial class Arm64Cpu
{
    private enum FpOp { Add, Sub, Mul, MulX, Div, Abd, Max, Min, MaxNum, MinNum }

    /// <summary>Decodes the vector FP groups; false if <paramref name="insn"/> is none of them.</summary>
    private bool TrySimdFloat(uint insn, int rd, int rn, int rm, bool q)
    {
        if ((insn & 0x9f20_c400) == 0x0e20_c400) { FpThreeSame(insn, rd, rn, rm, q); return true; }
        if ((insn & 0x9f3e_0c00) == 0x0e20_0800 && IsFpMisc(insn)) { FpTwoRegisterMisc(insn, rd, rn, q); return true; }
        if ((insn & 0xbf3e_0c00) == 0x2e30_0800 && ((insn >> 12) & 31) is 0x0c or 0x0f) { FpAcrossLanes(insn, rd, rn, q); return true; }
        if ((insn & 0xff3e_0c00) == 0x7e30_0800) { FpScalarPairwise(insn, rd, rn); return true; }
        if ((insn & 0x9f80_0400) == 0x0f80_0000 && ((insn >> 12) & 15) is 1 or 5 or 9) { FpByElement(insn, rd, rn, q); return true; }
        return false;
    }

    /// <summary>The two-register miscellaneous opcodes that are floating point (the rest are integer).</summary>
    private static bool IsFpMisc(uint insn)
    {
        uint opcode = (insn >> 12) & 31;
        bool a = (insn & (1u << 23)) != 0;
        return (opcode is >= 0x0c and <= 0x0f && a) || (opcode is 0x16 or 0x17 && !a) || opcode >= 0x18;
    }

    /// <summary>The element size (32 or 64) from sz (bit 22); 2D needs Q, and a 1D vector is reserved.</summary>
    private static int FpElementBits(uint insn, bool q)
    {
        bool dbl = (insn & (1u << 22)) != 0;
        if (dbl && !q) throw Undefined();
        return dbl ? 64 : 32;
    }

    private ulong FpBinary(FpOp op, ulong a, ulong b, bool dbl)
    {
        a = FlushIn(a, dbl);
        b = FlushIn(b, dbl);
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        if (op is FpOp.MaxNum or FpOp.MinNum && IsNaN(a, dbl) != IsNaN(b, dbl) && !IsSignalling(a, dbl) && !IsSignalling(b, dbl))
            return IsNaN(a, dbl) ? b : a; // one quiet NaN gives the other operand
        if (TryProcessNaNs(dbl, out ulong nan, a, b)) return op == FpOp.Abd ? nan & ~sign : nan;
        double x = AsDouble(a, dbl), y = AsDouble(b, dbl);
        switch (op)
        {
            case FpOp.Add: return Add(x, y, dbl);
            case FpOp.Sub: return Add(x, -y, dbl);
            case FpOp.Abd: return Add(x, -y, dbl) & ~sign;
            case FpOp.Mul: return Multiply(x, y, dbl);
            case FpOp.MulX:
                // Infinity times zero is 2.0, signed as a product, instead of invalid.
                if ((double.IsInfinity(x) && y == 0) || (x == 0 && double.IsInfinity(y)))
                    return Bits(2.0, dbl) | ((a ^ b) & sign);
                return Multiply(x, y, dbl);
            case FpOp.Div: return Divide(x, y, dbl);
            case FpOp.Max or FpOp.MaxNum: return MaxMin(x, y, a, b, dbl, max: true);
            default: return MaxMin(x, y, a, b, dbl, max: false);
        }
    }

    /// <summary>FPCompareEQ (quiet), FPCompareGE/GT (signalling): all ones for true.</summary>
    private ulong FpCompareMask(ulong a, ulong b, bool dbl, int kind)
    {
        a = FlushIn(a, dbl);
        b = FlushIn(b, dbl);
        if (IsNaN(a, dbl) || IsNaN(b, dbl))
        {
            if (kind != 0 || IsSignalling(a, dbl) || IsSignalling(b, dbl)) RaiseFp(Ioc);
            return 0;
        }
        double x = AsDouble(a, dbl), y = AsDouble(b, dbl);
        bool r = kind switch { 0 => x == y, 1 => x >= y, _ => x > y };
        return r ? Mask(dbl ? 64 : 32) : 0;
    }

    private void FpThreeSame(uint insn, int rd, int rn, int rm, bool q)
    {
        int esize = FpElementBits(insn, q), lanes = (q ? 128 : 64) / esize;
        bool dbl = esize == 64, u = (insn & (1u << 29)) != 0, a = (insn & (1u << 23)) != 0;
        uint opcode = (insn >> 11) & 31;
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        var n = VectorOf(rn);
        var m = VectorOf(rm);
        var d = VectorOf(rd);
        bool pairwise = u && opcode is 0x18 or 0x1e || (u && !a && opcode == 0x1a);
        ulong lo = 0, hi = 0;
        for (int i = 0; i < lanes; i++)
        {
            ulong x, y;
            if (pairwise)
            {
                var src = 2 * i < lanes ? n : m;
                x = ElementOf(src, 2 * i % lanes, esize);
                y = ElementOf(src, 2 * i % lanes + 1, esize);
            }
            else
            {
                x = ElementOf(n, i, esize);
                y = ElementOf(m, i, esize);
            }
            ulong r = (u, a, opcode) switch
            {
                (false, false, 0x18) or (true, false, 0x18) => FpBinary(FpOp.MaxNum, x, y, dbl), // FMAXNM, FMAXNMP
                (false, true, 0x18) or (true, true, 0x18) => FpBinary(FpOp.MinNum, x, y, dbl), // FMINNM, FMINNMP
                (false, false, 0x19) => MulAdd(ElementOf(d, i, esize), x, y, dbl), // FMLA
                (false, true, 0x19) => MulAdd(ElementOf(d, i, esize), x ^ sign, y, dbl), // FMLS
                (false, false, 0x1a) or (true, false, 0x1a) => FpBinary(FpOp.Add, x, y, dbl), // FADD, FADDP
                (false, true, 0x1a) => FpBinary(FpOp.Sub, x, y, dbl), // FSUB
                (true, true, 0x1a) => FpBinary(FpOp.Abd, x, y, dbl), // FABD
                (false, false, 0x1b) => FpBinary(FpOp.MulX, x, y, dbl), // FMULX
                (true, false, 0x1b) => FpBinary(FpOp.Mul, x, y, dbl), // FMUL
                (false, false, 0x1c) => FpCompareMask(x, y, dbl, 0), // FCMEQ
                (true, false, 0x1c) => FpCompareMask(x, y, dbl, 1), // FCMGE
                (true, true, 0x1c) => FpCompareMask(x, y, dbl, 2), // FCMGT
                (true, false, 0x1d) => FpCompareMask(x & ~sign, y & ~sign, dbl, 1), // FACGE
                (true, true, 0x1d) => FpCompareMask(x & ~sign, y & ~sign, dbl, 2), // FACGT
                (false, false, 0x1e) or (true, false, 0x1e) => FpBinary(FpOp.Max, x, y, dbl), // FMAX, FMAXP
                (false, true, 0x1e) or (true, true, 0x1e) => FpBinary(FpOp.Min, x, y, dbl), // FMIN, FMINP
                (true, false, 0x1f) => FpBinary(FpOp.Div, x, y, dbl), // FDIV
                _ => throw Undefined(), // FRECPS, FRSQRTS and the unallocated ones
            };
            Put(ref lo, ref hi, i, esize, r);
        }
        SetV(rd, lo, q ? hi : 0);
    }

    private void FpTwoRegisterMisc(uint insn, int rd, int rn, bool q)
    {
        uint opcode = (insn >> 12) & 31;
        bool u = (insn & (1u << 29)) != 0, a = (insn & (1u << 23)) != 0;
        if (opcode is 0x16 or 0x17)
        {
            if (u) throw Undefined(); // FCVTXN (round to odd) is not implemented
            FpConvertPrecision(insn, rd, rn, q, narrow: opcode == 0x16);
            return;
        }
        int esize = FpElementBits(insn, q), lanes = (q ? 128 : 64) / esize;
        bool dbl = esize == 64;
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        var n = VectorOf(rn);
        // Check the whole encoding before any lane raises a flag.
        _ = FpMiscOperation(u, a, opcode, 0, dbl, sign, probe: true);
        ulong lo = 0, hi = 0;
        for (int i = 0; i < lanes; i++)
            Put(ref lo, ref hi, i, esize, FpMiscOperation(u, a, opcode, ElementOf(n, i, esize), dbl, sign, probe: false));
        SetV(rd, lo, q ? hi : 0);
    }

    /// <summary>One lane of a two-register FP operation; with <paramref name="probe"/>, only whether it exists.</summary>
    private ulong FpMiscOperation(bool u, bool a, uint opcode, ulong x, bool dbl, ulong sign, bool probe)
    {
        int bits = dbl ? 64 : 32;
        bool known = (u, a, opcode) switch
        {
            (_, true, 0x0c) or (_, true, 0x0d) or (false, true, 0x0e) or (_, true, 0x0f) => true,
            (_, _, 0x18) or (_, _, 0x19) => !(u && a && opcode == 0x18),
            (_, _, 0x1a) or (_, _, 0x1b) => true,
            (_, false, 0x1c) or (_, false, 0x1d) => true,
            (true, true, 0x1f) => true,
            _ => false,
        };
        if (!known) throw Undefined();
        if (probe) return 0;
        ulong zero = 0;
        return (u, a, opcode) switch
        {
            (false, true, 0x0c) => FpCompareMask(x, zero, dbl, 2), // FCMGT #0
            (true, true, 0x0c) => FpCompareMask(x, zero, dbl, 1), // FCMGE #0
            (false, true, 0x0d) => FpCompareMask(x, zero, dbl, 0), // FCMEQ #0
            (true, true, 0x0d) => FpCompareMask(zero, x, dbl, 1), // FCMLE #0
            (false, true, 0x0e) => FpCompareMask(zero, x, dbl, 2), // FCMLT #0
            (false, true, 0x0f) => x & ~sign, // FABS
            (true, true, 0x0f) => x ^ sign, // FNEG
            (true, true, 0x1f) => SquareRoot(x, dbl), // FSQRT
            (false, false, 0x18) => RoundToIntegral(x, dbl, MidpointRounding.ToEven, exact: false), // FRINTN
            (false, false, 0x19) => RoundToIntegral(x, dbl, MidpointRounding.ToNegativeInfinity, exact: false), // FRINTM
            (false, true, 0x18) => RoundToIntegral(x, dbl, MidpointRounding.ToPositiveInfinity, exact: false), // FRINTP
            (false, true, 0x19) => RoundToIntegral(x, dbl, MidpointRounding.ToZero, exact: false), // FRINTZ
            (true, false, 0x18) => RoundToIntegral(x, dbl, MidpointRounding.AwayFromZero, exact: false), // FRINTA
            (true, false, 0x19) => RoundToIntegral(x, dbl, FpcrRounding, exact: true), // FRINTX
            (true, true, 0x19) => RoundToIntegral(x, dbl, FpcrRounding, exact: false), // FRINTI
            (_, false, 0x1a) => FpToInteger(x, dbl, !u, bits, MidpointRounding.ToEven), // FCVTNS, FCVTNU
            (_, false, 0x1b) => FpToInteger(x, dbl, !u, bits, MidpointRounding.ToNegativeInfinity), // FCVTMS, FCVTMU
            (_, false, 0x1c) => FpToInteger(x, dbl, !u, bits, MidpointRounding.AwayFromZero), // FCVTAS, FCVTAU
            (_, true, 0x1a) => FpToInteger(x, dbl, !u, bits, MidpointRounding.ToPositiveInfinity), // FCVTPS, FCVTPU
            (_, true, 0x1b) => FpToInteger(x, dbl, !u, bits, MidpointRounding.ToZero), // FCVTZS, FCVTZU
            _ => IntegerToFp(u ? x : (ulong)SignExtend(x, bits), signed: !u, dbl), // SCVTF, UCVTF
        } & Mask(bits);
    }

    /// <summary>FPCR.RMode as a rounding for FRINTX/FRINTI: nearest even, up, down, toward zero.</summary>
    private MidpointRounding FpcrRounding => ((_fpcr >> 22) & 3) switch
    {
        0 => MidpointRounding.ToEven,
        1 => MidpointRounding.ToPositiveInfinity,
        2 => MidpointRounding.ToNegativeInfinity,
        _ => MidpointRounding.ToZero,
    };

    /// <summary>FPRoundInt: an integral value in the same format, the sign kept (also of a zero result).</summary>
    private ulong RoundToIntegral(ulong a, bool dbl, MidpointRounding mode, bool exact)
    {
        a = FlushIn(a, dbl);
        if (IsNaN(a, dbl)) return ProcessNaN(a, dbl);
        double x = AsDouble(a, dbl);
        if (double.IsInfinity(x) || x == 0) return a;
        double r = Math.Round(x, mode);
        if (r == 0) r = double.IsNegative(x) ? -0.0 : 0.0;
        if (exact && r != x) RaiseFp(Ixc);
        return Bits(r, dbl);
    }

    /// <summary>FCVTN(2): doubles to singles into a half of d; FCVTL(2): singles of a half of n to doubles.</summary>
    private void FpConvertPrecision(uint insn, int rd, int rn, bool q, bool narrow)
    {
        if ((insn & (1u << 22)) == 0) throw Undefined(); // the half-precision forms
        var n = VectorOf(rn);
        if (narrow)
        {
            ulong half = DoubleToSingle(n.Lo) | DoubleToSingle(n.Hi) << 32;
            if (q) SetV(rd, _v[2 * rd], half);
            else SetV(rd, half, 0);
            return;
        }
        ulong src = q ? n.Hi : n.Lo;
        ulong lo = SingleToDouble(src & 0xffff_ffff), hi = SingleToDouble(src >> 32);
        SetV(rd, lo, hi);
    }

    /// <summary>FMAXV, FMINV, FMAXNMV, FMINNMV (4S only): pairs reduced as a tree, the lower half first.</summary>
    private void FpAcrossLanes(uint insn, int rd, int rn, bool q)
    {
        if (!q || (insn & (1u << 22)) != 0) throw Undefined();
        bool min = (insn & (1u << 23)) != 0, num = ((insn >> 12) & 31) == 0x0c;
        FpOp op = num ? (min ? FpOp.MinNum : FpOp.MaxNum) : (min ? FpOp.Min : FpOp.Max);
        var n = VectorOf(rn);
        ulong low = FpBinary(op, ElementOf(n, 0, 32), ElementOf(n, 1, 32), false);
        ulong high = FpBinary(op, ElementOf(n, 2, 32), ElementOf(n, 3, 32), false);
        SetV(rd, FpBinary(op, low, high, false), 0);
    }

    /// <summary>FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar): the two elements of the low 64 or 128 bits.</summary>
    private void FpScalarPairwise(uint insn, int rd, int rn)
    {
        bool dbl = (insn & (1u << 22)) != 0, a = (insn & (1u << 23)) != 0;
        uint opcode = (insn >> 12) & 31;
        FpOp op = (opcode, a) switch
        {
            (0x0c, false) => FpOp.MaxNum,
            (0x0c, true) => FpOp.MinNum,
            (0x0d, false) => FpOp.Add,
            (0x0f, false) => FpOp.Max,
            (0x0f, true) => FpOp.Min,
            _ => throw Undefined(),
        };
        var n = VectorOf(rn);
        int esize = dbl ? 64 : 32;
        FpWrite(rd, FpBinary(op, ElementOf(n, 0, esize), ElementOf(n, 1, esize), dbl), dbl);
    }

    /// <summary>FMLA, FMLS, FMUL, FMULX (vector, by element): Vm.T[index] against every lane of Vn.</summary>
    private void FpByElement(uint insn, int rd, int rn, bool q)
    {
        bool dbl = (insn & (1u << 22)) != 0, u = (insn & (1u << 29)) != 0;
        bool l = (insn & (1u << 21)) != 0, h = (insn & (1u << 11)) != 0;
        uint opcode = (insn >> 12) & 15;
        if (dbl && (l || !q)) throw Undefined();
        if (u && opcode != 9) throw Undefined();
        int esize = dbl ? 64 : 32, lanes = (q ? 128 : 64) / esize;
        int rm = (int)((insn >> 16) & 31); // M:Rm, all five bits for single and double
        int index = dbl ? (h ? 1 : 0) : (h ? 2 : 0) | (l ? 1 : 0);
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        ulong y = ElementOf(VectorOf(rm), index, esize);
        var n = VectorOf(rn);
        var d = VectorOf(rd);
        ulong lo = 0, hi = 0;
        for (int i = 0; i < lanes; i++)
        {
            ulong x = ElementOf(n, i, esize);
            ulong r = opcode switch
            {
                1 => MulAdd(ElementOf(d, i, esize), x, y, dbl), // FMLA
                5 => MulAdd(ElementOf(d, i, esize), x ^ sign, y, dbl), // FMLS
                _ => FpBinary(u ? FpOp.MulX : FpOp.Mul, x, y, dbl), // FMUL, FMULX
            };
            Put(ref lo, ref hi, i, esize, r);
        }
        SetV(rd, lo, q ? hi : 0);
    }
}
