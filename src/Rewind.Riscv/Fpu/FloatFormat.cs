namespace Rewind.Riscv.Fpu;

/// <summary>Accrued exception flags as they appear in fflags.</summary>
public static class FFlags
{
    public const uint Inexact = 1, Underflow = 2, Overflow = 4, DivideByZero = 8, Invalid = 16;
}

/// <summary>The RISC-V rounding modes (the rm field and frm encoding; 5 to 7 are not modes).</summary>
public enum RoundingMode : byte
{
    /// <summary>Round to nearest, ties to even.</summary>
    Rne = 0,
    /// <summary>Round towards zero.</summary>
    Rtz = 1,
    /// <summary>Round down (towards negative infinity).</summary>
    Rdn = 2,
    /// <summary>Round up (towards positive infinity).</summary>
    Rup = 3,
    /// <summary>Round to nearest, ties to max magnitude.</summary>
    Rmm = 4,
}

/// <summary>
/// An IEEE 754 binary interchange format, described by its field widths. Values are raw bit patterns
/// in the low bits of a <see cref="ulong"/> (a single uses only the low 32 bits).
/// </summary>
public readonly struct FloatFormat
{
    public static readonly FloatFormat Single = new(23, 8);
    public static readonly FloatFormat Double = new(52, 11);

    /// <summary>Stored fraction bits (the precision minus the hidden bit).</summary>
    public readonly int MantBits;
    public readonly int ExpBits;
    public readonly int Bias;

    public FloatFormat(int mantBits, int expBits)
    {
        MantBits = mantBits;
        ExpBits = expBits;
        Bias = (1 << (expBits - 1)) - 1;
    }

    /// <summary>Precision in bits, hidden bit included.</summary>
    public int Precision => MantBits + 1;
    public int Emin => 1 - Bias;
    public int Emax => Bias;
    public int SignShift => MantBits + ExpBits;
    public ulong SignBit => 1UL << SignShift;
    public ulong MantMask => (1UL << MantBits) - 1;
    public ulong MaxExpField => (1UL << ExpBits) - 1;

    /// <summary>The canonical NaN RISC-V produces: positive, quiet bit only.</summary>
    public ulong DefaultNaN => (MaxExpField << MantBits) | (1UL << (MantBits - 1));
    public ulong Infinity(bool negative) => (negative ? SignBit : 0) | (MaxExpField << MantBits);
    public ulong MaxFinite(bool negative) => (negative ? SignBit : 0) | ((MaxExpField - 1) << MantBits) | MantMask;
    public ulong Zero(bool negative) => negative ? SignBit : 0;

    public ulong ExpField(ulong bits) => (bits >> MantBits) & MaxExpField;
    public bool Sign(ulong bits) => ((bits >> SignShift) & 1) != 0;
    public bool IsNaN(ulong bits) => ExpField(bits) == MaxExpField && (bits & MantMask) != 0;
    public bool IsSignalingNaN(ulong bits) => IsNaN(bits) && (bits & (1UL << (MantBits - 1))) == 0;
    public bool IsInfinity(ulong bits) => ExpField(bits) == MaxExpField && (bits & MantMask) == 0;
    public bool IsZero(ulong bits) => (bits & ~SignBit) == 0;

    /// <summary>Splits a finite non-zero value into sig * 2^exp (sig has at most <see cref="Precision"/> bits).</summary>
    public void Unpack(ulong bits, out int exp, out ulong sig)
    {
        ulong e = ExpField(bits);
        ulong m = bits & MantMask;
        if (e == 0)
        {
            exp = Emin - MantBits;
            sig = m;
        }
        else
        {
            exp = (int)e - Bias - MantBits;
            sig = m | (1UL << MantBits);
        }
    }
}
