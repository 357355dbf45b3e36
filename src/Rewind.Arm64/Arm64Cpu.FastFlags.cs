using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rewind.Arm64;

/// <summary>
/// Flag arithmetic for the fast path, inlined: conditions by table lookup, and NZCV of additions and
/// subtractions computed without the 128-bit sum that <see cref="AddWithCarry"/> uses (same results).
/// </summary>
public sealed partial class Arm64Cpu
{
    /// <summary>For each NZCV value (bits 3..0 = N, Z, C, V): bit c is set when condition c holds.</summary>
    private static readonly ushort[] ConditionTable = BuildConditionTable();

    private static ushort[] BuildConditionTable()
    {
        var table = new ushort[16];
        for (uint f = 0; f < 16; f++)
        {
            for (int cond = 0; cond < 16; cond++)
            {
                if (Condition(f << 28, cond)) table[f] |= (ushort)(1 << cond);
            }
        }
        return table;
    }

    /// <summary>
    /// Whether condition <paramref name="cond"/> holds for <paramref name="nzcv"/> (bits 31..28): the one definition,
    /// which the interpreter's table is built from and compiled regions call with a constant condition (the
    /// runtime's JIT then folds it to the one case).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Condition(uint nzcv, int cond)
    {
        bool n = (nzcv & 0x8000_0000) != 0, z = (nzcv & 0x4000_0000) != 0, c = (nzcv & 0x2000_0000) != 0, v = (nzcv & 0x1000_0000) != 0;
        bool result = (cond >> 1) switch
        {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c & !z,
            5 => n == v,
            6 => (n == v) & !z,
            _ => true,
        };
        return (cond & 1) != 0 && cond != 15 ? !result : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Holds(int cond) =>
        ((Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(ConditionTable), (nint)(_nzcv >> 28)) >> cond) & 1) != 0; // NZCV >> 28 < 16: no bounds check needed

    /// <summary>
    /// 1 or 0 without a branch (a SETcc): flags are often data, e.g. the Z of a test of a computed bit, and a
    /// branch on them would mispredict half the time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Bit(bool b) => Unsafe.BitCast<bool, byte>(b);

    /// <summary>NZCV of a logical operation (ANDS, TST): N and Z from the result, C and V clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint LogicalFlags(ulong r, bool sf) =>
        sf ? (uint)(r >> 63) << 31 | Bit(r == 0) << 30 : (uint)(r >> 31) << 31 | Bit((uint)r == 0) << 30;

    /// <summary>a + b (or a - b when <paramref name="sub"/>: b is then the subtrahend, not its complement), setting NZCV.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong AddSubFlags(ulong a, ulong b, bool sub, bool sf)
    {
        _nzcv = AddSubNzcv(a, b, sub, sf, out ulong r);
        return r;
    }

    /// <summary>The NZCV of a + b (or a - b), with the result in <paramref name="r"/>: the interpreter's and compiled regions' one computation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint AddSubNzcv(ulong a, ulong b, bool sub, bool sf, out ulong r)
    {
        uint nzcv;
        if (sf)
        {
            if (sub)
            {
                r = a - b;
                nzcv = Bit(a >= b) << 29 | (uint)((((a ^ b) & (a ^ r)) >> 63) << 28);
            }
            else
            {
                r = a + b;
                nzcv = Bit(r < a) << 29 | (uint)(((~(a ^ b) & (a ^ r)) >> 63) << 28);
            }
            nzcv |= (uint)(r >> 63) << 31 | Bit(r == 0) << 30;
        }
        else
        {
            uint x = (uint)a, y = (uint)b, w;
            if (sub)
            {
                w = x - y;
                nzcv = Bit(x >= y) << 29 | (((x ^ y) & (x ^ w)) >> 31) << 28;
            }
            else
            {
                w = x + y;
                nzcv = Bit(w < x) << 29 | ((~(x ^ y) & (x ^ w)) >> 31) << 28;
            }
            nzcv |= (w >> 31) << 31 | Bit(w == 0) << 30;
            r = w;
        }
        return nzcv;
    }
}
