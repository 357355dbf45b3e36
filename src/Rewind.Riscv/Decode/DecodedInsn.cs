namespace Rewind.Riscv.Decode;

/// <summary>
/// One pre-decoded instruction. Register fields index the hart's register file, where index 32 is a
/// write sink so that writes to x0 need no test on the hot path.
/// </summary>
public struct DecodedInsn
{
    public Op Op;
    public byte Rd;
    public byte Rs1;
    public byte Rs2;
    /// <summary>Instruction length in bytes (2 or 4).</summary>
    public byte Length;
    /// <summary>CSR number, or rs3 and rounding mode for floating point (rs3 | rm &lt;&lt; 8).</summary>
    public ushort Aux;
    public uint Raw;
    /// <summary>
    /// The block compiler's mark (it fits in padding): above 0, the id of a compiled block that starts
    /// here; 0 or below, minus the times the interpreter reached this slot as a jump target (its heat).
    /// </summary>
    public int Jit;
    public long Imm;

    public const byte ZeroSink = 32;
}
