namespace Rewind.Arm64.Decode;

/// <summary>
/// What the interpreter's fast path does for one decoded instruction (see <see cref="A64Op"/>). Only
/// valid encodings of the common integer, branch and load/store forms get a kind of their own; every
/// other instruction (and every reserved encoding) is <see cref="Generic"/>, executed by the full
/// decoder from its bits, so the fast path never has to raise Undefined itself.
/// </summary>
public enum A64Kind : byte
{
    /// <summary>A slot not decoded yet (default of the code cache's arrays).</summary>
    Empty = 0,
    Generic,
    Nop,
    // Data processing, immediate.
    Adr,           // Rd = pc + Imm
    Adrp,          // Rd = (pc & ~0xfff) + Imm
    AddImm,        // Rd = (Rn + Imm) & Mask; Rd and Rn are general registers (not SP)
    AddImmSp,      // as AddImm, with Rn and/or Rd the stack pointer (Aux bit 0: Rn is SP, bit 1: Rd is SP)
    AddsImm,       // Rd = Rn + Imm (Aux 1: Rn - Imm) with NZCV; Rd 31 discards
    AndImm,        // Rd = Rn & Imm (Imm trimmed to the size, so no mask needed)
    OrrImm,        // Rd = (Rn | Imm) & Mask
    EorImm,        // Rd = (Rn ^ Imm) & Mask
    AndsImm,       // TST/ANDS immediate
    MovImm,        // Rd = Imm (MOVZ, MOVN, and ORR with XZR)
    Movk,          // Rd = (Rd & Imm2) | Imm, then & Mask
    Ubfm,          // bitfield moves with masks precomputed: Imm = wmask, Imm2 = tmask, Shift = immr, Aux = imms
    Ubfm64,        // 64-bit UBFM (LSR, LSL, UBFX...): Rd = ror(Rn, Shift) & Imm, Imm = wmask & tmask
    Sbfm,
    Bfm,
    // Data processing, register.
    MovReg,        // Rd = Rm & Mask (ORR Rd, XZR, Rm)
    AndReg,        // Rd = Rn op (shift(Rm) ^ Imm2) & Mask: Imm2 is all ones for BIC, ORN, EON, BICS; Shift, ShiftType
    OrrReg,
    EorReg,
    AndsReg,
    AddReg,        // Rd = (Rn + shift(Rm)) & Mask, no flags
    SubReg,
    AddsReg,       // ADDS/SUBS/CMP/CMN shifted register: Aux bit 0 = subtract
    // The commonest shifted-register forms, 64-bit with LSL or LSR and no inversion: Rd = Rn op (Rm << or >> Shift),
    // two host operations where the general kinds above rotate, mask, sign-fill, invert and trim.
    AddLsl64,
    AddLsr64,
    SubLsl64,
    SubLsr64,
    AndLsl64,
    AndLsr64,
    OrrLsl64,
    OrrLsr64,
    EorLsl64,
    EorLsr64,
    AddExt,        // ADD/SUB extended register, no flags, Rn/Rd may be SP: Aux bit 0 = subtract, Shift, ShiftType = option
    Madd,          // Rd = (Ra + Rn * Rm) & Mask
    Msub,          // Rd = (Ra - Rn * Rm) & Mask
    Umulh,
    Smulh,
    Udiv,
    Csel,          // Aux = condition, ShiftType = variant (0 csel, 1 csinc, 2 csinv, 3 csneg)
    Ccmp,          // CCMP/CCMN: Aux = condition, Imm2 = NZCV if false; Aux2 bit 0 = immediate Rm, bit 1 = subtract
    ShiftVar,      // LSLV/LSRV/ASRV/RORV: ShiftType = type
    // Branches (Imm = offset from pc).
    B,
    Bl,
    BCond,         // Aux = condition
    Cbz,           // Mask selects the size
    Cbnz,
    Tbz,           // Shift = bit
    Tbnz,
    Br,            // BR and RET: pc = Rn
    Blr,
    // Loads and stores of general registers. Size = bytes; Aux: 0 zero-extend, 1 sign-extend to 64, 2 sign-extend to 32.
    LdrImm,        // [Rn|SP + Imm]
    StrImm,
    LdrReg,        // [Rn|SP + extend(Rm, ShiftType) << Shift]
    StrReg,
    LdrPre,        // [Rn|SP + Imm], written back
    StrPre,
    LdrPost,       // [Rn|SP], then Rn += Imm
    StrPost,
    Ldr64Imm,      // the commonest forms with their size fixed (8 bytes, no extension): as LdrImm
    Str64Imm,
    Ldr64Reg,      // [Rn|SP + (Rm << Shift)]: LSL or UXTX index
    Str64Reg,
    Ldp,           // pairs: Rt = Rd, Rt2 = Rm; Aux2: 0 offset, 1 post-index, 2 pre-index; Aux 1 = LDPSW
    Stp,
    // Not a decoding: the entry of a compiled region (Rewind.Arm64.Jit) placed over its first instruction's slot.
    // Imm = the block's id in the machine's ArmBlockCache, Insn = the instruction's bits (run alone by the full
    // decoder when the region cannot run: breakpoints set, or the slice too short for its first block).
    Jit,
}

/// <summary>
/// One decoded instruction in the code cache: a pure function of the instruction's bits (never of its
/// address, so a page's slots serve every virtual address it is mapped at). Fields a kind does not use are zero.
/// </summary>
/// <remarks>
/// 32 bytes, and it should stay so: the code cache holds one per instruction of every code page, so a
/// 4 KiB page of kernel code takes 32 KiB of slots (48 before the width and the sign fill became bytes),
/// and a Linux boot runs through megabytes of them; the interpreter's first load of a slot is where a
/// cache miss shows.
/// </remarks>
public struct A64Op
{
    public A64Kind Kind;
    public byte Rd, Rn, Rm;
    public byte Ra;
    public byte Shift;
    public byte ShiftType;
    public byte Aux;
    public byte Aux2;
    public byte Size;
    /// <summary>0 for 64-bit operations, 32 for 32-bit ones: <see cref="Mask"/> in one byte.</summary>
    public byte MaskShift;
    /// <summary>Shifted-register operands: 0xff for an arithmetic shift right, whose vacated bits take the sign.</summary>
    public byte SignFill;
    public uint Insn;
    public ulong Imm;
    public ulong Imm2;

    /// <summary>ulong.MaxValue for 64-bit operations, 0xffffffff for 32-bit ones.</summary>
    public ulong Mask
    {
        readonly get => ulong.MaxValue >> MaskShift;
        set => MaskShift = value == ulong.MaxValue ? (byte)0 : (byte)32;
    }
}
