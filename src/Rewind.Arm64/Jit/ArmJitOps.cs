using System.Numerics;
using System.Runtime.CompilerServices;

namespace Rewind.Arm64.Jit;

/// <summary>
/// The operations compiled regions call with the decoded fields as constants, which the runtime's JIT then
/// folds: each is the interpreter's computation for that kind (Arm64Cpu.Interpreter.cs) with the fields of
/// its <see cref="Decode.A64Op"/> passed in, so both tiers compute the same bits.
/// </summary>
internal static class ArmJitOps
{
    /// <summary>NZCV of a - b (<paramref name="sub"/>) or a + b: what the interpreter's AddSubFlags sets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AddSubFlags(ulong a, ulong b, bool sub, bool sf) => Arm64Cpu.AddSubNzcv(a, b, sub, sf, out _);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LogicalFlags(ulong r, bool sf) => Arm64Cpu.LogicalFlags(r, sf);

    /// <summary>Whether condition <paramref name="cond"/> holds for <paramref name="nzcv"/> (in bits 31..28).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Holds(uint nzcv, int cond) => Arm64Cpu.Condition(nzcv, cond);

    // Flags compiled regions keep pending: the operands of the last flag-setting instruction and its kind,
    // turned into NZCV only where something needs them all (see ArmBlockCompiler).
    public const int FlagsReady = 0, FlagsSub64 = 1, FlagsSub32 = 2, FlagsAdd64 = 3, FlagsAdd32 = 4, FlagsLogic64 = 5, FlagsLogic32 = 6;

    /// <summary>NZCV from a pending kind and its operands (<paramref name="nzcv"/> itself when they are ready).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static uint Materialize(int kind, ulong a, ulong b, uint nzcv) => kind switch
    {
        FlagsSub64 => AddSubFlags(a, b, true, true),
        FlagsSub32 => AddSubFlags(a, b, true, false),
        FlagsAdd64 => AddSubFlags(a, b, false, true),
        FlagsAdd32 => AddSubFlags(a, b, false, false),
        FlagsLogic64 => LogicalFlags(a, true),
        FlagsLogic32 => LogicalFlags(a, false),
        _ => nzcv,
    };

    /// <summary>Whether <paramref name="cond"/> holds after a - b (SUBS, CMP), straight from the operands where it can.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CondSub(ulong a, ulong b, int cond, bool sf)
    {
        if (!sf)
        {
            a = (uint)a;
            b = (uint)b;
        }
        return cond switch
        {
            0 => a == b,
            1 => a != b,
            2 => a >= b,
            3 => a < b,
            8 => a > b,
            9 => a <= b,
            10 => sf ? (long)a >= (long)b : (int)a >= (int)b,
            11 => sf ? (long)a < (long)b : (int)a < (int)b,
            12 => sf ? (long)a > (long)b : (int)a > (int)b,
            13 => sf ? (long)a <= (long)b : (int)a <= (int)b,
            14 or 15 => true,
            _ => Holds(AddSubFlags(a, b, true, sf), cond),
        };
    }

    /// <summary>Whether <paramref name="cond"/> holds after a + b (ADDS, CMN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CondAdd(ulong a, ulong b, int cond, bool sf)
    {
        ulong r = sf ? a + b : (uint)(a + b);
        bool negative = sf ? (long)r < 0 : (int)r < 0;
        return cond switch
        {
            0 => r == 0,
            1 => r != 0,
            4 => negative,
            5 => !negative,
            14 or 15 => true,
            _ => Holds(AddSubFlags(a, b, false, sf), cond),
        };
    }

    /// <summary>Whether <paramref name="cond"/> holds after a logical operation with result r (ANDS, TST): C and V clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CondLogic(ulong r, int cond, bool sf)
    {
        if (!sf) r = (uint)r;
        bool negative = sf ? (long)r < 0 : (int)r < 0;
        return cond switch
        {
            0 => r == 0,
            1 => r != 0,
            2 or 6 or 8 => false,
            3 or 7 or 9 => true,
            4 or 11 => negative,
            5 or 10 => !negative,
            12 => r != 0 && !negative,
            13 => r == 0 || negative,
            _ => true,
        };
    }

    /// <summary>CCMP and CCMN given whether their condition holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint CcmpWith(bool holds, ulong a, ulong b, bool sub, bool sf, uint otherwise) =>
        holds ? AddSubFlags(a, b, sub, sf) : otherwise;

    /// <summary>A shifted-register operand (Arm64Cpu.Operand2 with its fields).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Operand2(ulong v, int shift, ulong imm, bool sf, ulong signFill)
    {
        ulong r, sign;
        if (sf)
        {
            r = BitOperations.RotateRight(v, shift);
            sign = (ulong)((long)v >> 63);
        }
        else
        {
            r = BitOperations.RotateRight((uint)v, shift);
            sign = (uint)((int)v >> 31);
        }
        ulong mask = sf ? ulong.MaxValue : 0xffff_ffff;
        return (r & imm) | (sign & ~imm & mask & signFill);
    }

    /// <summary>An extended-register operand (Arm64Cpu.ExtendedOperand with its fields).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Extended(ulong v, int l, bool signed, int shift)
    {
        ulong u = v << l;
        ulong e = signed ? (ulong)((long)u >> l) : u >> l;
        return e << shift;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Ubfm(ulong src, int shift, ulong imm, ulong imm2, bool sf)
    {
        ulong rotated = sf ? BitOperations.RotateRight(src, shift) : BitOperations.RotateRight((uint)src, shift);
        return rotated & imm & imm2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sbfm(ulong src, int shift, ulong imm, ulong imm2, int signBit, bool sf)
    {
        ulong rotated = sf ? BitOperations.RotateRight(src, shift) : BitOperations.RotateRight((uint)src, shift);
        ulong bot = rotated & imm;
        ulong top = ((src >> signBit) & 1) != 0 ? ulong.MaxValue : 0;
        return ((top & ~imm2) | (bot & imm2)) & (sf ? ulong.MaxValue : 0xffff_ffff);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Bfm(ulong src, ulong dst, int shift, ulong imm, ulong imm2, bool sf)
    {
        ulong rotated = sf ? BitOperations.RotateRight(src, shift) : BitOperations.RotateRight((uint)src, shift);
        ulong bot = (dst & ~imm) | (rotated & imm);
        return ((dst & ~imm2) | (bot & imm2)) & (sf ? ulong.MaxValue : 0xffff_ffff);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong RotateRight(ulong v, int shift) => BitOperations.RotateRight(v, shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MultiplyHigh(ulong a, ulong b) => (ulong)(((UInt128)a * b) >> 64);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MultiplyHighSigned(ulong a, ulong b) => (ulong)(((Int128)(long)a * (long)b) >> 64);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Udiv(ulong a, ulong b, ulong mask)
    {
        a &= mask;
        b &= mask;
        return b == 0 ? 0 : a / b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ShiftVar(ulong value, ulong by, int type, bool sf) =>
        Arm64Cpu.Shifted(value, type, (int)(by & (sf ? 63UL : 31UL)), sf);

    /// <summary>CSEL, CSINC, CSINV and CSNEG (<paramref name="variant"/> 0..3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Csel(ulong n, ulong m, int variant, bool take, ulong mask)
    {
        ulong alt = (m ^ (0 - (ulong)(variant >> 1))) + (ulong)(variant & 1);
        return (take ? n : alt) & mask;
    }

    /// <summary>A loaded value extended as Arm64Cpu.Extend does (mode 0 none, 1 to 64 bits, 2 to 32 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Extend(ulong v, int mode, int size)
    {
        int bits = size * 8;
        long s = (long)(v << (64 - bits)) >> (64 - bits);
        return mode switch
        {
            0 => v,
            1 => (ulong)s,
            _ => (uint)s,
        };
    }
}
