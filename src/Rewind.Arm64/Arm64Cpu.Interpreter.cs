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
/// This method is the hot path: measure before changing it (bench/README.md). It is precompiled
/// (ReadyToRun) with the rest, and tiered up in the background. It was once compiled fully optimized at its
/// first call (AggressiveOptimization), which ReadyToRun cannot precompile, because reaching tiered
/// compilation's final code through instrumented code and on-stack replacement cost more than it saved when
/// the interpreter ran everything. Now that native code runs nearly every step, that first compile (about
/// 40 ms of the main thread) only held up every start: hello.elf's process took 20-30 ms less without it.
/// <para>
/// The loop is mostly bound by latency, the guest's registers chained through memory, and by mispredicted
/// host branches, so the fast forms aim at a short chain from operands to result (one kind per common
/// addressing or shift form rather than tests at run time) and at no branch on data (flags and CSEL with
/// SETcc and masks). Nothing on the fast path allocates: no closures, boxing or arrays, only locals and the
/// fields and pinned arrays behind them, so a run never waits on the GC.
/// </para>
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    /// <summary>The pc of the instruction being executed when a slow path was entered: where a fault is taken.</summary>
    private ulong _faultPc;

    /// <summary>Selects <see cref="RunDecoded{TBreakpoints}"/>'s copy: with breakpoint checks only while breakpoints are set.</summary>
    private CpuStopOrRun RunDecoded() =>
        _breakpoints.Count > 0 ? RunDecoded<CheckBreakpoints>() : RunDecoded<NoBreakpoints>();

    /// <summary>
    /// Type arguments of <see cref="RunDecoded{TBreakpoints}"/>: the JIT compiles one copy per struct type and
    /// folds <c>typeof(T) == typeof(CheckBreakpoints)</c> to a constant, so the copy run without breakpoints
    /// has no test for them at all (and one register more for the loop).
    /// </summary>
    private struct CheckBreakpoints;

    private struct NoBreakpoints;

    private CpuStopOrRun RunDecoded<TBreakpoints>() where TBreakpoints : struct
    {
        bool checkBreakpoints = typeof(TBreakpoints) == typeof(CheckBreakpoints);
        ulong* x = _xp;
        ulong pc = Pc;
        ulong ic = Icount;
        // The slot of the instruction at pc. After an instruction that goes on to pc + 4 it is advanced to the
        // next slot without recomputing it from pc: see the tail of the loop.
        ref A64Op d = ref Unsafe.NullRef<A64Op>();
        // From the top: an instruction whose slot is found from pc (after a jump, a new page, or a slow path).
    top:
        {
            if (ic >= _sliceEnd) goto end;
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
                    goto top;
                }
            }
            d = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_fetchSlots), (nint)((pc >> 2) & 1023));
            // Places reached from the top (jump targets, page entries) are where compiled regions start.
            if (_jit != null && d.Kind != A64Kind.Jit && VisitIsHot(pc, _jit.FirstThreshold)) CompileRegion(pc);
        dispatch:
            switch (d.Kind)
            {
                case A64Kind.Empty:
                    d = Decode(*(uint*)(_fetchHost + (pc & 0xfff)));
                    // Its line now holds code: stores into it are reported (see PageCodeCache.CodeLines).
                    *_fetchLines |= 1UL << (int)((pc >> Core.Memory.PageCodeCache<A64Op>.LineShift) & 63);
                    goto dispatch;
                case A64Kind.Jit:
                    {
                        // A compiled region: entered only with room in the slice for its whole first block,
                        // with no breakpoint on any of its instructions, and never while a spin is examined
                        // one step at a time.
                        if (_spinExamining) goto default;
                        var block = _jit!.Block((int)d.Imm);
                        if (ic + (ulong)block.EntryLength > _sliceEnd) goto default;
                        if (checkBreakpoints && BreakpointIn(pc & ~0xfffUL, block)) goto default;
                        ulong steps;
                        if (block.Native != 0)
                        {
                            if (!block.ShouldCall()) goto default;
                            steps = RunNative(block.Native, x, pc, ic, _sliceEnd, chain: !checkBreakpoints);
                            block.Ran(steps != 0);
                        }
                        else steps = block.Code!(this, x, pc, ic, _sliceEnd);
                        RegionRuns++;
                        // No step: its first instruction needs the interpreter's slow path, alone.
                        if (steps == 0)
                        {
                            RegionDeclines++;
                            goto default;
                        }
                        RegionSteps += steps;
                        pc = Pc;
                        ic += steps;
                        goto top;
                    }
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
                    if (TryFuseBranch(ref d, ref pc, ref ic, checkBreakpoints)) goto jumped;
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
                        _nzcv = LogicalFlags(r, d.Mask == ulong.MaxValue);
                        x[d.Rd] = r;
                        if (TryFuseBranch(ref d, ref pc, ref ic, checkBreakpoints)) goto jumped;
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
                case A64Kind.Ubfm64:
                    x[d.Rd] = BitOperations.RotateRight(x[d.Rn], d.Shift) & d.Imm;
                    break;
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
                        _nzcv = LogicalFlags(r, sf);
                        x[d.Rd] = r;
                        if (TryFuseBranch(ref d, ref pc, ref ic, checkBreakpoints)) goto jumped;
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
                        if (TryFuseBranch(ref d, ref pc, ref ic, checkBreakpoints)) goto jumped;
                        break;
                    }
                case A64Kind.AddLsl64:
                    x[d.Rd] = x[d.Rn] + (x[d.Rm] << d.Shift);
                    break;
                case A64Kind.AddLsr64:
                    x[d.Rd] = x[d.Rn] + (x[d.Rm] >> d.Shift);
                    break;
                case A64Kind.SubLsl64:
                    x[d.Rd] = x[d.Rn] - (x[d.Rm] << d.Shift);
                    break;
                case A64Kind.SubLsr64:
                    x[d.Rd] = x[d.Rn] - (x[d.Rm] >> d.Shift);
                    break;
                case A64Kind.AndLsl64:
                    x[d.Rd] = x[d.Rn] & (x[d.Rm] << d.Shift);
                    break;
                case A64Kind.AndLsr64:
                    x[d.Rd] = x[d.Rn] & (x[d.Rm] >> d.Shift);
                    break;
                case A64Kind.OrrLsl64:
                    x[d.Rd] = x[d.Rn] | (x[d.Rm] << d.Shift);
                    break;
                case A64Kind.OrrLsr64:
                    x[d.Rd] = x[d.Rn] | (x[d.Rm] >> d.Shift);
                    break;
                case A64Kind.EorLsl64:
                    x[d.Rd] = x[d.Rn] ^ (x[d.Rm] << d.Shift);
                    break;
                case A64Kind.EorLsr64:
                    x[d.Rd] = x[d.Rn] ^ (x[d.Rm] >> d.Shift);
                    break;
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
                        // Without a branch: the condition is often data (a test of a computed bit), which a
                        // branch would mispredict half the time. The variants as (Rm ^ invert) + increment:
                        // CSEL (0, 0), CSINC (0, 1), CSINV (ones, 0), CSNEG (ones, 1).
                        ulong alt = (x[d.Rm] ^ (0 - (ulong)(d.ShiftType >> 1))) + (ulong)(d.ShiftType & 1);
                        ulong take = 0 - (ulong)Bit(Holds(d.Aux));
                        x[d.Rd] = ((x[d.Rn] & take) | (alt & ~take)) & d.Mask;
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
                // A taken branch sets pc and leaves through "jumped" (its slot is found from pc); one not taken
                // goes on to the next slot like any other instruction.
                case A64Kind.B:
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.Bl:
                    x[30] = pc + 4;
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.BCond:
                    if (!Holds(d.Aux)) break;
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.Cbz:
                    if ((x[d.Rd] & d.Mask) != 0) break;
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.Cbnz:
                    if ((x[d.Rd] & d.Mask) == 0) break;
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.Tbz:
                    if (((x[d.Rd] >> d.Shift) & 1) != 0) break;
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.Tbnz:
                    if (((x[d.Rd] >> d.Shift) & 1) == 0) break;
                    pc += d.Imm;
                    goto jumped;
                case A64Kind.Br:
                    pc = x[d.Rn];
                    goto jumped;
                case A64Kind.Blr:
                    {
                        ulong target = x[d.Rn];
                        x[30] = pc + 4;
                        pc = target;
                        goto jumped;
                    }
                // Loads and stores: one case per addressing form, so none tests the form at run time. Every
                // field is read before the access: a slow path may write RAM and clear this slot.
                case A64Kind.LdrImm:
                    {
                        int rd = d.Rd, size = d.Size;
                        byte mode = d.Aux;
                        ulong v = LoadGpr((d.Rn == 31 ? Sp : x[d.Rn]) + d.Imm, size, pc, ic);
                        x[rd] = mode == 0 ? v : Extend(v, mode, size);
                        break;
                    }
                case A64Kind.Ldr64Imm:
                    {
                        ulong address = (d.Rn == 31 ? Sp : x[d.Rn]) + d.Imm;
                        if (TryLoad64(address, out ulong v))
                        {
                            x[d.Rd] = v;
                            break;
                        }
                        // Rd before the slow path, which may write RAM and clear this slot.
                        int rd = d.Rd;
                        v = LoadSlow(address, 8, pc, ic);
                        x[rd] = v;
                        break;
                    }
                case A64Kind.Ldr64Reg:
                    {
                        ulong address = (d.Rn == 31 ? Sp : x[d.Rn]) + (x[d.Rm] << d.Shift);
                        if (TryLoad64(address, out ulong v))
                        {
                            x[d.Rd] = v;
                            break;
                        }
                        int rd = d.Rd;
                        v = LoadSlow(address, 8, pc, ic);
                        x[rd] = v;
                        break;
                    }
                case A64Kind.Str64Imm:
                    Store64((d.Rn == 31 ? Sp : x[d.Rn]) + d.Imm, x[d.Rd], pc, ic);
                    break;
                case A64Kind.Str64Reg:
                    Store64((d.Rn == 31 ? Sp : x[d.Rn]) + (x[d.Rm] << d.Shift), x[d.Rd], pc, ic);
                    break;
                case A64Kind.LdrReg:
                    {
                        int rd = d.Rd, size = d.Size;
                        byte mode = d.Aux;
                        ulong v = LoadGpr((d.Rn == 31 ? Sp : x[d.Rn]) + ExtendedOperand(x[d.Rm], ref d), size, pc, ic);
                        x[rd] = mode == 0 ? v : Extend(v, mode, size);
                        break;
                    }
                case A64Kind.LdrPre:
                case A64Kind.LdrPost:
                    {
                        int rd = d.Rd, rn = d.Rn, size = d.Size;
                        byte mode = d.Aux;
                        ulong baseAddress = rn == 31 ? Sp : x[rn], after = baseAddress + d.Imm;
                        ulong v = LoadGpr(d.Kind == A64Kind.LdrPost ? baseAddress : after, size, pc, ic);
                        x[rd] = mode == 0 ? v : Extend(v, mode, size);
                        if (rn == 31) Sp = after;
                        else x[rn] = after;
                        break;
                    }
                case A64Kind.StrImm:
                    {
                        int size = d.Size;
                        ulong value = x[d.Rd];
                        StoreGpr((d.Rn == 31 ? Sp : x[d.Rn]) + d.Imm, size, value, pc, ic);
                        break;
                    }
                case A64Kind.StrReg:
                    {
                        int size = d.Size;
                        ulong value = x[d.Rd];
                        StoreGpr((d.Rn == 31 ? Sp : x[d.Rn]) + ExtendedOperand(x[d.Rm], ref d), size, value, pc, ic);
                        break;
                    }
                case A64Kind.StrPre:
                case A64Kind.StrPost:
                    {
                        int rn = d.Rn, size = d.Size;
                        ulong baseAddress = rn == 31 ? Sp : x[rn], after = baseAddress + d.Imm;
                        ulong value = x[d.Rd];
                        StoreGpr(d.Kind == A64Kind.StrPost ? baseAddress : after, size, value, pc, ic);
                        if (rn == 31) Sp = after;
                        else x[rn] = after;
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
                        Pc = pc + 4;
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
                        Pc = pc + 4;
                        Icount = ic;
                        _faultPc = pc;
                        Execute(d.Insn, pc);
                        pc = Pc;
                        ic = Icount;
                        if (_waiting)
                        {
                            Pc = pc;
                            Icount = ic + 1;
                            return CpuStopOrRun.Idle;
                        }
                        goto jumped;
                    }
            }
            // On to pc + 4. Its slot is the next one when the fetch window still holds pc's page: only the top
            // refills the window (and recomputes d), so a window that still matches is the one d points into,
            // while a page crossing or anything a slow path dropped (TLB flush, page drop) fails the compare.
            pc += 4;
            ic++;
            if (checkBreakpoints || ic >= _sliceEnd || (pc & ~0xffcUL) != _fetchPage) goto top;
            d = ref Unsafe.Add(ref d, 1);
            goto dispatch;
        }
        // pc already holds the next instruction's address (a taken branch, the full decoder).
    jumped:
        ic++;
        goto top;
    end:
        Pc = pc;
        Icount = ic;
        return CpuStopOrRun.Limit;
    }

    /// <summary>
    /// A general-register load of <paramref name="size"/> bytes: inline when RAM is untranslated or the data
    /// TLB maps the page, else through <see cref="LoadSlow"/> (which may fault at <paramref name="pc"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong LoadGpr(ulong address, int size, ulong pc, ulong ic)
    {
        ulong off = address - _ramBase;
        if (off < _fastAccessLimit || DataTlbLoadHit(address, ref off))
        {
            byte* p = _ramPtr + off;
            return size switch
            {
                8 => *(ulong*)p,
                4 => *(uint*)p,
                2 => *(ushort*)p,
                _ => *p,
            };
        }
        return LoadSlow(address, size, pc, ic);
    }

    /// <summary>
    /// An 8-byte load served inline (untranslated RAM or a data TLB hit), else false: the caller then reads
    /// what it needs from its slot and takes <see cref="LoadSlow"/>, so nothing of the slot is kept in a
    /// register across the call on the fast path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryLoad64(ulong address, out ulong value)
    {
        ulong off = address - _ramBase;
        if (off < _fastAccessLimit || DataTlbLoadHit(address, ref off))
        {
            value = *(ulong*)(_ramPtr + off);
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary><see cref="StoreGpr"/> of 8 bytes, with no test of the size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store64(ulong address, ulong value, ulong pc, ulong ic)
    {
        ulong off = address - _ramBase;
        if (off < _fastAccessLimit || DataTlbStoreHit(address, ref off))
        {
            *(ulong*)(_ramPtr + off) = value;
            _ram.NoteWrite(off);
            // An untranslated store may end in the next page, which has its own code slots.
            if ((off & 0xfff) > 0xff8) _ram.NoteWrite(off + 7);
            return;
        }
        StoreSlow(address, 8, value, pc, ic);
    }

    /// <summary>As <see cref="LoadGpr"/> for stores; hits still report to NoteWrite (dirty pages, decoded code).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreGpr(ulong address, int size, ulong value, ulong pc, ulong ic)
    {
        ulong off = address - _ramBase;
        if (off < _fastAccessLimit || DataTlbStoreHit(address, ref off))
        {
            byte* p = _ramPtr + off;
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
            return;
        }
        StoreSlow(address, size, value, pc, ic);
    }

    /// <summary>The full load path, out of the loop: stores pc and the count where <see cref="ExecuteSlice"/> takes a fault.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong LoadSlow(ulong address, int size, ulong pc, ulong ic)
    {
        Pc = pc + 4;
        Icount = ic;
        _faultPc = pc;
        return LoadAndFill(address, size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void StoreSlow(ulong address, int size, ulong value, ulong pc, ulong ic)
    {
        Pc = pc + 4;
        Icount = ic;
        _faultPc = pc;
        StoreAndFill(address, size, value);
    }

    /// <summary>
    /// After an instruction that set the flags: when the next instruction is a B.cond already decoded in the
    /// same page, runs it too, in the same dispatch (compare-and-branch is the commonest pair). Not when the
    /// slice ends after this instruction (the count stays exact, and pending interrupts are taken between the
    /// two as before) or while breakpoints are checked (one may be on the branch).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFuseBranch(ref A64Op d, ref ulong pc, ref ulong ic, bool checkBreakpoints)
    {
        if ((pc & 0xffc) == 0xffc || checkBreakpoints || ic + 1 >= _sliceEnd) return false;
        ref A64Op b = ref Unsafe.Add(ref d, 1);
        if (b.Kind != A64Kind.BCond) return false;
        // The flag setter is counted here, the branch by the caller ("jumped"), which finds the next slot from pc.
        ic++;
        pc += Holds(b.Aux) ? 4 + b.Imm : 8;
        return true;
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
        // The vacated bits (those Imm clears within the width) take the sign, for ASR only.
        return (r & d.Imm) | (sign & ~d.Imm & d.Mask & (ulong)(long)(sbyte)d.SignFill);
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
    internal static ulong Shifted(ulong value, int type, int amount, bool sf)
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
