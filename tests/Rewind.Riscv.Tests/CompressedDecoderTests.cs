using Rewind.Riscv.Decode;

namespace Rewind.Riscv.Tests;

/// <summary>
/// Every RV64C form (no floating point) is encoded by hand from the bit layouts of the unprivileged
/// specification's C chapter and must decode to the operation, registers and immediate of its expansion.
/// </summary>
public class CompressedDecoderTests
{
    // Bit helpers: take bit(s) of an immediate and place them at a position.
    private static uint Bit(long v, int from, int to) => (uint)((v >> from) & 1) << to;
    private static uint Bits(long v, int hi, int lo, int to) => (uint)((v >> lo) & ((1L << (hi - lo + 1)) - 1)) << to;
    private static uint Rp(int reg)
    {
        Assert.InRange(reg, 8, 15);
        return (uint)(reg - 8);
    }

    // Quadrant 0
    private static ushort CAddi4spn(int rd, int nzuimm) => (ushort)(
        (0u << 13) | Bits(nzuimm, 5, 4, 11) | Bits(nzuimm, 9, 6, 7) | Bit(nzuimm, 2, 6) | Bit(nzuimm, 3, 5) | (Rp(rd) << 2) | 0);
    private static ushort CLw(int rd, int rs1, int uimm) => (ushort)(
        (2u << 13) | Bits(uimm, 5, 3, 10) | (Rp(rs1) << 7) | Bit(uimm, 2, 6) | Bit(uimm, 6, 5) | (Rp(rd) << 2));
    private static ushort CLd(int rd, int rs1, int uimm) => (ushort)(
        (3u << 13) | Bits(uimm, 5, 3, 10) | (Rp(rs1) << 7) | Bits(uimm, 7, 6, 5) | (Rp(rd) << 2));
    private static ushort CSw(int rs2, int rs1, int uimm) => (ushort)(
        (6u << 13) | Bits(uimm, 5, 3, 10) | (Rp(rs1) << 7) | Bit(uimm, 2, 6) | Bit(uimm, 6, 5) | (Rp(rs2) << 2));
    private static ushort CSd(int rs2, int rs1, int uimm) => (ushort)(
        (7u << 13) | Bits(uimm, 5, 3, 10) | (Rp(rs1) << 7) | Bits(uimm, 7, 6, 5) | (Rp(rs2) << 2));

    // Quadrant 1
    private static ushort CI(uint funct3, int rd, long imm, uint op) => (ushort)(
        (funct3 << 13) | Bit(imm, 5, 12) | ((uint)rd << 7) | Bits(imm, 4, 0, 2) | op);
    private static ushort CAddi16sp(long nzimm) => (ushort)(
        (3u << 13) | Bit(nzimm, 9, 12) | (2u << 7) | Bit(nzimm, 4, 6) | Bit(nzimm, 6, 5) | Bits(nzimm, 8, 7, 3) | Bit(nzimm, 5, 2) | 1);
    private static ushort CLui(int rd, long nzimm) => (ushort)(
        (3u << 13) | Bit(nzimm, 17, 12) | ((uint)rd << 7) | Bits(nzimm, 16, 12, 2) | 1);
    private static ushort CShiftOrAndi(uint funct2, int rd, long imm) => (ushort)(
        (4u << 13) | Bit(imm, 5, 12) | (funct2 << 10) | (Rp(rd) << 7) | Bits(imm, 4, 0, 2) | 1);
    private static ushort CArith(bool word, uint funct2, int rd, int rs2) => (ushort)(
        (4u << 13) | ((word ? 1u : 0u) << 12) | (3u << 10) | (Rp(rd) << 7) | (funct2 << 5) | (Rp(rs2) << 2) | 1);
    private static ushort CJ(long imm) => (ushort)(
        (5u << 13) | Bit(imm, 11, 12) | Bit(imm, 4, 11) | Bits(imm, 9, 8, 9) | Bit(imm, 10, 8) | Bit(imm, 6, 7)
        | Bit(imm, 7, 6) | Bits(imm, 3, 1, 3) | Bit(imm, 5, 2) | 1);
    private static ushort CBranch(bool bnez, int rs1, long imm) => (ushort)(
        ((bnez ? 7u : 6u) << 13) | Bit(imm, 8, 12) | Bits(imm, 4, 3, 10) | (Rp(rs1) << 7)
        | Bits(imm, 7, 6, 5) | Bits(imm, 2, 1, 3) | Bit(imm, 5, 2) | 1);

    // Quadrant 2
    private static ushort CLwsp(int rd, int uimm) => (ushort)(
        (2u << 13) | Bit(uimm, 5, 12) | ((uint)rd << 7) | Bits(uimm, 4, 2, 4) | Bits(uimm, 7, 6, 2) | 2);
    private static ushort CLdsp(int rd, int uimm) => (ushort)(
        (3u << 13) | Bit(uimm, 5, 12) | ((uint)rd << 7) | Bits(uimm, 4, 3, 5) | Bits(uimm, 8, 6, 2) | 2);
    private static ushort CR(bool bit12, int rd, int rs2) => (ushort)(
        (4u << 13) | ((bit12 ? 1u : 0u) << 12) | ((uint)rd << 7) | ((uint)rs2 << 2) | 2);
    private static ushort CSwsp(int rs2, int uimm) => (ushort)(
        (6u << 13) | Bits(uimm, 5, 2, 9) | Bits(uimm, 7, 6, 7) | ((uint)rs2 << 2) | 2);
    private static ushort CSdsp(int rs2, int uimm) => (ushort)(
        (7u << 13) | Bits(uimm, 5, 3, 10) | Bits(uimm, 8, 6, 7) | ((uint)rs2 << 2) | 2);

    private static void AssertDecodes(ushort c, Op op, int rd, int rs1, int rs2, long imm)
    {
        var d = Decoder.Decode(c);
        string what = $"0x{c:x4}";
        Assert.True(Decoder.IsCompressed(c), what);
        Assert.Equal(2, d.Length);
        Assert.True(op == d.Op, $"{what}: op {d.Op}, expected {op}");
        Assert.True((rd == 0 ? DecodedInsn.ZeroSink : rd) == d.Rd, $"{what} ({op}): rd {d.Rd}, expected {rd}");
        Assert.True(rs1 == d.Rs1, $"{what} ({op}): rs1 {d.Rs1}, expected {rs1}");
        Assert.True(rs2 == d.Rs2, $"{what} ({op}): rs2 {d.Rs2}, expected {rs2}");
        Assert.True(imm == d.Imm, $"{what} ({op}): imm {d.Imm}, expected {imm}");
    }

    [Theory]
    [InlineData(8, 4)]
    [InlineData(15, 1020)]
    [InlineData(9, 0x3fc)]
    [InlineData(10, 0x208)]
    [InlineData(11, 0x1f0)]
    public void C_addi4spn_expands_to_addi_rd_sp_nzuimm(int rd, int nzuimm) =>
        AssertDecodes(CAddi4spn(rd, nzuimm), Op.Addi, rd, 2, 0, nzuimm);

    [Theory]
    [InlineData(8, 9, 0)]
    [InlineData(15, 8, 124)]
    [InlineData(10, 11, 64)]
    [InlineData(12, 13, 4)]
    public void C_lw_expands_to_lw(int rd, int rs1, int uimm) => AssertDecodes(CLw(rd, rs1, uimm), Op.Lw, rd, rs1, 0, uimm);

    [Theory]
    [InlineData(8, 9, 0)]
    [InlineData(15, 8, 248)]
    [InlineData(10, 11, 128)]
    [InlineData(12, 13, 8)]
    public void C_ld_expands_to_ld(int rd, int rs1, int uimm) => AssertDecodes(CLd(rd, rs1, uimm), Op.Ld, rd, rs1, 0, uimm);

    [Theory]
    [InlineData(8, 9, 0)]
    [InlineData(15, 8, 124)]
    [InlineData(10, 11, 68)]
    public void C_sw_expands_to_sw(int rs2, int rs1, int uimm) => AssertDecodes(CSw(rs2, rs1, uimm), Op.Sw, 0, rs1, rs2, uimm);

    [Theory]
    [InlineData(8, 9, 0)]
    [InlineData(15, 8, 248)]
    [InlineData(10, 11, 136)]
    public void C_sd_expands_to_sd(int rs2, int rs1, int uimm) => AssertDecodes(CSd(rs2, rs1, uimm), Op.Sd, 0, rs1, rs2, uimm);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(31, 31)]
    [InlineData(10, -1)]
    [InlineData(5, -32)]
    [InlineData(0, 0)] // c.nop
    public void C_addi_and_c_nop_expand_to_addi_rd_rd_imm(int rd, int imm) =>
        AssertDecodes(CI(0, rd, imm, 1), Op.Addi, rd, rd, 0, imm);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(10, 31)]
    [InlineData(31, -32)]
    [InlineData(5, -1)]
    public void C_addiw_expands_to_addiw_rd_rd_imm(int rd, int imm) =>
        AssertDecodes(CI(1, rd, imm, 1), Op.Addiw, rd, rd, 0, imm);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(10, 31)]
    [InlineData(31, -32)]
    [InlineData(2, -7)]
    public void C_li_expands_to_addi_rd_x0_imm(int rd, int imm) => AssertDecodes(CI(2, rd, imm, 1), Op.Addi, rd, 0, 0, imm);

    [Theory]
    [InlineData(16)]
    [InlineData(-16)]
    [InlineData(496)]
    [InlineData(-512)]
    [InlineData(0x150)]
    [InlineData(-0x60)]
    public void C_addi16sp_expands_to_addi_sp_sp_nzimm(int nzimm) => AssertDecodes(CAddi16sp(nzimm), Op.Addi, 2, 2, 0, nzimm);

    [Theory]
    [InlineData(1, 0x1000)]
    [InlineData(10, 0x1f000)]
    [InlineData(31, -0x1000)]
    [InlineData(3, -0x20000)]
    [InlineData(5, 0xa000)]
    public void C_lui_expands_to_lui_rd_nzimm(int rd, int nzimm) => AssertDecodes(CLui(rd, nzimm), Op.Lui, rd, 0, 0, nzimm);

    [Theory]
    [InlineData(8, 1)]
    [InlineData(15, 63)]
    [InlineData(9, 32)]
    public void C_srli_expands_to_srli(int rd, int shamt) => AssertDecodes(CShiftOrAndi(0, rd, shamt), Op.Srli, rd, rd, 0, shamt);

    [Theory]
    [InlineData(8, 1)]
    [InlineData(15, 63)]
    [InlineData(12, 31)]
    public void C_srai_expands_to_srai(int rd, int shamt) => AssertDecodes(CShiftOrAndi(1, rd, shamt), Op.Srai, rd, rd, 0, shamt);

    [Theory]
    [InlineData(8, 0)]
    [InlineData(15, 31)]
    [InlineData(9, -32)]
    [InlineData(10, -1)]
    public void C_andi_expands_to_andi_with_sign_extended_imm(int rd, int imm) =>
        AssertDecodes(CShiftOrAndi(2, rd, imm), Op.Andi, rd, rd, 0, imm);

    [Theory]
    [InlineData(false, 0u, Op.Sub)]
    [InlineData(false, 1u, Op.Xor)]
    [InlineData(false, 2u, Op.Or)]
    [InlineData(false, 3u, Op.And)]
    [InlineData(true, 0u, Op.Subw)]
    [InlineData(true, 1u, Op.Addw)]
    public void C_register_arithmetic_expands_to_rd_rd_rs2(bool word, uint funct2, Op op)
    {
        AssertDecodes(CArith(word, funct2, 8, 15), op, 8, 8, 15);
        AssertDecodes(CArith(word, funct2, 13, 10), op, 13, 13, 10);
    }

    private static void AssertDecodes(ushort c, Op op, int rd, int rs1, int rs2) => AssertDecodes(c, op, rd, rs1, rs2, 0);

    [Theory]
    [InlineData(2)]
    [InlineData(-2)]
    [InlineData(2046)]
    [InlineData(-2048)]
    [InlineData(0x2aa)]
    [InlineData(0x554)]
    [InlineData(-0x556)]
    public void C_j_expands_to_jal_x0_offset(int imm) => AssertDecodes(CJ(imm), Op.Jal, 0, 0, 0, imm);

    [Theory]
    [InlineData(8, 2)]
    [InlineData(15, -2)]
    [InlineData(9, 254)]
    [InlineData(10, -256)]
    [InlineData(11, 0xaa)]
    [InlineData(12, -0xac)]
    public void C_beqz_and_c_bnez_expand_to_branches_against_x0(int rs1, int imm)
    {
        AssertDecodes(CBranch(false, rs1, imm), Op.Beq, 0, rs1, 0, imm);
        AssertDecodes(CBranch(true, rs1, imm), Op.Bne, 0, rs1, 0, imm);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(31, 63)]
    [InlineData(10, 32)]
    public void C_slli_expands_to_slli(int rd, int shamt) => AssertDecodes(CI(0, rd, shamt, 2), Op.Slli, rd, rd, 0, shamt);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(31, 252)]
    [InlineData(10, 0x54)]
    [InlineData(5, 0xa8)]
    public void C_lwsp_expands_to_lw_rd_sp(int rd, int uimm) => AssertDecodes(CLwsp(rd, uimm), Op.Lw, rd, 2, 0, uimm);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(31, 504)]
    [InlineData(10, 0x148)]
    [InlineData(5, 0xb0)]
    public void C_ldsp_expands_to_ld_rd_sp(int rd, int uimm) => AssertDecodes(CLdsp(rd, uimm), Op.Ld, rd, 2, 0, uimm);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(31, 252)]
    [InlineData(10, 0x54)]
    [InlineData(0, 0xa8)]
    public void C_swsp_expands_to_sw_rs2_sp(int rs2, int uimm) => AssertDecodes(CSwsp(rs2, uimm), Op.Sw, 0, 2, rs2, uimm);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(31, 504)]
    [InlineData(10, 0x148)]
    [InlineData(8, 0xb0)]
    public void C_sdsp_expands_to_sd_rs2_sp(int rs2, int uimm) => AssertDecodes(CSdsp(rs2, uimm), Op.Sd, 0, 2, rs2, uimm);

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    public void C_jr_expands_to_jalr_x0_rs1(int rs1) => AssertDecodes(CR(false, rs1, 0), Op.Jalr, 0, rs1, 0, 0);

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    public void C_jalr_expands_to_jalr_ra_rs1(int rs1) => AssertDecodes(CR(true, rs1, 0), Op.Jalr, 1, rs1, 0, 0);

    [Theory]
    [InlineData(1, 2)]
    [InlineData(31, 5)]
    [InlineData(10, 31)]
    public void C_mv_expands_to_add_rd_x0_rs2(int rd, int rs2) => AssertDecodes(CR(false, rd, rs2), Op.Add, rd, 0, rs2, 0);

    [Theory]
    [InlineData(1, 2)]
    [InlineData(31, 5)]
    [InlineData(10, 31)]
    public void C_add_expands_to_add_rd_rd_rs2(int rd, int rs2) => AssertDecodes(CR(true, rd, rs2), Op.Add, rd, rd, rs2, 0);

    [Fact]
    public void C_ebreak_decodes_to_ebreak()
    {
        Assert.Equal((ushort)0x9002, CR(true, 0, 0));
        Assert.Equal(Op.Ebreak, Decoder.Decode(0x9002).Op);
    }

    [Fact]
    public void Hand_encoders_agree_with_known_assembler_output()
    {
        // Encodings as GNU as 2.40 prints them for rv64c.
        Assert.Equal((ushort)0x0040, CAddi4spn(8, 4));   // c.addi4spn s0, sp, 4
        Assert.Equal((ushort)0x4108, CLw(10, 10, 0));    // c.lw a0, 0(a0)
        Assert.Equal((ushort)0x0505, CI(0, 10, 1, 1));   // c.addi a0, 1
        Assert.Equal((ushort)0x4501, CI(2, 10, 0, 1));   // c.li a0, 0
        Assert.Equal((ushort)0x717d, CAddi16sp(-16));    // c.addi16sp sp, -16
        Assert.Equal((ushort)0xa001, CJ(0));             // c.j .
        Assert.Equal((ushort)0x8082, CR(false, 1, 0));   // c.jr ra (ret)
        Assert.Equal((ushort)0x852e, CR(false, 10, 11)); // c.mv a0, a1
        Assert.Equal((ushort)0xe406, CSdsp(1, 8));       // c.sdsp ra, 8(sp)
        Assert.Equal((ushort)0x60a2, CLdsp(1, 8));       // c.ldsp ra, 8(sp)
    }

    public static TheoryData<ushort, string> IllegalEncodings => new()
    {
        { 0x0000, "all zeros (c.addi4spn with nzuimm 0)" },
        { CAddi4spn(9, 0), "c.addi4spn with nzuimm 0 and rd != x8" },
        { CI(1, 0, 5, 1), "c.addiw with rd = x0" },
        { CAddi16sp(0), "c.addi16sp with nzimm 0" },
        { CLui(5, 0), "c.lui with nzimm 0" },
        { CLwsp(0, 8), "c.lwsp with rd = x0" },
        { CLdsp(0, 8), "c.ldsp with rd = x0" },
        { CR(false, 0, 0), "c.jr with rs1 = x0" },
        { CArith(true, 2, 8, 9), "reserved funct2 10 in the word arithmetic group" },
        { CArith(true, 3, 8, 9), "reserved funct2 11 in the word arithmetic group" },
    };

    [Theory]
    [MemberData(nameof(IllegalEncodings))]
    public void Reserved_and_illegal_compressed_encodings_decode_to_Illegal(ushort raw, string what)
    {
        var d = Decoder.Decode(raw);
        Assert.True(d.Op == Op.Illegal, $"{what}: 0x{raw:x4} decoded to {d.Op}");
        Assert.Equal(2, d.Length);
    }

    [Theory]
    [InlineData((ushort)0x2004, "c.fld fs1, 0(s0)")]
    [InlineData((ushort)0xa006, "c.fsdsp ft1, 0(sp)")]
    [InlineData((ushort)0x2082, "c.fldsp ft1, 0(sp)")]
    [InlineData((ushort)0xa004, "c.fsd fs1, 0(s0)")]
    public void Compressed_double_loads_and_stores_never_decode_to_integer_operations(ushort raw, string what)
    {
        // The D extension's own load or store operation.
        var d = Decoder.Decode(raw);
        Assert.True(d.Op == Op.Illegal || d.Op > Op.FirstFloat, $"{what}: {d.Op}");
        Assert.Equal(2, d.Length);
    }

    [Fact]
    public void The_bits_above_a_compressed_instruction_do_not_change_its_decode()
    {
        var d = Decoder.Decode(0xdead_0505);
        Assert.Equal(Op.Addi, d.Op);
        Assert.Equal(Decoder.Decode(0x0505), d);
    }

    [Theory]
    [InlineData(0x00000013u, Op.Addi)]     // nop
    [InlineData(0x02b50533u, Op.Mul)]      // mul a0, a0, a1
    [InlineData(0x100525afu, Op.LrW)]      // lr.w a1, (a0)
    [InlineData(0x30200073u, Op.Mret)]
    [InlineData(0x10500073u, Op.Wfi)]
    [InlineData(0x0000100fu, Op.FenceI)]
    [InlineData(0xffffffffu, Op.Illegal)]
    [InlineData(0x0000007fu, Op.Illegal)]
    public void Some_32_bit_encodings_decode_as_expected(uint raw, Op op)
    {
        var d = Decoder.Decode(raw);
        Assert.Equal(op, d.Op);
        Assert.Equal(4, d.Length);
    }
}
