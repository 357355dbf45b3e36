namespace Rewind.Riscv.Decode;

/// <summary>A extension: LR/SC and AMOs. The aq/rl bits need no action on a sequential machine.</summary>
public static partial class Decoder
{
    private static void DecodeAtomic(ref DecodedInsn d, uint raw, uint funct3)
    {
        uint funct5 = raw >> 27;
        bool word = funct3 == 2;
        if (funct3 != 2 && funct3 != 3) { d.Op = Op.Illegal; return; }
        Op w = funct5 switch
        {
            0x02 => Op.LrW, 0x03 => Op.ScW, 0x01 => Op.AmoSwapW, 0x00 => Op.AmoAddW, 0x04 => Op.AmoXorW,
            0x0c => Op.AmoAndW, 0x08 => Op.AmoOrW, 0x10 => Op.AmoMinW, 0x14 => Op.AmoMaxW,
            0x18 => Op.AmoMinuW, 0x1c => Op.AmoMaxuW,
            _ => Op.Illegal,
        };
        if (w == Op.Illegal || (w == Op.LrW && d.Rs2 != 0)) { d.Op = Op.Illegal; return; }
        d.Op = word ? w : w + (Op.LrD - Op.LrW);
    }
}
