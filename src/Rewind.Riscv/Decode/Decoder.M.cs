namespace Rewind.Riscv.Decode;

/// <summary>M extension: multiply and divide.</summary>
public static partial class Decoder
{
    private static void DecodeMulDiv(ref DecodedInsn d, uint funct3) =>
        d.Op = funct3 switch
        {
            0 => Op.Mul, 1 => Op.Mulh, 2 => Op.Mulhsu, 3 => Op.Mulhu,
            4 => Op.Div, 5 => Op.Divu, 6 => Op.Rem, _ => Op.Remu,
        };

    private static void DecodeMulDiv32(ref DecodedInsn d, uint funct3) =>
        d.Op = funct3 switch
        {
            0 => Op.Mulw, 4 => Op.Divw, 5 => Op.Divuw, 6 => Op.Remw, 7 => Op.Remuw,
            _ => Op.Illegal,
        };
}
