using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rewind.Arm64.Decode;

namespace Rewind.Arm64;

/// <summary>
/// The interpreter's hot loop: runs decoded instructions (<see cref="A64Op"/>) from the code cache with
/// pc and the instruction count in locals, registers through a pointer, and RAM accesses inline (the
/// untranslated fast range, or a data TLB hit). It has no exception handler of its own: before anything
/// that may raise an <see cref="ArmFault"/> (a fetch into a new page, a TLB miss, an instruction
/// executed by the full decoder), it stores pc, the count and the faulting pc into fields, and
/// <see cref="ExecuteSlice"/> catches the fault there, exactly as the one-instruction-at-a-time loop did.
/// This method is the hot path: measure before changing it. It is left to tiered compilation (not
/// AggressiveOptimization): with the profile of the guest's instruction mix its final code took about
/// 10% less CPU time on bench.elf.
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    /// <summary>The pc of the instruction being executed when a slow path was entered: where a fault is taken.</summary>
    private ulong _faultPc;

    private CpuStopOrRun RunDecoded()
    {
        ulong* x = _xp;
        byte* ram = _ramPtr;
        ulong ramBase = _ramBase;
        ulong pc = Pc;
        ulong ic = Icount;
        bool checkBreakpoints = _breakpoints.Count > 0;
        while (ic < _sliceEnd)
        {
            if (checkBreakpoints)
            {
                if (_breakpoints.Contains(pc) && pc != _resumePc)
                {
                    Pc = pc;
                    Icount = ic;
                    return CpuStopOrRun.Breakpoint;
                }
                _resumePc = NoPc;
            }
            // The fetch window is read from its fields each time: any slow path may drop it.
            if ((pc & ~0xffcUL) != _fetchPage)
            {
                // A new page (or a misaligned pc): translate, which may fault.
                Pc = pc + 4;
                Icount = ic;
                _faultPc = pc;
                RefillFetch(pc);
                if ((pc & ~0xffcUL) != _fetchPage)
                {
                    // Outside RAM: this instruction is decoded and run uncached, by the full decoder.
                    ExecuteUncached(pc);
                    pc = Pc;
                    ic = Icount + 1;
                    if (_waiting)
                    {
                        Icount = ic;
                        return CpuStopOrRun.Idle;
                    }
                    continue;
                }
            }
            ref A64Op d = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_fetchSlots), (nint)((pc >> 2) & 1023));
            ulong next = pc + 4;
        dispatch:
            switch (d.Kind)
            {
                case A64Kind.Empty:
                    d = Decode(*(uint*)(_fetchHost + (pc & 0xfff)));
                    goto dispatch;
                case A64Kind.AddImm:
                    x[d.Rd] = (x[d.Rn] + d.Imm) & d.Mask;
                    break;
                case A64Kind.AddImmSp:
                    {
                        ulong v = (((d.Aux & 1) != 0 ? Sp : x[d.Rn]) + d.Imm) & d.Mask;
                        if ((d.Aux & 2) != 0) Sp = v;
                        else x[d.Rd] = v;
                        break;
                    }
                case A64Kind.AddsImm:
                    x[d.Rd] = AddSubFlags(x[d.Rn], d.Imm, d.Aux != 0, d.Mask == ulong.MaxValue);
                    TryFuseBranch(ref d, ref next, ref ic, pc, checkBreakpoints);
                    break;
                case A64Kind.AndImm:
                    x[d.Rd] = x[d.Rn] & d.Imm;
                    break;
                case A64Kind.OrrImm:
                    x[d.Rd] = (x[d.Rn] | d.Imm) & d.Mask;
                    break;
                case A64Kind.EorImm:
                    x[d.Rd] = (x[d.Rn] ^ d.Imm) & d.Mask;
                    break;
                case A64Kind.AndsImm:
                    {
                        ulong r = x[d.Rn] & d.Imm;
                        _nzcv = d.Mask == ulong.MaxValue ? (uint)(r >> 63) << 31 | (r == 0 ? FlagZ : 0) : (uint)(r >> 31) << 31 | (r == 0 ? FlagZ : 0);
                        x[d.Rd] = r;
                        TryFuseBranch(ref d, ref next, ref ic, pc, checkBreakpoints);
                        break;
                    }
                case A64Kind.MovImm:
                    x[d.Rd] = d.Imm;
                    break;
                case A64Kind.Movk:
                    x[d.Rd] = ((x[d.Ra] & d.Imm2) | d.Imm) & d.Mask;
                    break;
                case A64Kind.Ubfm:
                    {
                        ulong src = x[d.Rn];
                        ulong rotated = d.Mask == ulong.MaxValue ? BitOperations.RotateRight(src, d.Shift) : BitOperations.RotateRight((uint)src, d.Shift);
                        x[d.Rd] = rotated & d.Imm & d.Imm2;
                        break;
                    }
                case A64Kind.Sbfm:
                    {
                        ulong src = x[d.Rn];
                        ulong rotated = d.Mask == ulong.MaxValue ? BitOperations.RotateRight(src, d.Shift) : BitOperations.RotateRight((uint)src, d.Shift);
                        ulong bot = rotated & d.Imm;
                        ulong top = ((src >> d.Aux) & 1) != 0 ? ulong.MaxValue : 0;
                        x[d.Rd] = ((top & ~d.Imm2) | (bot & d.Imm2)) & d.Mask;
                        break;
                    }
                case A64Kind.Bfm:
                    {
                        ulong src = x[d.Rn], dst = x[d.Ra];
                        ulong rotated = d.Mask == ulong.MaxValue ? BitOperations.RotateRight(src, d.Shift) : BitOperations.RotateRight((uint)src, d.Shift);
                        ulong bot = (dst & ~d.Imm) | (rotated & d.Imm);
                        x[d.Rd] = ((dst & ~d.Imm2) | (bot & d.Imm2)) & d.Mask;
                        break;
                    }
                case A64Kind.MovReg:
                    x[d.Rd] = x[d.Rm] & d.Mask;
                    break;
                case A64Kind.AndReg:
                    x[d.Rd] = x[d.Rn] & (Operand2(x[d.Rm], ref d) ^ d.Imm2) & d.Mask;
                    break;
                case A64Kind.OrrReg:
                    x[d.Rd] = (x[d.Rn] | (Operand2(x[d.Rm], ref d) ^ d.Imm2)) & d.Mask;
                    break;
                case A64Kind.EorReg:
                    x[d.Rd] = (x[d.Rn] ^ Operand2(x[d.Rm], ref d) ^ d.Imm2) & d.Mask;
                    break;
                case A64Kind.AndsReg:
                    {
                        bool sf = d.Mask == ulong.MaxValue;
                        ulong r = x[d.Rn] & (Operand2(x[d.Rm], ref d) ^ d.Imm2) & d.Mask;
                        _nzcv = sf ? (uint)(r >> 63) << 31 | (r == 0 ? FlagZ : 0) : (uint)(r >> 31) << 31 | (r == 0 ? FlagZ : 0);
                        x[d.Rd] = r;
                        TryFuseBranch(ref d, ref next, ref ic, pc, checkBreakpoints);
                        break;
                    }
                case A64Kind.AddReg:
                    x[d.Rd] = (x[d.Rn] + Operand2(x[d.Rm], ref d)) & d.Mask;
                    break;
                case A64Kind.SubReg:
                    x[d.Rd] = (x[d.Rn] - Operand2(x[d.Rm], ref d)) & d.Mask;
                    break;
                case A64Kind.AddsReg:
                    {
                        bool sf = d.Mask == ulong.MaxValue;
                        x[d.Rd] = AddSubFlags(x[d.Rn], Operand2(x[d.Rm], ref d), d.Aux != 0, sf);
                        TryFuseBranch(ref d, ref next, ref ic, pc, checkBreakpoints);
                        break;
                    }
                case A64Kind.AddExt:
                    {
                        ulong b = ExtendedOperand(x[d.Rm], ref d) & d.Mask;
                        ulong a = d.Rn == 31 ? Sp : x[d.Rn];
                        ulong r = (d.Aux != 0 ? a - b : a + b) & d.Mask;
                        if (d.Rd == 31) Sp = r;
                        else x[d.Rd] = r;
                        break;
                    }
                case A64Kind.Madd:
                    x[d.Rd] = (x[d.Ra] + x[d.Rn] * x[d.Rm]) & d.Mask;
                    break;
                case A64Kind.Msub:
                    x[d.Rd] = (x[d.Ra] - x[d.Rn] * x[d.Rm]) & d.Mask;
                    break;
                case A64Kind.Umulh:
                    x[d.Rd] = Math.BigMul(x[d.Rn], x[d.Rm], out _);
                    break;
                case A64Kind.Smulh:
                    x[d.Rd] = (ulong)Math.BigMul((long)x[d.Rn], (long)x[d.Rm], out _);
                    break;
                case A64Kind.Udiv:
                    {
                        ulong a = x[d.Rn] & d.Mask, b = x[d.Rm] & d.Mask;
                        x[d.Rd] = b == 0 ? 0 : a / b;
                        break;
                    }
                case A64Kind.ShiftVar:
                    {
                        bool sf = d.Mask == ulong.MaxValue;
                        int amount = (int)(x[d.Rm] & (sf ? 63UL : 31UL));
                        x[d.Rd] = Shifted(x[d.Rn], d.ShiftType, amount, sf) & d.Mask;
                        break;
                    }
                case A64Kind.Csel:
                    {
                        ulong r;
                        if (Holds(d.Aux)) r = x[d.Rn];
                        else
                        {
                            ulong b = x[d.Rm];
                            r = d.ShiftType switch
                            {
                                0 => b,
                                1 => b + 1,
                                2 => ~b,
                                _ => 0 - b,
                            };
                        }
                        x[d.Rd] = r & d.Mask;
                        break;
                    }
                case A64Kind.Ccmp:
                    if (Holds(d.Aux))
                    {
                        ulong b = (d.Aux2 & 1) != 0 ? d.Rm : x[d.Rm];
                        AddSubFlags(x[d.Rn], b, (d.Aux2 & 2) != 0, d.Mask == ulong.MaxValue);
                    }
                    else _nzcv = (uint)d.Imm2;
                    break;
                case A64Kind.Adr:
                    x[d.Rd] = pc + d.Imm;
                    break;
                case A64Kind.Adrp:
                    x[d.Rd] = (pc & ~0xfffUL) + d.Imm;
                    break;
                case A64Kind.Nop:
                    break;
                case A64Kind.B:
                    next = pc + d.Imm;
                    break;
                case A64Kind.Bl:
                    x[30] = next;
                    next = pc + d.Imm;
                    break;
                case A64Kind.BCond:
                    if (Holds(d.Aux)) next = pc + d.Imm;
                    break;
                case A64Kind.Cbz:
                    if ((x[d.Rd] & d.Mask) == 0) next = pc + d.Imm;
                    break;
                case A64Kind.Cbnz:
                    if ((x[d.Rd] & d.Mask) != 0) next = pc + d.Imm;
                    break;
                case A64Kind.Tbz:
                    if (((x[d.Rd] >> d.Shift) & 1) == 0) next = pc + d.Imm;
                    break;
                case A64Kind.Tbnz:
                    if (((x[d.Rd] >> d.Shift) & 1) != 0) next = pc + d.Imm;
                    break;
                case A64Kind.Br:
                    next = x[d.Rn];
                    break;
                case A64Kind.Blr:
                    {
                        ulong target = x[d.Rn];
                        x[30] = next;
                        next = target;
                        break;
                    }
                case A64Kind.LdrImm:
                case A64Kind.LdrReg:
                case A64Kind.LdrPre:
                case A64Kind.LdrPost:
                    {
                        // Every field is read before the access: a slow path may write RAM and clear this slot.
                        A64Kind kind = d.Kind;
                        int rd = d.Rd, rn = d.Rn, size = d.Size;
                        byte mode = d.Aux;
                        ulong baseAddress = rn == 31 ? Sp : x[rn];
                        ulong address = kind switch
                        {
                            A64Kind.LdrReg => baseAddress + ExtendedOperand(x[d.Rm], ref d),
                            A64Kind.LdrPost => baseAddress,
                            _ => baseAddress + d.Imm,
                        };
                        ulong imm = d.Imm;
                        ulong off = address - ramBase;
                        ulong v;
                        if (off < _fastAccessLimit || DataTlbLoadHit(address, ref off))
                        {
                            byte* p = ram + off;
                            v = size switch
                            {
                                8 => *(ulong*)p,
                                4 => *(uint*)p,
                                2 => *(ushort*)p,
                                _ => *p,
                            };
                        }
                        else
                        {
                            Pc = next;
                            Icount = ic;
                            _faultPc = pc;
                            v = LoadAndFill(address, size);
                        }
                        x[rd] = mode == 0 ? v : Extend(v, mode, size);
                        if (kind is A64Kind.LdrPre or A64Kind.LdrPost)
                        {
                            if (rn == 31) Sp = baseAddress + imm;
                            else x[rn] = baseAddress + imm;
                        }
                        break;
                    }
                case A64Kind.StrImm:
                case A64Kind.StrReg:
                case A64Kind.StrPre:
                case A64Kind.StrPost:
                    {
                        A64Kind kind = d.Kind;
                        int rn = d.Rn, size = d.Size;
                        ulong baseAddress = rn == 31 ? Sp : x[rn];
                        ulong address = kind switch
                        {
                            A64Kind.StrReg => baseAddress + ExtendedOperand(x[d.Rm], ref d),
                            A64Kind.StrPost => baseAddress,
                            _ => baseAddress + d.Imm,
                        };
                        ulong imm = d.Imm;
                        ulong value = x[d.Rd];
                        ulong off = address - ramBase;
                        if (off < _fastAccessLimit || DataTlbStoreHit(address, ref off))
                        {
                            byte* p = ram + off;
                            switch (size)
                            {
                                case 8: *(ulong*)p = value; break;
                                case 4: *(uint*)p = (uint)value; break;
                                case 2: *(ushort*)p = (ushort)value; break;
                                default: *p = (byte)value; break;
                            }
                            _ram.NoteWrite(off);
                            // An untranslated store may end in the next page, which has its own code slots.
                            if ((off & 0xfff) > 0xff8) _ram.NoteWrite(off + (ulong)size - 1);
                        }
                        else
                        {
                            Pc = next;
                            Icount = ic;
                            _faultPc = pc;
                            StoreAndFill(address, size, value);
                        }
                        if (kind is A64Kind.StrPre or A64Kind.StrPost)
                        {
                            if (rn == 31) Sp = baseAddress + imm;
                            else x[rn] = baseAddress + imm;
                        }
                        break;
                    }
                case A64Kind.Ldp:
                case A64Kind.Stp:
                    {
                        A64Kind kind = d.Kind;
                        int rt = d.Rd, rt2 = d.Rm, rn = d.Rn, size = d.Size, index = d.Aux2;
                        bool signed = d.Aux != 0;
                        ulong baseAddress = rn == 31 ? Sp : x[rn], after = baseAddress + d.Imm;
                        ulong address = index == 1 ? baseAddress : after;
                        Pc = next;
                        Icount = ic;
                        _faultPc = pc;
                        if (kind == A64Kind.Ldp)
                        {
                            ulong a = LoadData(address, size), b = LoadData(address + (ulong)size, size);
                            if (signed)
                            {
                                a = (ulong)(int)a;
                                b = (ulong)(int)b;
                            }
                            x[rt] = a;
                            x[rt2] = b;
                        }
                        else
                        {
                            ulong a = x[rt], b = x[rt2];
                            StoreData(address, size, a);
                            StoreData(address + (ulong)size, size, b);
                        }
                        if (index != 0)
                        {
                            if (rn == 31) Sp = after;
                            else x[rn] = after;
                        }
                        break;
                    }
                default:
                    {
                        // The full decoder: system instructions, FP/SIMD, exceptions, everything else.
                        Pc = next;
                        Icount = ic;
                        _faultPc = pc;
                        Execute(d.Insn, pc);
                        next = Pc;
                        ic = Icount;
                        if (_waiting)
                        {
                            Pc = next;
                            Icount = ic + 1;
                            return CpuStopOrRun.Idle;
                        }
                        break;
                    }
            }
            pc = next;
            ic++;
        }
        Pc = pc;
        Icount = ic;
        return CpuStopOrRun.Limit;
    }

    /// <summary>
    /// After an instruction that set the flags: when the next instruction is a B.cond already decoded in the
    /// same page, runs it too, in the same dispatch (compare-and-branch is the commonest pair). Not when the
    /// slice ends after this instruction (the count stays exact, and pending interrupts are taken between the
    /// two as before) or while breakpoints are checked (one may be on the branch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TryFuseBranch(ref A64Op d, ref ulong next, ref ulong ic, ulong pc, bool checkBreakpoints)
    {
        if ((pc & 0xffc) == 0xffc || checkBreakpoints || ic + 1 >= _sliceEnd) return;
        ref A64Op b = ref Unsafe.Add(ref d, 1);
        if (b.Kind != A64Kind.BCond) return;
        ic++;
        next = Holds(b.Aux) ? next + b.Imm : next + 4;
    }

    /// <summary>What <see cref="RunDecoded"/> ends with (a fault leaves it by exception instead).</summary>
    private enum CpuStopOrRun { Limit, Breakpoint, Idle }

    private void ExecuteUncached(ulong pc)
    {
        Execute(_uncachedOp.Insn, pc);
    }

    /// <summary>A shifted-register operand as decoded by SetShiftedOperand: no branch on the shift type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Operand2(ulong v, ref A64Op d)
    {
        ulong r, sign;
        if (d.Mask == ulong.MaxValue)
        {
            r = BitOperations.RotateRight(v, d.Shift);
            sign = (ulong)((long)v >> 63);
        }
        else
        {
            r = BitOperations.RotateRight((uint)v, d.Shift);
            sign = (uint)((int)v >> 31);
        }
        return (r & d.Imm) | (sign & d.Imm3);
    }

    /// <summary>An extended-register operand as decoded by SetExtendedOperand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ExtendedOperand(ulong v, ref A64Op d)
    {
        int l = d.Ra;
        ulong u = v << l;
        ulong e = d.Aux2 != 0 ? (ulong)((long)u >> l) : u >> l;
        return e << d.Shift;
    }

    /// <summary><see cref="ShiftReg"/>, inlined.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Shifted(ulong value, int type, int amount, bool sf)
    {
        if (sf)
        {
            return type switch
            {
                0 => value << amount,
                1 => value >> amount,
                2 => (ulong)((long)value >> amount),
                _ => BitOperations.RotateRight(value, amount),
            };
        }
        uint w = (uint)value;
        return type switch
        {
            0 => w << amount,
            1 => w >> amount,
            2 => (uint)((int)w >> amount),
            _ => BitOperations.RotateRight(w, amount),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Extend(ulong v, byte mode, int size) => mode switch
    {
        0 => v,
        1 => (ulong)SignExtend(v, size * 8),
        _ => (uint)SignExtend(v, size * 8),
    };
}
