using System.Numerics;

namespace Rewind.Arm64;

/// <summary>Integer data processing: the immediate group (bits 28:26 = 100) and the register group (x101).</summary>
public sealed partial class Arm64Cpu
{
    private void DataProcessingImmediate(uint insn, ulong pc)
    {
        int rd = (int)(insn & 31), rn = (int)((insn >> 5) & 31);
        bool sf = (insn >> 31) != 0;
        switch ((insn >> 23) & 7)
        {
            case 0:
            case 1:
                {
                    // ADR, ADRP: immhi:immlo, a page offset for ADRP.
                    ulong imm = (ulong)SignExtend(((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3), 21);
                    SetXr(rd, sf ? (pc & ~0xfffUL) + (imm << 12) : pc + imm);
                    break;
                }
            case 2:
                {
                    // ADD/ADDS/SUB/SUBS (immediate): Rn may be SP; Rd is SP unless flags are set.
                    ulong imm = (insn >> 10) & 0xfff;
                    if ((insn & (1u << 22)) != 0) imm <<= 12;
                    bool sub = (insn & (1u << 30)) != 0, setFlags = (insn & (1u << 29)) != 0;
                    ulong result = AddWithCarry(Xs(rn), sub ? ~imm : imm, sub ? 1UL : 0, sf, out uint flags);
                    if (setFlags)
                    {
                        _nzcv = flags;
                        SetXr(rd, result);
                    }
                    else SetXs(rd, result);
                    break;
                }
            case 4:
                {
                    // AND/ORR/EOR/ANDS (immediate).
                    uint n = (insn >> 22) & 1;
                    if (!sf && n != 0) throw Undefined();
                    ulong imm = DecodeBitMasks(n, (insn >> 10) & 63, (insn >> 16) & 63, true, sf ? 64 : 32).WMask;
                    ulong a = Xr(rn);
                    switch ((insn >> 29) & 3)
                    {
                        case 0: SetXs(rd, Trim(a & imm, sf)); break;
                        case 1: SetXs(rd, Trim(a | imm, sf)); break;
                        case 2: SetXs(rd, Trim(a ^ imm, sf)); break;
                        default:
                            {
                                ulong r = Trim(a & imm, sf);
                                _nzcv = LogicFlags(r, sf);
                                SetXr(rd, r);
                                break;
                            }
                    }
                    break;
                }
            case 5:
                {
                    // MOVN/MOVZ/MOVK.
                    uint opc = (insn >> 29) & 3, hw = (insn >> 21) & 3;
                    if (opc == 1 || (!sf && hw >= 2)) throw Undefined();
                    int pos = (int)hw * 16;
                    ulong imm = (ulong)((insn >> 5) & 0xffff) << pos;
                    ulong result = opc switch
                    {
                        0 => ~imm,
                        2 => imm,
                        _ => (Xr(rd) & ~(0xffffUL << pos)) | imm,
                    };
                    SetXr(rd, Trim(result, sf));
                    break;
                }
            case 6:
                {
                    // SBFM/BFM/UBFM (and their aliases: LSL, LSR, ASR, SXT*, UXT*, BFI, UBFX, ...).
                    uint opc = (insn >> 29) & 3, n = (insn >> 22) & 1;
                    uint immr = (insn >> 16) & 63, imms = (insn >> 10) & 63;
                    int size = sf ? 64 : 32;
                    if (opc == 3 || n != (sf ? 1u : 0) || (!sf && (immr >= 32 || imms >= 32))) throw Undefined();
                    var (wmask, tmask) = DecodeBitMasks(n, imms, immr, false, size);
                    ulong src = Xr(rn), dst = opc == 1 ? Xr(rd) : 0;
                    ulong rotated = sf ? BitOperations.RotateRight(src, (int)immr) : BitOperations.RotateRight((uint)src, (int)immr);
                    ulong bot = (dst & ~wmask) | (rotated & wmask);
                    ulong top = opc switch
                    {
                        0 => ((src >> (int)imms) & 1) != 0 ? ulong.MaxValue : 0,
                        1 => dst,
                        _ => 0,
                    };
                    SetXr(rd, Trim((top & ~tmask) | (bot & tmask), sf));
                    break;
                }
            case 7:
                {
                    // EXTR (ROR immediate when Rn == Rm).
                    uint n = (insn >> 22) & 1, imms = (insn >> 10) & 63;
                    int rm = (int)((insn >> 16) & 31);
                    if (((insn >> 29) & 3) != 0 || (insn & (1u << 21)) != 0 || n != (sf ? 1u : 0) || (!sf && imms >= 32)) throw Undefined();
                    ulong result;
                    if (sf) result = imms == 0 ? Xr(rm) : (Xr(rm) >> (int)imms) | (Xr(rn) << (64 - (int)imms));
                    else
                    {
                        ulong concat = (ulong)(uint)Xr(rn) << 32 | (uint)Xr(rm);
                        result = (uint)(concat >> (int)imms);
                    }
                    SetXr(rd, result);
                    break;
                }
            default:
                throw Undefined();
        }
    }

    private void DataProcessingRegister(uint insn)
    {
        int rd = (int)(insn & 31), rn = (int)((insn >> 5) & 31), rm = (int)((insn >> 16) & 31);
        bool sf = (insn >> 31) != 0;
        if ((insn & (1u << 28)) == 0)
        {
            if ((insn & (1u << 24)) == 0) LogicalShifted(insn, sf, rd, rn, rm);
            else if ((insn & (1u << 21)) == 0) AddSubShifted(insn, sf, rd, rn, rm);
            else AddSubExtended(insn, sf, rd, rn, rm);
            return;
        }
        uint op2 = (insn >> 21) & 15;
        if ((op2 & 8) != 0)
        {
            MultiplyAdd(insn, sf, rd, rn, rm);
            return;
        }
        switch (op2)
        {
            case 0:
                {
                    // ADC/ADCS/SBC/SBCS.
                    if (((insn >> 10) & 63) != 0) throw Undefined();
                    bool sub = (insn & (1u << 30)) != 0;
                    ulong b = Xr(rm);
                    ulong r = AddWithCarry(Xr(rn), sub ? ~b : b, (_nzcv & FlagC) != 0 ? 1UL : 0, sf, out uint flags);
                    if ((insn & (1u << 29)) != 0) _nzcv = flags;
                    SetXr(rd, r);
                    break;
                }
            case 2:
                {
                    // CCMN/CCMP (register or immediate).
                    if ((insn & (1u << 29)) == 0 || (insn & (1u << 10)) != 0 || (insn & (1u << 4)) != 0) throw Undefined();
                    uint cond = (insn >> 12) & 15;
                    if (ConditionHolds(cond))
                    {
                        ulong b = (insn & (1u << 11)) != 0 ? (ulong)rm : Xr(rm);
                        bool sub = (insn & (1u << 30)) != 0;
                        AddWithCarry(Xr(rn), sub ? ~b : b, sub ? 1UL : 0, sf, out uint flags);
                        _nzcv = flags;
                    }
                    else _nzcv = (insn & 15) << 28;
                    break;
                }
            case 4:
                {
                    // CSEL/CSINC/CSINV/CSNEG.
                    if ((insn & (1u << 29)) != 0 || (insn & (1u << 11)) != 0) throw Undefined();
                    uint cond = (insn >> 12) & 15;
                    uint variant = ((insn >> 29) & 2) | ((insn >> 10) & 1);
                    ulong r;
                    if (ConditionHolds(cond)) r = Xr(rn);
                    else
                    {
                        ulong b = Xr(rm);
                        r = variant switch
                        {
                            0 => b,
                            1 => b + 1,
                            2 => ~b,
                            _ => 0 - b,
                        };
                    }
                    SetXr(rd, Trim(r, sf));
                    break;
                }
            case 6:
                if ((insn & (1u << 30)) != 0) DataProcessing1Source(insn, sf, rd, rn);
                else DataProcessing2Source(insn, sf, rd, rn, rm);
                break;
            default:
                throw Undefined();
        }
    }

    private void LogicalShifted(uint insn, bool sf, int rd, int rn, int rm)
    {
        int amount = (int)((insn >> 10) & 63);
        if (!sf && amount >= 32) throw Undefined();
        ulong b = ShiftReg(Xr(rm), (insn >> 22) & 3, amount, sf);
        if ((insn & (1u << 21)) != 0) b = ~b;
        ulong a = Xr(rn);
        switch ((insn >> 29) & 3)
        {
            case 0: SetXr(rd, Trim(a & b, sf)); break;
            case 1: SetXr(rd, Trim(a | b, sf)); break;
            case 2: SetXr(rd, Trim(a ^ b, sf)); break;
            default:
                {
                    ulong r = Trim(a & b, sf);
                    _nzcv = LogicFlags(r, sf);
                    SetXr(rd, r);
                    break;
                }
        }
    }

    private void AddSubShifted(uint insn, bool sf, int rd, int rn, int rm)
    {
        uint shift = (insn >> 22) & 3;
        int amount = (int)((insn >> 10) & 63);
        if (shift == 3 || (!sf && amount >= 32)) throw Undefined();
        ulong b = ShiftReg(Xr(rm), shift, amount, sf);
        bool sub = (insn & (1u << 30)) != 0;
        ulong r = AddWithCarry(Xr(rn), sub ? ~b : b, sub ? 1UL : 0, sf, out uint flags);
        if ((insn & (1u << 29)) != 0) _nzcv = flags;
        SetXr(rd, r);
    }

    private void AddSubExtended(uint insn, bool sf, int rd, int rn, int rm)
    {
        int imm3 = (int)((insn >> 10) & 7);
        if (imm3 > 4 || ((insn >> 22) & 3) != 0) throw Undefined();
        ulong b = Trim(ExtendReg(Xr(rm), (insn >> 13) & 7, imm3), sf);
        bool sub = (insn & (1u << 30)) != 0;
        ulong r = AddWithCarry(Xs(rn), sub ? ~b : b, sub ? 1UL : 0, sf, out uint flags);
        if ((insn & (1u << 29)) != 0)
        {
            _nzcv = flags;
            SetXr(rd, r);
        }
        else SetXs(rd, r);
    }

    private void MultiplyAdd(uint insn, bool sf, int rd, int rn, int rm)
    {
        if (((insn >> 29) & 3) != 0) throw Undefined();
        uint op31 = (insn >> 21) & 7;
        bool sub = (insn & (1u << 15)) != 0;
        int ra = (int)((insn >> 10) & 31);
        ulong a = Xr(rn), b = Xr(rm), acc = Xr(ra);
        ulong r;
        switch (op31)
        {
            case 0:
                r = Trim(sub ? acc - a * b : acc + a * b, sf);
                break;
            case 1 when sf:
                {
                    ulong p = (ulong)((long)(int)a * (int)b);
                    r = sub ? acc - p : acc + p;
                    break;
                }
            case 2 when sf && !sub:
                r = (ulong)(long)(((Int128)(long)a * (long)b) >> 64);
                break;
            case 5 when sf:
                {
                    ulong p = (ulong)(uint)a * (uint)b;
                    r = sub ? acc - p : acc + p;
                    break;
                }
            case 6 when sf && !sub:
                r = (ulong)(((UInt128)a * b) >> 64);
                break;
            default:
                throw Undefined();
        }
        SetXr(rd, r);
    }

    private void DataProcessing2Source(uint insn, bool sf, int rd, int rn, int rm)
    {
        if ((insn & (1u << 29)) != 0) throw Undefined();
        if (((insn >> 13) & 7) == 2)
        {
            Crc32(insn, sf, rd, rn, rm);
            return;
        }
        ulong a = Xr(rn), b = Xr(rm);
        int size = sf ? 64 : 32;
        ulong r;
        switch ((insn >> 10) & 63)
        {
            case 2: // UDIV: division by zero gives zero
                r = sf ? (b == 0 ? 0 : a / b) : ((uint)b == 0 ? 0 : (uint)a / (uint)b);
                break;
            case 3: // SDIV: zero for division by zero; the overflowing case wraps
                if (sf) r = b == 0 ? 0 : (long)a == long.MinValue && (long)b == -1 ? a : (ulong)((long)a / (long)b);
                else r = (uint)b == 0 ? 0 : (int)a == int.MinValue && (int)b == -1 ? (uint)a : (uint)((int)a / (int)b);
                break;
            case 8: r = ShiftReg(a, 0, (int)(b & (ulong)(size - 1)), sf); break;
            case 9: r = ShiftReg(a, 1, (int)(b & (ulong)(size - 1)), sf); break;
            case 10: r = ShiftReg(a, 2, (int)(b & (ulong)(size - 1)), sf); break;
            case 11: r = ShiftReg(a, 3, (int)(b & (ulong)(size - 1)), sf); break;
            default: throw Undefined();
        }
        SetXr(rd, Trim(r, sf));
    }

    private void DataProcessing1Source(uint insn, bool sf, int rd, int rn)
    {
        if ((insn & (1u << 29)) != 0 || ((insn >> 16) & 31) != 0) throw Undefined();
        ulong a = Xr(rn);
        ulong r;
        switch ((insn >> 10) & 63)
        {
            case 0: // RBIT
                r = sf ? ReverseBits(a) : ReverseBits(a) >> 32;
                break;
            case 1: // REV16
                r = ((a & 0x00ff_00ff_00ff_00ffUL) << 8) | ((a >> 8) & 0x00ff_00ff_00ff_00ffUL);
                break;
            case 2: // REV32 (64-bit) or REV (32-bit)
                {
                    ulong lo = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)a);
                    ulong hi = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)(a >> 32));
                    r = sf ? hi << 32 | lo : lo;
                    break;
                }
            case 3 when sf:
                r = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(a);
                break;
            case 4: // CLZ
                r = sf ? (ulong)BitOperations.LeadingZeroCount(a) : (ulong)BitOperations.LeadingZeroCount((uint)a);
                break;
            case 5: // CLS: leading bits equal to the sign, not counting it
                r = sf ? (ulong)BitOperations.LeadingZeroCount(a ^ (ulong)((long)a >> 1)) - 1
                       : (ulong)BitOperations.LeadingZeroCount((uint)a ^ (uint)((int)a >> 1)) - 1;
                break;
            default: throw Undefined();
        }
        SetXr(rd, Trim(r, sf));
    }

    private static ulong ReverseBits(ulong v)
    {
        v = ((v >> 1) & 0x5555_5555_5555_5555UL) | ((v & 0x5555_5555_5555_5555UL) << 1);
        v = ((v >> 2) & 0x3333_3333_3333_3333UL) | ((v & 0x3333_3333_3333_3333UL) << 2);
        v = ((v >> 4) & 0x0f0f_0f0f_0f0f_0f0fUL) | ((v & 0x0f0f_0f0f_0f0f_0f0fUL) << 4);
        return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
    }
}
