namespace Rewind.Riscv.Decode;

/// <summary>
/// One pre-decoded instruction. Register fields index the hart's register file, where index 32 is a
/// write sink so that writes to x0 need no test on the hot path.
/// </summary>
/// <remarks>
/// 16 bytes, and it must stay so: the code cache holds one per 2-byte parcel of every code page, so a
/// 4 KiB page of kernel code takes 32 KiB of slots, and a Linux boot runs through megabytes of them.
/// At 24 bytes the interpreter's most sampled instruction was the load of the slot's first byte (a
/// cache miss, 10 % of the hart thread's samples in a boot). So there is no copy of the instruction's
/// bits: the rare path that wants them (mtval of an illegal instruction) reads them from memory again.
/// </remarks>
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
    /// <summary>
    /// The block compiler's mark: above 0, the id of a compiled block that starts here; 0 or below,
    /// minus the times the interpreter reached this slot as a jump target (its heat).
    /// </summary>
    public int Jit;
    /// <summary>The immediate, sign-extended where the encoding says so; every RV64 immediate fits in 32 bits.</summary>
    public int Imm;

    public const byte ZeroSink = 32;
}
