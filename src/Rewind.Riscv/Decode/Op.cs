namespace Rewind.Riscv.Decode;

/// <summary>
/// Operations after decoding. Compressed instructions decode to the same operations as their 32-bit
/// expansions, so the executor has one case per behaviour.
/// </summary>
public enum Op : byte
{
    Undecoded = 0,
    Illegal,
    /// <summary>A debugger breakpoint sits on this address; the real instruction is decoded on demand.</summary>
    Breakpoint,
    /// <summary>A 32-bit instruction that straddles a page boundary: fetched and decoded every time.</summary>
    CrossPage,

    // RV64I
    Lui, Auipc, Jal, Jalr,
    Beq, Bne, Blt, Bge, Bltu, Bgeu,
    Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu,
    Sb, Sh, Sw, Sd,
    Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai,
    Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And,
    Addiw, Slliw, Srliw, Sraiw,
    Addw, Subw, Sllw, Srlw, Sraw,
    Fence, FenceI, Ecall, Ebreak,

    // M
    Mul, Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu,
    Mulw, Divw, Divuw, Remw, Remuw,

    // A
    LrW, ScW, AmoSwapW, AmoAddW, AmoXorW, AmoAndW, AmoOrW, AmoMinW, AmoMaxW, AmoMinuW, AmoMaxuW,
    LrD, ScD, AmoSwapD, AmoAddD, AmoXorD, AmoAndD, AmoOrD, AmoMinD, AmoMaxD, AmoMinuD, AmoMaxuD,

    // Zicsr and privileged
    Csrrw, Csrrs, Csrrc, Csrrwi, Csrrsi, Csrrci,
    Mret, Sret, Wfi, SfenceVma,

    // F and D live above this value; the FPU executes them.
    FirstFloat = 0x80,
    Flw, Fsw, Fld, Fsd,
    // Single precision; the double block below mirrors this order (FmaddD - FmaddS apart).
    FmaddS, FmsubS, FnmsubS, FnmaddS,
    FaddS, FsubS, FmulS, FdivS, FsqrtS,
    FsgnjS, FsgnjnS, FsgnjxS, FminS, FmaxS,
    FcvtWS, FcvtWuS, FcvtLS, FcvtLuS,
    FcvtSW, FcvtSWu, FcvtSL, FcvtSLu,
    FmvXW, FmvWX, FclassS, FeqS, FltS, FleS,
    // Double precision.
    FmaddD, FmsubD, FnmsubD, FnmaddD,
    FaddD, FsubD, FmulD, FdivD, FsqrtD,
    FsgnjD, FsgnjnD, FsgnjxD, FminD, FmaxD,
    FcvtWD, FcvtWuD, FcvtLD, FcvtLuD,
    FcvtDW, FcvtDWu, FcvtDL, FcvtDLu,
    FmvXD, FmvDX, FclassD, FeqD, FltD, FleD,
    FcvtSD, FcvtDS,
}
