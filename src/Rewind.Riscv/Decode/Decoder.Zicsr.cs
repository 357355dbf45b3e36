namespace Rewind.Riscv.Decode;

/// <summary>Zicsr and the SYSTEM opcode's privileged instructions.</summary>
public static partial class Decoder
{
    private static void DecodeSystem(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Aux = (ushort)(raw >> 20);
        switch (funct3)
        {
            case 1: d.Op = Op.Csrrw; return;
            case 2: d.Op = Op.Csrrs; return;
            case 3: d.Op = Op.Csrrc; return;
            case 5: d.Op = Op.Csrrwi; d.Imm = d.Rs1; return;
            case 6: d.Op = Op.Csrrsi; d.Imm = d.Rs1; return;
            case 7: d.Op = Op.Csrrci; d.Imm = d.Rs1; return;
            case 0: break;
            default: d.Op = Op.Illegal; return;
        }
        if ((raw >> 25) == 0x09 && d.Rd == 0) { d.Op = Op.SfenceVma; return; }
        d.Op = raw switch
        {
            0x00000073 => Op.Ecall,
            0x00100073 => Op.Ebreak,
            0x30200073 => Op.Mret,
            0x10200073 => Op.Sret,
            0x10500073 => Op.Wfi,
            _ => Op.Illegal,
        };
    }
}
