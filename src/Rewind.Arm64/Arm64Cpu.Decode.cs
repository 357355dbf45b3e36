using Rewind.Arm64.Decode;

namespace Rewind.Arm64;

/// <summary>
/// Decoding for the code cache: the common integer, branch and load/store instructions become an
/// <see cref="A64Op"/> with their fields extracted and their immediates computed, once per instruction
/// in a page rather than once per execution. The validity checks mirror the full decoder's (Execute.cs
/// and the group files) exactly: whatever it would reject, or any form not listed here, is
/// <see cref="A64Kind.Generic"/> and runs through the full decoder, so both paths behave the same.
/// </summary>
public sealed partial class Arm64Cpu
{
    internal static A64Op Decode(uint insn)
    {
        var op = new A64Op { Kind = A64Kind.Generic, Insn = insn };
        switch ((insn >> 25) & 0xf)
        {
            case 0b1000:
            case 0b1001:
                DecodeDataProcessingImmediate(insn, ref op);
                break;
            case 0b1010:
            case 0b1011:
                DecodeBranch(insn, ref op);
                break;
            case 0b0100:
            case 0b0110:
            case 0b1100:
            case 0b1110:
                DecodeLoadStore(insn, ref op);
                break;
            case 0b0101:
            case 0b1101:
                DecodeDataProcessingRegister(insn, ref op);
                break;
        }
        if (WritesRd(op.Kind))
        {
            // The interpreter writes Rd without a test: the zero register's writes go to the sink, x[32].
            // Movk and Bfm also read Rd, which they find in Ra (31 reads as zero there).
            op.Ra = op.Kind is A64Kind.Movk or A64Kind.Bfm ? op.Rd : op.Ra;
            if (op.Rd == 31) op.Rd = ZeroSink;
            if (op.Kind == A64Kind.Ldp && op.Rm == 31) op.Rm = ZeroSink;
        }
        return op;
    }

    /// <summary>The fast-path kind an instruction decodes to (<see cref="A64Kind.Generic"/> for the full decoder's): for tests and tools.</summary>
    public static A64Kind DecodedKind(uint insn) => Decode(insn).Kind;

    /// <summary>Where writes to the zero register go (x[32]); reads of register 31 find x[31], always zero.</summary>
    internal const byte ZeroSink = 32;

    /// <summary>Kinds whose Rd is a destination in which 31 means the zero register (not SP).</summary>
    private static bool WritesRd(A64Kind kind) => kind switch
    {
        A64Kind.Adr or A64Kind.Adrp or A64Kind.AddsImm or A64Kind.AndsImm or A64Kind.MovImm or A64Kind.Movk
            or A64Kind.Ubfm or A64Kind.Sbfm or A64Kind.Bfm or A64Kind.MovReg or A64Kind.AndReg or A64Kind.OrrReg or A64Kind.EorReg or A64Kind.AndsReg or A64Kind.AddReg
            or A64Kind.SubReg or A64Kind.AddsReg or A64Kind.AddLsl64 or A64Kind.AddLsr64 or A64Kind.SubLsl64 or A64Kind.SubLsr64
            or A64Kind.AndLsl64 or A64Kind.AndLsr64 or A64Kind.OrrLsl64 or A64Kind.OrrLsr64 or A64Kind.EorLsl64 or A64Kind.EorLsr64
            or A64Kind.Ubfm64 or A64Kind.Madd or A64Kind.Msub or A64Kind.Umulh or A64Kind.Smulh
            or A64Kind.Udiv or A64Kind.Csel or A64Kind.ShiftVar or A64Kind.LdrImm or A64Kind.LdrReg or A64Kind.LdrPre
            or A64Kind.LdrPost or A64Kind.Ldr64Imm or A64Kind.Ldr64Reg or A64Kind.Ldp => true,
        _ => false,
    };

    private static void Generic(ref A64Op op)
    {
        uint insn = op.Insn;
        op = new A64Op { Kind = A64Kind.Generic, Insn = insn };
    }

    private static void DecodeDataProcessingImmediate(uint insn, ref A64Op op)
    {
        int rd = (int)(insn & 31), rn = (int)((insn >> 5) & 31);
        bool sf = (insn >> 31) != 0;
        op.Rd = (byte)rd;
        op.Rn = (byte)rn;
        op.Mask = sf ? ulong.MaxValue : uint.MaxValue;
        switch ((insn >> 23) & 7)
        {
            case 0:
            case 1:
                {
                    ulong imm = (ulong)SignExtend(((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3), 21);
                    op.Kind = sf ? A64Kind.Adrp : A64Kind.Adr;
                    op.Imm = sf ? imm << 12 : imm;
                    return;
                }
            case 2:
                {
                    ulong imm = (insn >> 10) & 0xfff;
                    if ((insn & (1u << 22)) != 0) imm <<= 12;
                    bool sub = (insn & (1u << 30)) != 0, setFlags = (insn & (1u << 29)) != 0;
                    if (setFlags)
                    {
                        if (rn == 31) break; // CMP SP, #imm: rare, the full decoder reads SP
                        op.Kind = A64Kind.AddsImm;
                        op.Imm = imm;
                        op.Aux = (byte)(sub ? 1 : 0);
                        return;
                    }
                    op.Imm = sub ? 0 - imm : imm;
                    if (rn != 31 && rd != 31) op.Kind = A64Kind.AddImm;
                    else
                    {
                        op.Kind = A64Kind.AddImmSp;
                        op.Aux = (byte)((rn == 31 ? 1 : 0) | (rd == 31 ? 2 : 0));
                    }
                    return;
                }
            case 4:
                {
                    uint n = (insn >> 22) & 1;
                    if (!sf && n != 0) break;
                    if (!TryBitMasks(n, (insn >> 10) & 63, (insn >> 16) & 63, true, sf ? 64 : 32, out ulong imm, out _)) break;
                    op.Imm = imm;
                    switch ((insn >> 29) & 3)
                    {
                        case 0:
                            if (rd == 31) goto generic; // AND into SP
                            op.Kind = A64Kind.AndImm;
                            return;
                        case 1:
                            if (rd == 31) goto generic; // ORR into SP
                            op.Kind = rn == 31 ? A64Kind.MovImm : A64Kind.OrrImm;
                            return;
                        case 2:
                            if (rd == 31) goto generic;
                            op.Kind = A64Kind.EorImm;
                            return;
                        default:
                            op.Kind = A64Kind.AndsImm;
                            return;
                    }
                }
            case 5:
                {
                    uint opc = (insn >> 29) & 3, hw = (insn >> 21) & 3;
                    if (opc == 1 || (!sf && hw >= 2)) break;
                    int pos = (int)hw * 16;
                    ulong imm = (ulong)((insn >> 5) & 0xffff) << pos;
                    if (opc == 3)
                    {
                        op.Kind = A64Kind.Movk;
                        op.Imm = imm;
                        op.Imm2 = ~(0xffffUL << pos);
                    }
                    else
                    {
                        op.Kind = A64Kind.MovImm;
                        op.Imm = Trim(opc == 0 ? ~imm : imm, sf);
                    }
                    return;
                }
            case 6:
                {
                    uint opc = (insn >> 29) & 3, n = (insn >> 22) & 1;
                    uint immr = (insn >> 16) & 63, imms = (insn >> 10) & 63;
                    if (opc == 3 || n != (sf ? 1u : 0) || (!sf && (immr >= 32 || imms >= 32))) break;
                    if (!TryBitMasks(n, imms, immr, false, sf ? 64 : 32, out ulong wmask, out ulong tmask)) break;
                    op.Kind = opc switch { 0 => A64Kind.Sbfm, 1 => A64Kind.Bfm, _ => A64Kind.Ubfm };
                    op.Imm = wmask;
                    op.Imm2 = tmask;
                    op.Shift = (byte)immr;
                    op.Aux = (byte)imms;
                    if (op.Kind == A64Kind.Ubfm && sf)
                    {
                        op.Kind = A64Kind.Ubfm64;
                        op.Imm = wmask & tmask;
                        op.Imm2 = 0;
                    }
                    return;
                }
        }
    generic:
        Generic(ref op);
    }

    /// <summary>
    /// A shifted-register operand as rotate, mask and sign fill, so the interpreter computes any of LSL, LSR,
    /// ASR and ROR the same way, without a branch: (ror(Rm, Shift) &amp; Imm) | (sign(Rm) &amp; ~Imm &amp; Mask), the sign only with SignFill (ASR).
    /// </summary>
    private static void SetShiftedOperand(ref A64Op op, uint type, int amount, bool sf)
    {
        int size = sf ? 64 : 32;
        ulong ones = sf ? ulong.MaxValue : uint.MaxValue;
        switch (type)
        {
            case 0: // LSL: rotate left, keep the bits above the amount
                op.Shift = (byte)((size - amount) % size);
                op.Imm = (ones << amount) & ones;
                break;
            case 1: // LSR
                op.Shift = (byte)amount;
                op.Imm = ones >> amount;
                break;
            case 2: // ASR: as LSR, the vacated bits filled with the sign
                op.Shift = (byte)amount;
                op.Imm = ones >> amount;
                op.SignFill = 0xff;
                break;
            default: // ROR
                op.Shift = (byte)amount;
                op.Imm = ones;
                break;
        }
    }

    /// <summary>A 64-bit AND, ORR, EOR, ADD or SUB with Rm shifted by LSL (type 0) or LSR (1): its kind of its own, Shift the amount.</summary>
    private static void SetShifted64(ref A64Op op, uint type, int amount)
    {
        bool lsr = type == 1;
        op.Kind = op.Kind switch
        {
            A64Kind.AddReg => lsr ? A64Kind.AddLsr64 : A64Kind.AddLsl64,
            A64Kind.SubReg => lsr ? A64Kind.SubLsr64 : A64Kind.SubLsl64,
            A64Kind.AndReg => lsr ? A64Kind.AndLsr64 : A64Kind.AndLsl64,
            A64Kind.OrrReg => lsr ? A64Kind.OrrLsr64 : A64Kind.OrrLsl64,
            _ => lsr ? A64Kind.EorLsr64 : A64Kind.EorLsl64,
        };
        op.Shift = (byte)amount;
        op.Imm = op.Imm2 = 0;
        op.SignFill = 0;
    }

    /// <summary>
    /// An extended-register operand (UXTB..SXTX, LSL) as shifts: the value's low (64 - Ra) bits, zero- or
    /// (Aux2) sign-extended, then shifted left by Shift.
    /// </summary>
    private static void SetExtendedOperand(ref A64Op op, uint option, int shift)
    {
        int bits = 8 << (int)(option & 3);
        op.Ra = (byte)(64 - bits);
        op.Aux2 = (byte)((option & 4) != 0 ? 1 : 0);
        op.Shift = (byte)shift;
    }

    private static bool TryBitMasks(uint n, uint imms, uint immr, bool immediate, int dataSize, out ulong wmask, out ulong tmask)
    {
        try
        {
            (wmask, tmask) = DecodeBitMasks(n, imms, immr, immediate, dataSize);
            return true;
        }
        catch (ArmFault)
        {
            // A reserved encoding: the full decoder raises Undefined when it is executed.
            wmask = tmask = 0;
            return false;
        }
    }

    private static void DecodeDataProcessingRegister(uint insn, ref A64Op op)
    {
        int rd = (int)(insn & 31), rn = (int)((insn >> 5) & 31), rm = (int)((insn >> 16) & 31);
        bool sf = (insn >> 31) != 0;
        op.Rd = (byte)rd;
        op.Rn = (byte)rn;
        op.Rm = (byte)rm;
        op.Mask = sf ? ulong.MaxValue : uint.MaxValue;
        if ((insn & (1u << 28)) == 0)
        {
            int amount = (int)((insn >> 10) & 63);
            uint type = (insn >> 22) & 3;
            if ((insn & (1u << 24)) == 0)
            {
                // Logical (shifted register).
                if (!sf && amount >= 32) goto generic;
                uint opc = (insn >> 29) & 3;
                bool invert = (insn & (1u << 21)) != 0;
                if (opc == 1 && !invert && rn == 31 && amount == 0)
                {
                    op.Kind = A64Kind.MovReg;
                    return;
                }
                op.Kind = opc switch { 0 => A64Kind.AndReg, 1 => A64Kind.OrrReg, 2 => A64Kind.EorReg, _ => A64Kind.AndsReg };
                op.Imm2 = invert ? ulong.MaxValue : 0;
                SetShiftedOperand(ref op, type, amount, sf);
                if (sf && !invert && opc != 3 && type <= 1) SetShifted64(ref op, type, amount);
                return;
            }
            if ((insn & (1u << 21)) == 0)
            {
                // Add/subtract (shifted register).
                if (type == 3 || (!sf && amount >= 32)) goto generic;
                bool sub = (insn & (1u << 30)) != 0;
                SetShiftedOperand(ref op, type, amount, sf);
                if ((insn & (1u << 29)) != 0)
                {
                    op.Kind = A64Kind.AddsReg;
                    op.Aux = (byte)(sub ? 1 : 0);
                }
                else
                {
                    op.Kind = sub ? A64Kind.SubReg : A64Kind.AddReg;
                    if (sf && type <= 1) SetShifted64(ref op, type, amount);
                }
                return;
            }
            {
                // Add/subtract (extended register), without flags; Rn and Rd may be SP.
                int imm3 = (int)((insn >> 10) & 7);
                if (imm3 > 4 || ((insn >> 22) & 3) != 0 || (insn & (1u << 29)) != 0) goto generic;
                op.Kind = A64Kind.AddExt;
                op.Aux = (byte)((insn & (1u << 30)) != 0 ? 1 : 0);
                SetExtendedOperand(ref op, (insn >> 13) & 7, imm3);
                return;
            }
        }
        uint op2 = (insn >> 21) & 15;
        if ((op2 & 8) != 0)
        {
            if (((insn >> 29) & 3) != 0) goto generic;
            uint op31 = (insn >> 21) & 7;
            bool sub = (insn & (1u << 15)) != 0;
            op.Ra = (byte)((insn >> 10) & 31);
            if (op31 == 0) op.Kind = sub ? A64Kind.Msub : A64Kind.Madd;
            else if (op31 == 2 && sf && !sub) op.Kind = A64Kind.Smulh;
            else if (op31 == 6 && sf && !sub) op.Kind = A64Kind.Umulh;
            else goto generic;
            return;
        }
        switch (op2)
        {
            case 2:
                if ((insn & (1u << 29)) == 0 || (insn & (1u << 10)) != 0 || (insn & (1u << 4)) != 0) goto generic;
                op.Kind = A64Kind.Ccmp;
                op.Aux = (byte)((insn >> 12) & 15);
                op.Imm2 = (ulong)(insn & 15) << 28;
                op.Aux2 = (byte)(((insn & (1u << 11)) != 0 ? 1 : 0) | ((insn & (1u << 30)) != 0 ? 2 : 0));
                return;
            case 4:
                if ((insn & (1u << 29)) != 0 || (insn & (1u << 11)) != 0) goto generic;
                op.Kind = A64Kind.Csel;
                op.Aux = (byte)((insn >> 12) & 15);
                op.ShiftType = (byte)(((insn >> 29) & 2) | ((insn >> 10) & 1));
                return;
            case 6:
                if ((insn & (1u << 30)) != 0 || (insn & (1u << 29)) != 0) goto generic;
                switch ((insn >> 10) & 63)
                {
                    case 2:
                        op.Kind = A64Kind.Udiv;
                        return;
                    case 8:
                    case 9:
                    case 10:
                    case 11:
                        op.Kind = A64Kind.ShiftVar;
                        op.ShiftType = (byte)(((insn >> 10) & 63) - 8);
                        return;
                }
                break;
        }
    generic:
        Generic(ref op);
    }

    private static void DecodeBranch(uint insn, ref A64Op op)
    {
        if ((insn & 0x7c00_0000) == 0x1400_0000)
        {
            op.Kind = (insn & 0x8000_0000) != 0 ? A64Kind.Bl : A64Kind.B;
            op.Imm = (ulong)(SignExtend(insn & 0x3ff_ffff, 26) << 2);
            return;
        }
        if ((insn & 0x7e00_0000) == 0x3400_0000)
        {
            op.Kind = (insn & (1u << 24)) != 0 ? A64Kind.Cbnz : A64Kind.Cbz;
            op.Rd = (byte)(insn & 31);
            op.Mask = (insn >> 31) != 0 ? ulong.MaxValue : uint.MaxValue;
            op.Imm = (ulong)(SignExtend((insn >> 5) & 0x7ffff, 19) << 2);
            return;
        }
        if ((insn & 0x7e00_0000) == 0x3600_0000)
        {
            op.Kind = (insn & (1u << 24)) != 0 ? A64Kind.Tbnz : A64Kind.Tbz;
            op.Rd = (byte)(insn & 31);
            op.Shift = (byte)((insn >> 31) << 5 | ((insn >> 19) & 31));
            op.Imm = (ulong)(SignExtend((insn >> 5) & 0x3fff, 14) << 2);
            return;
        }
        if ((insn & 0xff00_0010) == 0x5400_0000)
        {
            op.Kind = A64Kind.BCond;
            op.Aux = (byte)(insn & 15);
            op.Imm = (ulong)(SignExtend((insn >> 5) & 0x7ffff, 19) << 2);
            return;
        }
        if (insn == 0xd503_201f)
        {
            op.Kind = A64Kind.Nop;
            return;
        }
        if ((insn & 0xfe00_0000) == 0xd600_0000)
        {
            if (((insn >> 16) & 31) != 31 || ((insn >> 10) & 63) != 0 || (insn & 31) != 0) return;
            uint opc = (insn >> 21) & 15;
            op.Rn = (byte)((insn >> 5) & 31);
            if (opc is 0 or 2) op.Kind = A64Kind.Br;
            else if (opc == 1) op.Kind = A64Kind.Blr;
            else Generic(ref op);
        }
    }

    private static void DecodeLoadStore(uint insn, ref A64Op op)
    {
        if ((insn & (1u << 26)) != 0) return; // FP/SIMD registers: the full decoder
        if ((insn & 0x3a00_0000) == 0x2800_0000)
        {
            // LDP/STP/LDPSW (and LDNP/STNP, the same accesses here).
            uint opc = insn >> 30, index = (insn >> 23) & 3;
            bool load = (insn & (1u << 22)) != 0;
            if (opc == 3 || (opc == 1 && !load)) return;
            int scale = opc == 2 ? 3 : 2;
            op.Kind = load ? A64Kind.Ldp : A64Kind.Stp;
            op.Rd = (byte)(insn & 31);
            op.Rn = (byte)((insn >> 5) & 31);
            op.Rm = (byte)((insn >> 10) & 31);
            op.Size = (byte)(1 << scale);
            op.Aux = (byte)(opc == 1 ? 1 : 0);
            op.Aux2 = (byte)(index switch { 1 => 1, 3 => 2, _ => 0 });
            op.Imm = (ulong)(SignExtend((insn >> 15) & 0x7f, 7) << scale);
            return;
        }
        if ((insn & 0x3a00_0000) != 0x3800_0000) return;
        int sizeBits = (int)(insn >> 30);
        uint lopc = (insn >> 22) & 3;
        if ((lopc == 2 && sizeBits == 3) || (lopc == 3 && sizeBits >= 2)) return; // PRFM, and the unallocated forms
        bool isLoad = lopc != 0;
        op.Rd = (byte)(insn & 31);
        op.Rn = (byte)((insn >> 5) & 31);
        op.Size = (byte)(1 << sizeBits);
        op.Aux = (byte)(lopc switch { 2 => 1, 3 => 2, _ => 0 });
        if ((insn & (1u << 24)) != 0)
        {
            op.Kind = sizeBits == 3 ? (isLoad ? A64Kind.Ldr64Imm : A64Kind.Str64Imm) : isLoad ? A64Kind.LdrImm : A64Kind.StrImm;
            op.Imm = ((insn >> 10) & 0xfff) << sizeBits;
            return;
        }
        if ((insn & (1u << 21)) == 0)
        {
            op.Imm = (ulong)SignExtend((insn >> 12) & 0x1ff, 9);
            op.Kind = ((insn >> 10) & 3) switch
            {
                1 => isLoad ? A64Kind.LdrPost : A64Kind.StrPost,
                3 => isLoad ? A64Kind.LdrPre : A64Kind.StrPre,
                _ => isLoad ? A64Kind.LdrImm : A64Kind.StrImm, // unscaled, and unprivileged (the same access here)
            };
            return;
        }
        if (((insn >> 10) & 3) == 2)
        {
            uint option = (insn >> 13) & 7;
            if ((option & 2) == 0)
            {
                Generic(ref op);
                return;
            }
            op.Kind = isLoad ? A64Kind.LdrReg : A64Kind.StrReg;
            op.Rm = (byte)((insn >> 16) & 31);
            SetExtendedOperand(ref op, option, (insn & (1u << 12)) != 0 ? sizeBits : 0);
            if (sizeBits == 3 && option == 3) op.Kind = isLoad ? A64Kind.Ldr64Reg : A64Kind.Str64Reg;
            return;
        }
        Generic(ref op);
    }
}
