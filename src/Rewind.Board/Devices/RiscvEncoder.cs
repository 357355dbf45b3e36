namespace Rewind.Board.Devices;

/// <summary>Encodes the few base-ISA instructions the boot ROM needs (RISC-V unprivileged spec, chapter 2).</summary>
public static class RiscvEncoder
{
    public const int T0 = 5, A0 = 10, A1 = 11, A2 = 12;
    public const uint CsrMhartid = 0xf14;

    // U-type: imm[31:12] | rd | opcode
    public static uint Auipc(int rd, int upper20) => ((uint)upper20 << 12) | ((uint)rd << 7) | 0x17;

    // I-type: imm[11:0] | rs1 | funct3 | rd | opcode
    public static uint IType(int imm12, int rs1, int funct3, int rd, uint opcode) =>
        (((uint)imm12 & 0xfff) << 20) | ((uint)rs1 << 15) | ((uint)funct3 << 12) | ((uint)rd << 7) | opcode;

    public static uint Addi(int rd, int rs1, int imm) => IType(imm, rs1, 0, rd, 0x13);

    /// <summary>LOAD opcode 0x03 with funct3 3 (doubleword).</summary>
    public static uint Ld(int rd, int rs1, int imm) => IType(imm, rs1, 3, rd, 0x03);

    /// <summary>JALR opcode 0x67; "jr rs" is jalr x0, 0(rs).</summary>
    public static uint Jalr(int rd, int rs1, int imm) => IType(imm, rs1, 0, rd, 0x67);

    /// <summary>"csrr rd, csr" is csrrs rd, csr, x0 (SYSTEM opcode 0x73, funct3 2); the CSR number sits in the immediate.</summary>
    public static uint Csrr(int rd, uint csr) => IType((int)csr, 0, 2, rd, 0x73);
}
