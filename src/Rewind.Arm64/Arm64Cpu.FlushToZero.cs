namespace Rewind.Arm64;

/// <summary>
/// FPCR.FZ, flush-to-zero for single and double precision, as the Arm ARM's FPUnpack and FPRound and
/// QEMU apply it: a subnormal operand of an arithmetic, compare or conversion counts as a zero of its
/// sign and sets FPSR.IDC; a result that is tiny before rounding becomes a zero of its sign and sets
/// FPSR.UFC alone (not IXC). Moves, FABS and FNEG leave subnormals alone.
/// </summary>
public sealed partial class Arm64Cpu
{
    private const uint Idc = 0x80;

    private bool FlushToZero => (_fpcr & (1UL << 24)) != 0;

    /// <summary>The operand as FPUnpack sees it: a subnormal is a signed zero under FPCR.FZ.</summary>
    private ulong FlushIn(ulong bits, bool dbl)
    {
        if (!FlushToZero) return bits;
        ulong sign = dbl ? 1UL << 63 : 1UL << 31;
        ulong exponent = dbl ? bits & 0x7ff0_0000_0000_0000UL : bits & 0x7f80_0000UL;
        if (exponent != 0 || (bits & ~sign) == 0) return bits;
        RaiseFp(Idc);
        return bits & sign;
    }

    /// <summary>A tiny result flushed: the zero of its sign, with underflow.</summary>
    private ulong FlushOut(double result, bool dbl)
    {
        RaiseFp(Ufc);
        return Bits(double.IsNegative(result) ? -0.0 : 0.0, dbl);
    }
}
