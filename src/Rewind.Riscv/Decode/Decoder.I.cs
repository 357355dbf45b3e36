namespace Rewind.Riscv.Decode;

/// <summary>RV64I base integer instructions.</summary>
public static partial class Decoder
{
    private static void DecodeBranch(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Imm = ImmB(raw);
        d.Rd = 0;
        d.Op = funct3 switch
        {
            0 => Op.Beq, 1 => Op.Bne, 4 => Op.Blt, 5 => Op.Bge, 6 => Op.Bltu, 7 => Op.Bgeu,
            _ => Op.Illegal,
        };
    }

    private static void DecodeLoad(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Imm = ImmI(raw);
        d.Op = funct3 switch
        {
            0 => Op.Lb, 1 => Op.Lh, 2 => Op.Lw, 3 => Op.Ld, 4 => Op.Lbu, 5 => Op.Lhu, 6 => Op.Lwu,
            _ => Op.Illegal,
        };
    }

    private static void DecodeStore(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Imm = ImmS(raw);
        d.Rd = 0;
        d.Op = funct3 switch { 0 => Op.Sb, 1 => Op.Sh, 2 => Op.Sw, 3 => Op.Sd, _ => Op.Illegal };
    }

    private static void DecodeOpImm(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Imm = ImmI(raw);
        uint shamt = (raw >> 20) & 63;
        uint top6 = raw >> 26;
        switch (funct3)
        {
            case 0: d.Op = Op.Addi; break;
            case 2: d.Op = Op.Slti; break;
            case 3: d.Op = Op.Sltiu; break;
            case 4: d.Op = Op.Xori; break;
            case 6: d.Op = Op.Ori; break;
            case 7: d.Op = Op.Andi; break;
            case 1: d.Op = top6 == 0 ? Op.Slli : Op.Illegal; d.Imm = (int)shamt; break;
            case 5:
                d.Op = top6 switch { 0 => Op.Srli, 0x10 => Op.Srai, _ => Op.Illegal };
                d.Imm = (int)shamt;
                break;
        }
    }

    private static void DecodeOpImm32(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Imm = ImmI(raw);
        uint funct7 = raw >> 25;
        uint shamt = (raw >> 20) & 31;
        switch (funct3)
        {
            case 0: d.Op = Op.Addiw; break;
            case 1: d.Op = funct7 == 0 ? Op.Slliw : Op.Illegal; d.Imm = (int)shamt; break;
            case 5:
                d.Op = funct7 switch { 0 => Op.Srliw, 0x20 => Op.Sraiw, _ => Op.Illegal };
                d.Imm = (int)shamt;
                break;
            default: d.Op = Op.Illegal; break;
        }
    }

    private static void DecodeOp(ref DecodedInsn d, uint funct3, uint funct7)
    {
        d.Op = (funct7, funct3) switch
        {
            (0, 0) => Op.Add, (0x20, 0) => Op.Sub, (0, 1) => Op.Sll, (0, 2) => Op.Slt, (0, 3) => Op.Sltu,
            (0, 4) => Op.Xor, (0, 5) => Op.Srl, (0x20, 5) => Op.Sra, (0, 6) => Op.Or, (0, 7) => Op.And,
            _ => Op.Illegal,
        };
    }

    private static void DecodeOp32(ref DecodedInsn d, uint funct3, uint funct7)
    {
        d.Op = (funct7, funct3) switch
        {
            (0, 0) => Op.Addw, (0x20, 0) => Op.Subw, (0, 1) => Op.Sllw, (0, 5) => Op.Srlw, (0x20, 5) => Op.Sraw,
            _ => Op.Illegal,
        };
    }

    private static void DecodeMiscMem(ref DecodedInsn d, uint raw, uint funct3)
    {
        d.Op = funct3 switch { 0 => Op.Fence, 1 => Op.FenceI, _ => Op.Illegal };
    }
}
