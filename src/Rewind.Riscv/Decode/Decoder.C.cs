namespace Rewind.Riscv.Decode;

/// <summary>C extension: each 16-bit form decodes to the operation of its 32-bit expansion.</summary>
public static partial class Decoder
{
    private static int Sext(int value, int bits) => value << (32 - bits) >> (32 - bits);

    /// <summary>c.fld/c.fsd/c.fldsp/c.fsdsp: the D extension's double load or store.</summary>
    private static void FloatForm(ref DecodedInsn d, bool isStore) => d.Op = isStore ? Op.Fsd : Op.Fld;

    private static void DecodeCompressed(ref DecodedInsn d, ushort c)
    {
        int i = c;
        int funct3 = i >> 13;
        byte rdP = (byte)(8 + ((i >> 2) & 7));
        byte rs1P = (byte)(8 + ((i >> 7) & 7));
        byte rFull = (byte)((i >> 7) & 31);
        byte rs2Full = (byte)((i >> 2) & 31);
        int imm6 = ((i >> 7) & 0x20) | ((i >> 2) & 0x1f);
        d.Op = Op.Illegal;
        switch (i & 3)
        {
            case 0:
                switch (funct3)
                {
                    case 0:
                        {
                            int nz = ((i >> 7) & 0x30) | ((i >> 1) & 0x3c0) | ((i >> 4) & 4) | ((i >> 2) & 8);
                            if (nz == 0) return;
                            Set(ref d, Op.Addi, rdP, 2, 0, nz);
                            return;
                        }
                    case 1:
                        Set(ref d, Op.Illegal, rdP, rs1P, 0, ((i >> 7) & 0x38) | ((i << 1) & 0xc0));
                        FloatForm(ref d, false);
                        return;
                    case 2: Set(ref d, Op.Lw, rdP, rs1P, 0, ((i >> 7) & 0x38) | ((i >> 4) & 4) | ((i << 1) & 0x40)); return;
                    case 3: Set(ref d, Op.Ld, rdP, rs1P, 0, ((i >> 7) & 0x38) | ((i << 1) & 0xc0)); return;
                    case 5:
                        Set(ref d, Op.Illegal, 0, rs1P, rdP, ((i >> 7) & 0x38) | ((i << 1) & 0xc0));
                        FloatForm(ref d, true);
                        return;
                    case 6: Set(ref d, Op.Sw, 0, rs1P, rdP, ((i >> 7) & 0x38) | ((i >> 4) & 4) | ((i << 1) & 0x40)); return;
                    case 7: Set(ref d, Op.Sd, 0, rs1P, rdP, ((i >> 7) & 0x38) | ((i << 1) & 0xc0)); return;
                }
                return;
            case 1:
                switch (funct3)
                {
                    case 0: Set(ref d, Op.Addi, rFull, rFull, 0, Sext(imm6, 6)); return;
                    case 1:
                        if (rFull == 0) return;
                        Set(ref d, Op.Addiw, rFull, rFull, 0, Sext(imm6, 6));
                        return;
                    case 2: Set(ref d, Op.Addi, rFull, 0, 0, Sext(imm6, 6)); return;
                    case 3:
                        if (rFull == 2)
                        {
                            int v = ((i >> 3) & 0x200) | ((i >> 2) & 0x10) | ((i << 1) & 0x40) | ((i << 4) & 0x180) | ((i << 3) & 0x20);
                            if (v == 0) return;
                            Set(ref d, Op.Addi, 2, 2, 0, Sext(v, 10));
                        }
                        else
                        {
                            int v = ((i << 5) & 0x20000) | ((i << 10) & 0x1f000);
                            if (v == 0) return;
                            Set(ref d, Op.Lui, rFull, 0, 0, Sext(v, 18));
                        }
                        return;
                    case 4:
                        switch ((i >> 10) & 3)
                        {
                            case 0: Set(ref d, Op.Srli, rs1P, rs1P, 0, imm6); return;
                            case 1: Set(ref d, Op.Srai, rs1P, rs1P, 0, imm6); return;
                            case 2: Set(ref d, Op.Andi, rs1P, rs1P, 0, Sext(imm6, 6)); return;
                            default:
                                {
                                    int f = (i >> 5) & 3;
                                    Op op = (i & 0x1000) == 0
                                        ? f switch { 0 => Op.Sub, 1 => Op.Xor, 2 => Op.Or, _ => Op.And }
                                        : f switch { 0 => Op.Subw, 1 => Op.Addw, _ => Op.Illegal };
                                    Set(ref d, op, rs1P, rs1P, rdP, 0);
                                    return;
                                }
                        }
                    case 5:
                        {
                            int v = ((i >> 1) & 0x800) | ((i >> 7) & 0x10) | ((i >> 1) & 0x300) | ((i << 2) & 0x400)
                                  | ((i >> 1) & 0x40) | ((i << 1) & 0x80) | ((i >> 2) & 0xe) | ((i << 3) & 0x20);
                            Set(ref d, Op.Jal, 0, 0, 0, Sext(v, 12));
                            return;
                        }
                    default:
                        {
                            int v = ((i >> 4) & 0x100) | ((i >> 7) & 0x18) | ((i << 1) & 0xc0) | ((i >> 2) & 6) | ((i << 3) & 0x20);
                            Set(ref d, funct3 == 6 ? Op.Beq : Op.Bne, 0, rs1P, 0, Sext(v, 9));
                            return;
                        }
                }
            case 2:
                switch (funct3)
                {
                    case 0: Set(ref d, Op.Slli, rFull, rFull, 0, imm6); return;
                    case 1:
                        Set(ref d, Op.Illegal, rFull, 2, 0, ((i >> 7) & 0x20) | ((i >> 2) & 0x18) | ((i << 4) & 0x1c0));
                        FloatForm(ref d, false);
                        return;
                    case 2:
                        if (rFull == 0) return;
                        Set(ref d, Op.Lw, rFull, 2, 0, ((i >> 7) & 0x20) | ((i >> 2) & 0x1c) | ((i << 4) & 0xc0));
                        return;
                    case 3:
                        if (rFull == 0) return;
                        Set(ref d, Op.Ld, rFull, 2, 0, ((i >> 7) & 0x20) | ((i >> 2) & 0x18) | ((i << 4) & 0x1c0));
                        return;
                    case 4:
                        if ((i & 0x1000) == 0)
                        {
                            if (rs2Full == 0)
                            {
                                if (rFull == 0) return;
                                Set(ref d, Op.Jalr, 0, rFull, 0, 0);
                            }
                            else Set(ref d, Op.Add, rFull, 0, rs2Full, 0);
                        }
                        else
                        {
                            if (rs2Full == 0 && rFull == 0) Set(ref d, Op.Ebreak, 0, 0, 0, 0);
                            else if (rs2Full == 0) Set(ref d, Op.Jalr, 1, rFull, 0, 0);
                            else Set(ref d, Op.Add, rFull, rFull, rs2Full, 0);
                        }
                        return;
                    case 5:
                        Set(ref d, Op.Illegal, 0, 2, rs2Full, ((i >> 7) & 0x38) | ((i >> 1) & 0x1c0));
                        FloatForm(ref d, true);
                        return;
                    case 6: Set(ref d, Op.Sw, 0, 2, rs2Full, ((i >> 7) & 0x3c) | ((i >> 1) & 0xc0)); return;
                    default: Set(ref d, Op.Sd, 0, 2, rs2Full, ((i >> 7) & 0x38) | ((i >> 1) & 0x1c0)); return;
                }
        }
    }

    private static void Set(ref DecodedInsn d, Op op, byte rd, byte rs1, byte rs2, int imm)
    {
        d.Op = op;
        d.Rd = rd;
        d.Rs1 = rs1;
        d.Rs2 = rs2;
        d.Imm = imm;
    }
}
