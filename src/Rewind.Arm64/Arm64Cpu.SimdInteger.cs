using System.Numerics;

namespace Rewind.Arm64;

/// <summary>
/// Advanced SIMD integer arithmetic, the part C libraries' string and memory functions use (glibc's
/// aarch64 strlen, strchr, memchr, ... compare bytes with CMEQ/CMHS, fold them with UMAXP/ADDP/SHRN and
/// read the mask with FMOV): three-same, two-register miscellaneous, across-lanes, shift by immediate,
/// three-different, permute, EXT and TBL/TBX. Each works element by element on a copy of its sources, so
/// a destination that is also a source reads its old value, as the Arm ARM's pseudocode does.
/// Encodings outside these (saturating, rounding, polynomial forms) stay undefined.
/// </summary>
public sealed partial class Arm64Cpu
{
    /// <summary>Decodes the integer vector groups; false if <paramref name="insn"/> is none of them.</summary>
    private bool TrySimdInteger(uint insn, int rd, int rn, int rm, bool q)
    {
        if ((insn & 0x9f20_0400) == 0x0e20_0400) { ThreeSame(insn, rd, rn, rm, q); return true; }
        if ((insn & 0x9f3e_0c00) == 0x0e20_0800) { TwoRegisterMisc(insn, rd, rn, q); return true; }
        if ((insn & 0x9f3e_0c00) == 0x0e30_0800) { AcrossLanes(insn, rd, rn, q); return true; }
        if ((insn & 0x9f80_0400) == 0x0f00_0400 && (insn & 0x0078_0000) != 0) { ShiftImmediate(insn, rd, rn, q); return true; }
        if ((insn & 0x9f20_0c00) == 0x0e20_0000) { ThreeDifferent(insn, rd, rn, rm, q); return true; }
        if ((insn & 0xbf20_8c00) == 0x0e00_0800) { Permute(insn, rd, rn, rm, q); return true; }
        if ((insn & 0xbfe0_8400) == 0x2e00_0000) { Extract(insn, rd, rn, rm, q); return true; }
        if ((insn & 0xbfe0_8c00) == 0x0e00_0000) { TableLookup(insn, rd, rn, rm, q); return true; }
        if ((insn & 0xff3e_0c00) == 0x5e30_0800) { ScalarPairwise(insn, rd, rn); return true; }
        return false;
    }

    private static ulong Mask(int esize) => esize == 64 ? ulong.MaxValue : (1UL << esize) - 1;

    /// <summary>The 16 bytes of register <paramref name="reg"/> as a value to read elements from.</summary>
    private (ulong Lo, ulong Hi) VectorOf(int reg) => (_v[2 * reg], _v[2 * reg + 1]);

    private static ulong ElementOf((ulong Lo, ulong Hi) v, int index, int esize)
    {
        int bit = index * esize;
        ulong word = bit < 64 ? v.Lo : v.Hi;
        return esize == 64 ? word : (word >> (bit & 63)) & Mask(esize);
    }

    private static void Put(ref ulong lo, ref ulong hi, int index, int esize, ulong value)
    {
        int bit = index * esize;
        ulong mask = Mask(esize) << (bit & 63);
        if (bit < 64) lo = (lo & ~mask) | ((value << (bit & 63)) & mask);
        else hi = (hi & ~mask) | ((value << (bit & 63)) & mask);
    }

    private void ThreeSame(uint insn, int rd, int rn, int rm, bool q)
    {
        int size = (int)((insn >> 22) & 3), esize = 8 << size, lanes = (q ? 128 : 64) / esize;
        uint opcode = (insn >> 11) & 31;
        bool u = (insn & (1u << 29)) != 0;
        if (opcode == 0b00011)
        {
            VectorLogical(insn, rd, rn, rm, q);
            return;
        }
        if (size == 3 && !q) throw Undefined();
        var n = VectorOf(rn);
        var m = VectorOf(rm);
        ulong lo = 0, hi = 0, all = Mask(esize);
        bool pairwise = opcode is 0b10100 or 0b10101 or 0b10111;
        if (pairwise && size == 3 && opcode != 0b10111) throw Undefined();
        for (int i = 0; i < lanes; i++)
        {
            ulong a, b;
            if (pairwise)
            {
                // The concatenation m:n, adjacent pairs: lanes of the result's lower half from n, upper from m.
                var src = 2 * i < lanes ? n : m;
                int j = 2 * i % lanes;
                a = ElementOf(src, j, esize);
                b = ElementOf(src, j + 1, esize);
            }
            else
            {
                a = ElementOf(n, i, esize);
                b = ElementOf(m, i, esize);
            }
            long sa = SignExtend(a, esize), sb = SignExtend(b, esize);
            ulong r = (opcode, u) switch
            {
                (0b10000, false) => a + b, // ADD
                (0b10000, true) => a - b, // SUB
                (0b10001, false) => (a & b) != 0 ? all : 0, // CMTST
                (0b10001, true) => a == b ? all : 0, // CMEQ
                (0b00110, false) => sa > sb ? all : 0, // CMGT
                (0b00110, true) => a > b ? all : 0, // CMHI
                (0b00111, false) => sa >= sb ? all : 0, // CMGE
                (0b00111, true) => a >= b ? all : 0, // CMHS
                (0b01100, false) or (0b10100, false) => (ulong)Math.Max(sa, sb), // SMAX, SMAXP
                (0b01100, true) or (0b10100, true) => Math.Max(a, b), // UMAX, UMAXP
                (0b01101, false) or (0b10101, false) => (ulong)Math.Min(sa, sb), // SMIN, SMINP
                (0b01101, true) or (0b10101, true) => Math.Min(a, b), // UMIN, UMINP
                (0b10111, false) => a + b, // ADDP
                (0b10011, false) when size != 3 => a * b, // MUL
                _ => throw Undefined(),
            };
            Put(ref lo, ref hi, i, esize, r);
        }
        SetV(rd, lo, q ? hi : 0);
    }

    private void TwoRegisterMisc(uint insn, int rd, int rn, bool q)
    {
        int size = (int)((insn >> 22) & 3);
        uint opcode = (insn >> 12) & 31;
        bool u = (insn & (1u << 29)) != 0;
        var n = VectorOf(rn);
        ulong lo = 0, hi = 0;
        if (opcode == 0b10010 && !u)
        {
            // XTN, XTN2: narrow each element of n to half its size, into the lower or upper half of d.
            if (size == 3) throw Undefined();
            int esize = 8 << size, lanes = 64 / esize;
            ulong half = 0, ignored = 0;
            for (int i = 0; i < lanes; i++) Put(ref half, ref ignored, i, esize, ElementOf(n, i, 2 * esize));
            if (q) SetV(rd, _v[2 * rd], half);
            else SetV(rd, half, 0);
            return;
        }
        if (opcode is 0b00000 or 0b00001)
        {
            // REV64, REV32, REV16: reverse the elements within each container.
            int container = opcode == 0b00001 ? 16 : u ? 32 : 64;
            if (opcode == 0b00001 && u) throw Undefined();
            int esize = 8 << size;
            if (esize >= container) throw Undefined();
            int lanes = (q ? 128 : 64) / esize, per = container / esize;
            for (int i = 0; i < lanes; i++)
            {
                int j = (i / per * per) + (per - 1 - (i % per));
                Put(ref lo, ref hi, i, esize, ElementOf(n, j, esize));
            }
            SetV(rd, lo, q ? hi : 0);
            return;
        }
        if (opcode == 0b00101)
        {
            int lanes = q ? 16 : 8;
            for (int i = 0; i < lanes; i++)
            {
                ulong b = ElementOf(n, i, 8);
                ulong r = (u, size) switch
                {
                    (false, 0) => (ulong)BitOperations.PopCount(b), // CNT
                    (true, 0) => ~b & 0xff, // NOT (MVN)
                    (true, 1) => ReverseByte(b), // RBIT
                    _ => throw Undefined(),
                };
                Put(ref lo, ref hi, i, 8, r);
            }
            SetV(rd, lo, q ? hi : 0);
            return;
        }
        {
            int esize = 8 << size, lanes = (q ? 128 : 64) / esize;
            if (size == 3 && !q) throw Undefined();
            ulong all = Mask(esize);
            for (int i = 0; i < lanes; i++)
            {
                long a = SignExtend(ElementOf(n, i, esize), esize);
                ulong r = (opcode, u) switch
                {
                    (0b01000, false) => a > 0 ? all : 0, // CMGT #0
                    (0b01000, true) => a >= 0 ? all : 0, // CMGE #0
                    (0b01001, false) => a == 0 ? all : 0, // CMEQ #0
                    (0b01001, true) => a <= 0 ? all : 0, // CMLE #0
                    (0b01010, false) => a < 0 ? all : 0, // CMLT #0
                    (0b01011, false) => (ulong)Math.Abs(a), // ABS (wraps for the most negative value)
                    (0b01011, true) => (ulong)-a, // NEG
                    _ => throw Undefined(),
                };
                Put(ref lo, ref hi, i, esize, r);
            }
            SetV(rd, lo, q ? hi : 0);
        }
    }

    private static ulong ReverseByte(ulong b)
    {
        ulong r = 0;
        for (int i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
        return r;
    }

    private void AcrossLanes(uint insn, int rd, int rn, bool q)
    {
        int size = (int)((insn >> 22) & 3), esize = 8 << size;
        uint opcode = (insn >> 12) & 31;
        bool u = (insn & (1u << 29)) != 0;
        if (size == 3 || (size == 2 && !q)) throw Undefined();
        int lanes = (q ? 128 : 64) / esize;
        var n = VectorOf(rn);
        ulong acc = ElementOf(n, 0, esize);
        long sacc = SignExtend(acc, esize);
        int outSize = esize;
        switch (opcode, u)
        {
            case (0b11011, false): // ADDV
                for (int i = 1; i < lanes; i++) acc += ElementOf(n, i, esize);
                break;
            case (0b00011, _): // SADDLV, UADDLV: the sum in twice the element size
                outSize = 2 * esize;
                for (int i = 1; i < lanes; i++)
                {
                    ulong e = ElementOf(n, i, esize);
                    if (u) acc += e;
                    else sacc += SignExtend(e, esize);
                }
                if (!u) acc = (ulong)sacc;
                break;
            case (0b01010, true): // UMAXV
                for (int i = 1; i < lanes; i++) acc = Math.Max(acc, ElementOf(n, i, esize));
                break;
            case (0b11010, true): // UMINV
                for (int i = 1; i < lanes; i++) acc = Math.Min(acc, ElementOf(n, i, esize));
                break;
            case (0b01010, false): // SMAXV
                for (int i = 1; i < lanes; i++) sacc = Math.Max(sacc, SignExtend(ElementOf(n, i, esize), esize));
                acc = (ulong)sacc;
                break;
            case (0b11010, false): // SMINV
                for (int i = 1; i < lanes; i++) sacc = Math.Min(sacc, SignExtend(ElementOf(n, i, esize), esize));
                acc = (ulong)sacc;
                break;
            default:
                throw Undefined();
        }
        SetV(rd, acc & Mask(outSize), 0);
    }

    private void ShiftImmediate(uint insn, int rd, int rn, bool q)
    {
        uint immh = (insn >> 19) & 15, immhb = (insn >> 16) & 127, opcode = (insn >> 11) & 31;
        bool u = (insn & (1u << 29)) != 0;
        int sizeLog = 31 - BitOperations.LeadingZeroCount(immh); // highest set bit of immh
        int esize = 8 << sizeLog;
        var n = VectorOf(rn);
        ulong lo = 0, hi = 0;
        switch (opcode, u)
        {
            case (0b00000, _): // SSHR, USHR
            case (0b00010, _): // SSRA, USRA
            case (0b01010, false): // SHL
                {
                    if (sizeLog == 3 && !q) throw Undefined();
                    int lanes = (q ? 128 : 64) / esize;
                    int right = 2 * esize - (int)immhb, left = (int)immhb - esize;
                    var d = VectorOf(rd);
                    for (int i = 0; i < lanes; i++)
                    {
                        ulong e = ElementOf(n, i, esize);
                        ulong r;
                        if (opcode == 0b01010) r = left >= 64 ? 0 : e << left;
                        else
                        {
                            // A shift by the element size leaves only copies of the sign (or zero).
                            r = u ? (right >= esize ? 0 : e >> right)
                                  : (ulong)(SignExtend(e, esize) >> Math.Min(right, esize - 1));
                            if (opcode == 0b00010) r += ElementOf(d, i, esize);
                        }
                        Put(ref lo, ref hi, i, esize, r);
                    }
                    SetV(rd, lo, q ? hi : 0);
                    return;
                }
            case (0b10000, false): // SHRN, SHRN2: shift right each wide element, keep the low half
                {
                    if (sizeLog == 3) throw Undefined();
                    int lanes = 64 / esize, right = 2 * esize - (int)immhb;
                    ulong half = 0, ignored = 0;
                    for (int i = 0; i < lanes; i++)
                        Put(ref half, ref ignored, i, esize, ElementOf(n, i, 2 * esize) >> right);
                    if (q) SetV(rd, _v[2 * rd], half);
                    else SetV(rd, half, 0);
                    return;
                }
            case (0b10100, _): // SSHLL, USHLL (SXTL, UXTL): widen the lower or upper half, shift left
                {
                    if (sizeLog == 3) throw Undefined();
                    int lanes = 64 / esize, left = (int)immhb - esize;
                    ulong src = q ? n.Hi : n.Lo;
                    for (int i = 0; i < lanes; i++)
                    {
                        ulong e = (src >> (i * esize)) & Mask(esize);
                        ulong wide = u ? e : (ulong)SignExtend(e, esize);
                        Put(ref lo, ref hi, i, 2 * esize, wide << left);
                    }
                    SetV(rd, lo, hi);
                    return;
                }
            default:
                throw Undefined();
        }
    }

    private void ThreeDifferent(uint insn, int rd, int rn, int rm, bool q)
    {
        int size = (int)((insn >> 22) & 3), esize = 8 << size;
        uint opcode = (insn >> 12) & 15;
        bool u = (insn & (1u << 29)) != 0;
        if (size == 3) throw Undefined();
        var n = VectorOf(rn);
        var m = VectorOf(rm);
        int lanes = 64 / esize;
        bool wideN = opcode is 0b0001 or 0b0011; // the W forms: n is already wide
        ulong lo = 0, hi = 0;
        for (int i = 0; i < lanes; i++)
        {
            int half = q ? lanes : 0;
            ulong a = wideN ? ElementOf(n, i, 2 * esize) : Widen(ElementOf(n, half + i, esize), esize, u);
            ulong b = Widen(ElementOf(m, half + i, esize), esize, u);
            ulong r = opcode switch
            {
                0b0000 or 0b0001 => a + b, // [SU]ADDL, [SU]ADDW
                0b0010 or 0b0011 => a - b, // [SU]SUBL, [SU]SUBW
                0b1100 => a * b, // [SU]MULL
                _ => throw Undefined(),
            };
            Put(ref lo, ref hi, i, 2 * esize, r);
        }
        SetV(rd, lo, hi);
    }

    private static ulong Widen(ulong e, int esize, bool unsigned) => unsigned ? e : (ulong)SignExtend(e, esize);

    private void Permute(uint insn, int rd, int rn, int rm, bool q)
    {
        int size = (int)((insn >> 22) & 3), esize = 8 << size;
        uint opcode = (insn >> 12) & 7;
        if (size == 3 && !q) throw Undefined();
        int lanes = (q ? 128 : 64) / esize, pairs = lanes / 2;
        var n = VectorOf(rn);
        var m = VectorOf(rm);
        ulong lo = 0, hi = 0;
        int part = (int)(opcode >> 2); // 0 for UZP1/TRN1/ZIP1, 1 for the second forms
        for (int i = 0; i < lanes; i++)
        {
            ulong r = (opcode & 3) switch
            {
                1 => 2 * i + part < lanes ? ElementOf(n, 2 * i + part, esize) : ElementOf(m, 2 * i + part - lanes, esize), // UZP
                2 => i % 2 == 0 ? ElementOf(n, i + part, esize) : ElementOf(m, i - 1 + part, esize), // TRN
                3 => i % 2 == 0 ? ElementOf(n, part * pairs + i / 2, esize) : ElementOf(m, part * pairs + i / 2, esize), // ZIP
                _ => throw Undefined(),
            };
            Put(ref lo, ref hi, i, esize, r);
        }
        SetV(rd, lo, q ? hi : 0);
    }

    /// <summary>EXT: bytes imm4 onwards of the concatenation m:n.</summary>
    private void Extract(uint insn, int rd, int rn, int rm, bool q)
    {
        int position = (int)((insn >> 11) & 15), bytes = q ? 16 : 8;
        if (!q && position >= 8) throw Undefined();
        var n = VectorOf(rn);
        var m = VectorOf(rm);
        ulong lo = 0, hi = 0;
        for (int i = 0; i < bytes; i++)
        {
            int j = position + i;
            Put(ref lo, ref hi, i, 8, j < bytes ? ElementOf(n, j, 8) : ElementOf(m, j - bytes, 8));
        }
        SetV(rd, lo, q ? hi : 0);
    }

    /// <summary>TBL, TBX: bytes of a table of 1 to 4 consecutive registers, indexed by the bytes of m.</summary>
    private void TableLookup(uint insn, int rd, int rn, int rm, bool q)
    {
        int registers = (int)((insn >> 13) & 3) + 1;
        bool extension = (insn & (1u << 12)) != 0;
        var indices = VectorOf(rm);
        var old = VectorOf(rd);
        var table = new byte[16 * registers];
        for (int t = 0; t < registers; t++)
        {
            var v = VectorOf((rn + t) % 32);
            for (int b = 0; b < 16; b++) table[16 * t + b] = (byte)ElementOf(v, b, 8);
        }
        ulong lo = 0, hi = 0;
        for (int i = 0; i < (q ? 16 : 8); i++)
        {
            ulong index = ElementOf(indices, i, 8);
            ulong r = index < (ulong)table.Length ? table[index] : extension ? ElementOf(old, i, 8) : 0;
            Put(ref lo, ref hi, i, 8, r);
        }
        SetV(rd, lo, q ? hi : 0);
    }

    /// <summary>ADDP (scalar): Dd = Vn.D[0] + Vn.D[1].</summary>
    private void ScalarPairwise(uint insn, int rd, int rn)
    {
        uint opcode = (insn >> 12) & 31;
        if (opcode != 0b11011 || ((insn >> 22) & 3) != 3 || (insn & (1u << 29)) != 0) throw Undefined();
        SetV(rd, _v[2 * rn] + _v[2 * rn + 1], 0);
    }
}
