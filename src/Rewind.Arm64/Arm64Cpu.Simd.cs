namespace Rewind.Arm64;

/// <summary>
/// The FP and Advanced SIMD group (bits 27:25 = 111), as far as this CPU goes: moves between general and
/// vector registers (FMOV, DUP, INS, UMOV, SMOV), MOVI/MVNI/ORR/BIC (immediate), FMOV (register), and
/// the bitwise vector operations (AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF); integer vector arithmetic is in
/// Arm64Cpu.SimdInteger.cs, vector floating point in Arm64Cpu.SimdFloat.cs, scalar floating point in
/// Arm64Cpu.FloatingPoint.cs.
/// </summary>
public sealed partial class Arm64Cpu
{
    private void SimdAndFp(uint insn)
    {
        int rd = (int)(insn & 31), rn = (int)((insn >> 5) & 31), rm = (int)((insn >> 16) & 31);
        bool q = (insn & (1u << 30)) != 0;
        if ((insn & 0x7f20_fc00) == 0x1e20_0000)
        {
            FmovGeneral(insn, rd, rn);
            return;
        }
        if ((insn & 0xff3f_fc00) == 0x1e20_4000)
        {
            // FMOV (register), single or double: the upper bits of the destination are cleared.
            uint type = (insn >> 22) & 3;
            if (type > 1) throw Undefined();
            SetV(rd, type == 0 ? (uint)_v[2 * rn] : _v[2 * rn], 0);
            return;
        }
        if ((insn & 0x9ff8_0400) == 0x0f00_0400)
        {
            ModifiedImmediate(insn, rd, q);
            return;
        }
        if ((insn & 0x9f20_fc00) == 0x0e20_1c00)
        {
            VectorLogical(insn, rd, rn, rm, q);
            return;
        }
        if ((insn & 0x9fe0_8400) == 0x0e00_0400)
        {
            Copy(insn, rd, rn, q);
            return;
        }
        if (TrySimdFloat(insn, rd, rn, rm, q)) return;
        if (TrySimdInteger(insn, rd, rn, rm, q)) return;
        if (TryFloatingPoint(insn, rd, rn, rm)) return;
        throw Undefined();
    }

    private void FmovGeneral(uint insn, int rd, int rn)
    {
        bool sf = (insn >> 31) != 0;
        uint type = (insn >> 22) & 3, rmode = (insn >> 19) & 3, opcode = (insn >> 16) & 7;
        if ((insn & (1u << 29)) != 0) throw Undefined();
        switch (sf, type, rmode, opcode)
        {
            case (false, 0, 0, 6): SetXr(rd, (uint)_v[2 * rn]); break; // FMOV Wd, Sn
            case (false, 0, 0, 7): SetV(rd, (uint)Xr(rn), 0); break; // FMOV Sn, Wd
            case (true, 1, 0, 6): SetXr(rd, _v[2 * rn]); break; // FMOV Xd, Dn
            case (true, 1, 0, 7): SetV(rd, Xr(rn), 0); break; // FMOV Dd, Xn
            case (true, 2, 1, 6): SetXr(rd, _v[2 * rn + 1]); break; // FMOV Xd, Vn.D[1]
            case (true, 2, 1, 7): _v[2 * rd + 1] = Xr(rn); break; // FMOV Vd.D[1], Xn
            default:
                if (!TryConvertInteger(insn, rd, rn)) throw Undefined();
                break;
        }
    }

    private void SetVector(int rd, ulong lo, ulong hi, bool q) => SetV(rd, lo, q ? hi : 0);

    /// <summary>MOVI, MVNI, ORR and BIC (vector, immediate): the Arm ARM's AdvSIMDExpandImm.</summary>
    private void ModifiedImmediate(uint insn, int rd, bool q)
    {
        bool op = (insn & (1u << 29)) != 0;
        uint cmode = (insn >> 12) & 15;
        ulong imm8 = ((insn >> 11) & 0xe0) | ((insn >> 5) & 0x1f);
        if ((insn & (1u << 11)) != 0) throw Undefined(); // o2: FMOV half precision
        ulong imm;
        switch (cmode >> 1)
        {
            case 0:
            case 1:
            case 2:
            case 3:
                imm = Replicate(imm8 << (8 * (int)(cmode >> 1)), 32);
                break;
            case 4:
            case 5:
                imm = Replicate(imm8 << (8 * (int)((cmode >> 1) & 1)), 16);
                break;
            case 6:
                imm = Replicate((cmode & 1) == 0 ? (imm8 << 8) | 0xff : (imm8 << 16) | 0xffff, 32);
                break;
            default:
                if ((cmode & 1) == 0 && !op) imm = Replicate(imm8, 8);
                else if ((cmode & 1) == 0)
                {
                    imm = 0;
                    for (int i = 0; i < 8; i++)
                        if (((imm8 >> i) & 1) != 0) imm |= 0xffUL << (8 * i);
                }
                else if (!op)
                {
                    // FMOV (vector, immediate), single precision.
                    ulong b = (imm8 >> 6) & 1;
                    ulong f = (imm8 & 0x80) << 24 | ((b ^ 1) << 30) | ((b != 0 ? 0x1fUL : 0) << 25) | ((imm8 & 0x3f) << 19);
                    imm = Replicate(f, 32);
                }
                else
                {
                    if (!q) throw Undefined();
                    ulong b = (imm8 >> 6) & 1;
                    imm = (imm8 & 0x80) << 56 | ((b ^ 1) << 62) | ((b != 0 ? 0xffUL : 0) << 54) | ((imm8 & 0x3f) << 48);
                }
                SetVector(rd, imm, imm, q);
                return;
        }
        // cmode 0xx1 and 10x1 are ORR/BIC; the rest MOVI/MVNI.
        bool logical = (cmode & 1) != 0 && cmode < 12;
        ulong lo = _v[2 * rd], hi = _v[2 * rd + 1];
        if (!logical) SetVector(rd, op ? ~imm : imm, op ? ~imm : imm, q);
        else if (op) SetVector(rd, lo & ~imm, hi & ~imm, q);
        else SetVector(rd, lo | imm, hi | imm, q);
    }

    private void VectorLogical(uint insn, int rd, int rn, int rm, bool q)
    {
        ulong nLo = _v[2 * rn], nHi = _v[2 * rn + 1], mLo = _v[2 * rm], mHi = _v[2 * rm + 1], dLo = _v[2 * rd], dHi = _v[2 * rd + 1];
        uint op = (insn >> 29 & 1) << 2 | ((insn >> 22) & 3);
        (ulong, ulong) r = op switch
        {
            0 => (nLo & mLo, nHi & mHi),
            1 => (nLo & ~mLo, nHi & ~mHi),
            2 => (nLo | mLo, nHi | mHi),
            3 => (nLo | ~mLo, nHi | ~mHi),
            4 => (nLo ^ mLo, nHi ^ mHi),
            5 => ((dLo & nLo) | (~dLo & mLo), (dHi & nHi) | (~dHi & mHi)), // BSL
            6 => ((dLo & ~mLo) | (nLo & mLo), (dHi & ~mHi) | (nHi & mHi)), // BIT
            _ => ((dLo & mLo) | (nLo & ~mLo), (dHi & mHi) | (nHi & ~mHi)), // BIF
        };
        SetVector(rd, r.Item1, r.Item2, q);
    }

    private ulong Element(int reg, int index, int esize)
    {
        int bit = index * esize;
        ulong word = _v[2 * reg + (bit >> 6)];
        return esize == 64 ? word : (word >> (bit & 63)) & ((1UL << esize) - 1);
    }

    private void SetElement(int reg, int index, int esize, ulong value)
    {
        int bit = index * esize;
        ref ulong word = ref _v[2 * reg + (bit >> 6)];
        ulong mask = esize == 64 ? ulong.MaxValue : ((1UL << esize) - 1) << (bit & 63);
        word = (word & ~mask) | ((value << (bit & 63)) & mask);
    }

    /// <summary>DUP (element, general), INS (general, element), SMOV, UMOV.</summary>
    private void Copy(uint insn, int rd, int rn, bool q)
    {
        uint imm5 = (insn >> 16) & 31, imm4 = (insn >> 11) & 15;
        bool op = (insn & (1u << 29)) != 0;
        int sizeLog = System.Numerics.BitOperations.TrailingZeroCount(imm5 | 32);
        if (sizeLog > 3) throw Undefined();
        int esize = 8 << sizeLog;
        int index = (int)(imm5 >> (sizeLog + 1));
        if (op)
        {
            // INS (element): Vd.T[index] = Vn.T[imm4 >> size]
            if (!q) throw Undefined();
            SetElement(rd, index, esize, Element(rn, (int)(imm4 >> sizeLog), esize));
            return;
        }
        switch (imm4)
        {
            case 0: // DUP (element)
            case 1: // DUP (general)
                {
                    if (sizeLog == 3 && !q) throw Undefined();
                    ulong value = imm4 == 0 ? Element(rn, index, esize) : Xr(rn) & (esize == 64 ? ulong.MaxValue : (1UL << esize) - 1);
                    ulong rep = Replicate(value, esize);
                    SetVector(rd, rep, rep, q);
                    break;
                }
            case 3: // INS (general)
                SetElement(rd, index, esize, Xr(rn));
                break;
            case 5: // SMOV
                {
                    if (sizeLog >= (q ? 3 : 2)) throw Undefined();
                    long v = SignExtend(Element(rn, index, esize), esize);
                    SetXr(rd, q ? (ulong)v : (uint)v);
                    break;
                }
            case 7: // UMOV
                if (q != (sizeLog == 3)) throw Undefined();
                SetXr(rd, Element(rn, index, esize));
                break;
            default:
                throw Undefined();
        }
    }
}
