using Rewind.Board.Devices;

namespace Rewind.TestSupport;

/// <summary>
/// Hand encoders for the 32-bit base formats (unprivileged spec, chapter 2), for test programs. What the
/// boot ROM's <see cref="RiscvEncoder"/> already encodes is taken from it.
/// </summary>
public static class Asm
{
    public const int Zero = 0, Ra = 1, Sp = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9;
    public const int A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15;

    public static uint R(uint funct7, int rs2, int rs1, uint funct3, int rd, uint opcode) =>
        (funct7 << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (funct3 << 12) | ((uint)rd << 7) | opcode;

    public static uint I(int imm, int rs1, uint funct3, int rd, uint opcode) =>
        RiscvEncoder.IType(imm, rs1, (int)funct3, rd, opcode);

    public static uint S(int imm, int rs2, int rs1, uint funct3, uint opcode) =>
        ((((uint)imm >> 5) & 0x7f) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (funct3 << 12)
        | (((uint)imm & 0x1f) << 7) | opcode;

    public static uint B(int imm, int rs2, int rs1, uint funct3)
    {
        uint u = (uint)imm;
        return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15)
            | (funct3 << 12) | (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
    }

    public static uint Jal(int rd, int imm)
    {
        uint u = (uint)imm;
        return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20)
            | (((u >> 12) & 0xff) << 12) | ((uint)rd << 7) | 0x6f;
    }

    public static uint Lui(int rd, uint upper20) => (upper20 << 12) | ((uint)rd << 7) | 0x37;
    public static uint Auipc(int rd, uint upper20) => RiscvEncoder.Auipc(rd, (int)upper20);
    public static uint Jalr(int rd, int rs1, int imm) => RiscvEncoder.Jalr(rd, rs1, imm);
    public static uint Beq(int rs1, int rs2, int imm) => B(imm, rs2, rs1, 0);
    public static uint Bne(int rs1, int rs2, int imm) => B(imm, rs2, rs1, 1);

    public static uint Addi(int rd, int rs1, int imm) => RiscvEncoder.Addi(rd, rs1, imm);
    public static uint Addiw(int rd, int rs1, int imm) => I(imm, rs1, 0, rd, 0x1b);
    public static uint Slliw(int rd, int rs1, int sh) => I(sh, rs1, 1, rd, 0x1b);
    public static uint Srliw(int rd, int rs1, int sh) => I(sh, rs1, 5, rd, 0x1b);
    public static uint Sraiw(int rd, int rs1, int sh) => I(0x400 | sh, rs1, 5, rd, 0x1b);
    public static uint Add(int rd, int rs1, int rs2) => R(0, rs2, rs1, 0, rd, 0x33);
    public static uint Addw(int rd, int rs1, int rs2) => R(0, rs2, rs1, 0, rd, 0x3b);
    public static uint Subw(int rd, int rs1, int rs2) => R(0x20, rs2, rs1, 0, rd, 0x3b);
    public static uint Sllw(int rd, int rs1, int rs2) => R(0, rs2, rs1, 1, rd, 0x3b);
    public static uint Srlw(int rd, int rs1, int rs2) => R(0, rs2, rs1, 5, rd, 0x3b);
    public static uint Sraw(int rd, int rs1, int rs2) => R(0x20, rs2, rs1, 5, rd, 0x3b);

    public static uint Mul(int rd, int rs1, int rs2) => R(1, rs2, rs1, 0, rd, 0x33);
    public static uint Mulh(int rd, int rs1, int rs2) => R(1, rs2, rs1, 1, rd, 0x33);
    public static uint Mulhsu(int rd, int rs1, int rs2) => R(1, rs2, rs1, 2, rd, 0x33);
    public static uint Mulhu(int rd, int rs1, int rs2) => R(1, rs2, rs1, 3, rd, 0x33);
    public static uint Div(int rd, int rs1, int rs2) => R(1, rs2, rs1, 4, rd, 0x33);
    public static uint Divu(int rd, int rs1, int rs2) => R(1, rs2, rs1, 5, rd, 0x33);
    public static uint Rem(int rd, int rs1, int rs2) => R(1, rs2, rs1, 6, rd, 0x33);
    public static uint Remu(int rd, int rs1, int rs2) => R(1, rs2, rs1, 7, rd, 0x33);
    public static uint Mulw(int rd, int rs1, int rs2) => R(1, rs2, rs1, 0, rd, 0x3b);
    public static uint Divw(int rd, int rs1, int rs2) => R(1, rs2, rs1, 4, rd, 0x3b);
    public static uint Divuw(int rd, int rs1, int rs2) => R(1, rs2, rs1, 5, rd, 0x3b);
    public static uint Remw(int rd, int rs1, int rs2) => R(1, rs2, rs1, 6, rd, 0x3b);
    public static uint Remuw(int rd, int rs1, int rs2) => R(1, rs2, rs1, 7, rd, 0x3b);

    public static uint Lw(int rd, int rs1, int imm) => I(imm, rs1, 2, rd, 0x03);
    public static uint Ld(int rd, int rs1, int imm) => RiscvEncoder.Ld(rd, rs1, imm);
    public static uint Sw(int rs2, int rs1, int imm) => S(imm, rs2, rs1, 2, 0x23);
    public static uint Sd(int rs2, int rs1, int imm) => S(imm, rs2, rs1, 3, 0x23);
    public static uint Sh(int rs2, int rs1, int imm) => S(imm, rs2, rs1, 1, 0x23);
    /// <summary>An AMO: funct5 is 0 add, 1 swap, 4 xor, 8 or, 0xc and, 0x10 min, ...; a word when <paramref name="word"/>.</summary>
    public static uint Amo(uint funct5, int rd, int rs2, int rs1, bool word) => R(funct5 << 2, rs2, rs1, word ? 2u : 3u, rd, 0x2f);
    public static uint LrD(int rd, int rs1) => R(0b0001000, 0, rs1, 3, rd, 0x2f);
    public static uint ScD(int rd, int rs2, int rs1) => R(0b0001100, rs2, rs1, 3, rd, 0x2f);

    public static uint Csrrw(int rd, ushort csr, int rs1) => I(csr, rs1, 1, rd, 0x73);
    public static uint Csrrs(int rd, ushort csr, int rs1) => I(csr, rs1, 2, rd, 0x73);
    public static uint Csrrc(int rd, ushort csr, int rs1) => I(csr, rs1, 3, rd, 0x73);
    public static uint Csrr(int rd, ushort csr) => RiscvEncoder.Csrr(rd, csr);

    public const uint Ecall = 0x00000073;
    public const uint Ebreak = 0x00100073;
    public const uint Mret = 0x30200073;
    public const uint Wfi = 0x10500073;
    public const uint Nop = 0x00000013;

    public static uint JumpSelf => Jal(0, 0);

    /// <summary>Sign-extends the low 32 bits, as RV64 W operations do.</summary>
    public static ulong Sext32(ulong v) => (ulong)(long)(int)(uint)v;
}
