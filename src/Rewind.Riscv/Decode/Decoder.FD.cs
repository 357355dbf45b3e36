namespace Rewind.Riscv.Decode;

/// <summary>
/// F and D extensions. Aux holds rs3 | rm &lt;&lt; 8 (rm is validated when the instruction executes, since
/// the dynamic mode depends on frm). FP destination registers are d.Rd &amp; 31: Decode maps rd = 0 to
/// the integer sink 32, and 32 &amp; 31 recovers f0.
/// </summary>
public static partial class Decoder
{
    private const int DoubleOffset = Op.FmaddD - Op.FmaddS;

    static partial void DecodeFloatImpl(ref DecodedInsn d, uint raw, ref bool handled)
    {
        uint funct3 = (raw >> 12) & 7;
        uint fmt = (raw >> 25) & 3;
        d.Aux = (ushort)(((raw >> 27) & 31) | (funct3 << 8));
        Op op;
        switch (raw & 0x7f)
        {
            case 0x07:
                d.Imm = ImmI(raw);
                op = funct3 switch { 2 => Op.Flw, 3 => Op.Fld, _ => Op.Illegal };
                break;
            case 0x27:
                d.Imm = ImmS(raw);
                d.Rd = 0;
                op = funct3 switch { 2 => Op.Fsw, 3 => Op.Fsd, _ => Op.Illegal };
                break;
            case 0x43: op = WithFormat(Op.FmaddS, fmt); break;
            case 0x47: op = WithFormat(Op.FmsubS, fmt); break;
            case 0x4b: op = WithFormat(Op.FnmsubS, fmt); break;
            case 0x4f: op = WithFormat(Op.FnmaddS, fmt); break;
            default: op = DecodeOpFp(raw, funct3, fmt, d.Rs2); break;
        }
        if (op == Op.Illegal) return;
        d.Op = op;
        handled = true;
    }

    private static Op WithFormat(Op single, uint fmt) => fmt switch
    {
        0 => single,
        1 => single + DoubleOffset,
        _ => Op.Illegal,
    };

    private static Op DecodeOpFp(uint raw, uint funct3, uint fmt, byte rs2)
    {
        if (fmt > 1) return Op.Illegal;
        Op s = (raw >> 27) switch
        {
            0x00 => Op.FaddS,
            0x01 => Op.FsubS,
            0x02 => Op.FmulS,
            0x03 => Op.FdivS,
            0x0b => rs2 == 0 ? Op.FsqrtS : Op.Illegal,
            0x04 => funct3 switch { 0 => Op.FsgnjS, 1 => Op.FsgnjnS, 2 => Op.FsgnjxS, _ => Op.Illegal },
            0x05 => funct3 switch { 0 => Op.FminS, 1 => Op.FmaxS, _ => Op.Illegal },
            0x08 => (fmt, rs2) switch
            {
                (0, 1) => Op.FcvtSD,
                (1, 0) => Op.FcvtDS,
                _ => Op.Illegal,
            },
            0x14 => funct3 switch { 2 => Op.FeqS, 1 => Op.FltS, 0 => Op.FleS, _ => Op.Illegal },
            0x18 => rs2 switch { 0 => Op.FcvtWS, 1 => Op.FcvtWuS, 2 => Op.FcvtLS, 3 => Op.FcvtLuS, _ => Op.Illegal },
            0x1a => rs2 switch { 0 => Op.FcvtSW, 1 => Op.FcvtSWu, 2 => Op.FcvtSL, 3 => Op.FcvtSLu, _ => Op.Illegal },
            0x1c when rs2 == 0 => funct3 switch { 0 => Op.FmvXW, 1 => Op.FclassS, _ => Op.Illegal },
            0x1e when rs2 == 0 && funct3 == 0 => Op.FmvWX,
            _ => Op.Illegal,
        };
        if (s == Op.Illegal || s == Op.FcvtSD || s == Op.FcvtDS) return s;
        return fmt == 0 ? s : s + DoubleOffset;
    }
}
