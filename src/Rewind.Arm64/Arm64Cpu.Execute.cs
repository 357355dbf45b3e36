using System.Numerics;
using System.Runtime.CompilerServices;

namespace Rewind.Arm64;

/// <summary>
/// The A64 decoder's top level: the instruction's class (bits 28:25, as the Arm ARM's "A64 instruction
/// set encoding" table) selects a group, each group decodes its own fields. Anything not implemented
/// is an Undefined Instruction exception into the guest.
/// </summary>
public sealed partial class Arm64Cpu
{
    private void Execute(uint insn, ulong pc)
    {
        switch ((insn >> 25) & 0xf)
        {
            case 0b1000:
            case 0b1001:
                DataProcessingImmediate(insn, pc);
                break;
            case 0b1010:
            case 0b1011:
                BranchOrSystem(insn, pc);
                break;
            case 0b0100:
            case 0b0110:
            case 0b1100:
            case 0b1110:
                LoadStore(insn, pc);
                break;
            case 0b0101:
            case 0b1101:
                DataProcessingRegister(insn);
                break;
            case 0b0111:
            case 0b1111:
                SimdAndFp(insn);
                break;
            default:
                throw Undefined();
        }
    }

    // ---- register access: 31 is the zero register or SP, depending on the field ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Xr(int n) => n == 31 ? 0 : _x[n];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Xs(int n) => n == 31 ? Sp : _x[n];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetXr(int n, ulong v)
    {
        if (n != 31) _x[n] = v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetXs(int n, ulong v)
    {
        if (n == 31) Sp = v;
        else _x[n] = v;
    }

    // ---- flags ----

    private const uint FlagN = 0x8000_0000, FlagZ = 0x4000_0000, FlagC = 0x2000_0000, FlagV = 0x1000_0000;

    public uint Nzcv => _nzcv;

    private bool ConditionHolds(uint cond)
    {
        uint f = _nzcv;
        bool n = (f & FlagN) != 0, z = (f & FlagZ) != 0, c = (f & FlagC) != 0, v = (f & FlagV) != 0;
        bool result = (cond >> 1) switch
        {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c && !z,
            5 => n == v,
            6 => n == v && !z,
            _ => true,
        };
        // Odd conditions negate, except 1111 which is "always" too.
        if ((cond & 1) != 0 && cond != 15) result = !result;
        return result;
    }

    /// <summary>x + y + carry with the NZCV it produces (the Arm ARM's AddWithCarry).</summary>
    private static ulong AddWithCarry(ulong x, ulong y, ulong carry, bool sf, out uint nzcv)
    {
        ulong result;
        bool c, v;
        if (sf)
        {
            UInt128 sum = (UInt128)x + y + carry;
            result = (ulong)sum;
            c = (sum >> 64) != 0;
            v = (((x ^ result) & (y ^ result)) >> 63) != 0;
            nzcv = (result >> 63 != 0 ? FlagN : 0) | (result == 0 ? FlagZ : 0);
        }
        else
        {
            ulong sum = (ulong)(uint)x + (uint)y + carry;
            result = (uint)sum;
            c = (sum >> 32) != 0;
            v = ((((uint)x ^ (uint)result) & ((uint)y ^ (uint)result)) >> 31) != 0;
            nzcv = (((uint)result >> 31) != 0 ? FlagN : 0) | ((uint)result == 0 ? FlagZ : 0);
        }
        nzcv |= (c ? FlagC : 0) | (v ? FlagV : 0);
        return result;
    }

    private static uint LogicFlags(ulong result, bool sf) =>
        sf ? (result >> 63 != 0 ? FlagN : 0) | (result == 0 ? FlagZ : 0)
           : (((uint)result >> 31) != 0 ? FlagN : 0) | ((uint)result == 0 ? FlagZ : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Trim(ulong v, bool sf) => sf ? v : (uint)v;

    private static long SignExtend(ulong value, int bits) => (long)(value << (64 - bits)) >> (64 - bits);

    private static ulong ShiftReg(ulong value, uint type, int amount, bool sf) =>
        amount == 0 ? Trim(value, sf) : Shifted(value, (int)type, amount, sf);

    /// <summary>The extended-register operand: UXTB..SXTX of <paramref name="value"/>, shifted left.</summary>
    private static ulong ExtendReg(ulong value, uint option, int shift)
    {
        ulong v = option switch
        {
            0 => (byte)value,
            1 => (ushort)value,
            2 => (uint)value,
            3 => value,
            4 => (ulong)(sbyte)value,
            5 => (ulong)(short)value,
            6 => (ulong)(int)value,
            _ => value,
        };
        return v << shift;
    }

    /// <summary>
    /// The Arm ARM's DecodeBitMasks: the logical-immediate mask (wmask) and the bitfield mask (tmask)
    /// for N:imms:immr; throws Undefined for the reserved encodings.
    /// </summary>
    private static (ulong WMask, ulong TMask) DecodeBitMasks(uint n, uint imms, uint immr, bool immediate, int dataSize)
    {
        uint combined = n << 6 | (~imms & 0x3f);
        if (combined == 0) throw Undefined();
        int len = 31 - BitOperations.LeadingZeroCount(combined);
        if (len < 1) throw Undefined();
        uint levels = (1u << len) - 1;
        if (immediate && (imms & levels) == levels) throw Undefined();
        int s = (int)(imms & levels), r = (int)(immr & levels);
        int esize = 1 << len;
        int d = (s - r) & (esize - 1);
        ulong emask = esize == 64 ? ulong.MaxValue : (1UL << esize) - 1;
        ulong welem = s + 1 == 64 ? ulong.MaxValue : (1UL << (s + 1)) - 1;
        ulong telem = d + 1 == 64 ? ulong.MaxValue : (1UL << (d + 1)) - 1;
        ulong rotated = r == 0 ? welem : ((welem >> r) | (welem << (esize - r))) & emask;
        ulong wmask = Replicate(rotated, esize), tmask = Replicate(telem, esize);
        if (dataSize == 32)
        {
            wmask = (uint)wmask;
            tmask = (uint)tmask;
        }
        return (wmask, tmask);
    }

    private static ulong Replicate(ulong element, int esize)
    {
        ulong result = element;
        for (int size = esize; size < 64; size *= 2) result |= result << size;
        return result;
    }
}
