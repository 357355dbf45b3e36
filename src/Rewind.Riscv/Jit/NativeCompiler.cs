using Rewind.Core.Native;
using Rewind.Riscv.Decode;
using static Rewind.Core.Native.X64Reg;

namespace Rewind.Riscv.Jit;

/// <summary>
/// The first tier of the block compiler: translates a region (<see cref="Region"/>) straight into x86-64
/// machine code, in microseconds, where the runtime's JIT takes a fraction of a millisecond per body. So a
/// kernel's warm code, run hundreds rather than millions of times, is worth compiling. The code is a
/// baseline: guest registers stay in the hart's register array and each instruction is a short template.
/// <para>
/// The code never calls back into .NET. Whatever it cannot finish on its own (a load or store that misses
/// the TLB, reaches a device, writes a page that is clean or watched, or crosses a page; an instruction
/// it does not translate) ends the run <em>before</em> that instruction, with the pc and count exact, and
/// the interpreter executes it. So traps, device accesses, code invalidation and dirty-page tracking all
/// stay on the interpreter's paths, and a native body is safe to call without a GC transition.
/// </para>
/// <para>
/// Calling convention (System V): rdi = <see cref="NativeContext"/>*, rsi = the guest registers, rdx =
/// the entry's pc, rcx = the count on entry, r8 = the slice end. It returns the steps taken and leaves
/// the next pc in <see cref="NativeContext.Pc"/>. Inside, r9 holds the entry pc, r10 the count at the
/// start of the running block, r11 the slice end, r8 the count on entry; rax, rcx and rdx are scratch.
/// </para>
/// </summary>
internal sealed class NativeCompiler
{
    private readonly X64Assembler _a = new();
    // The region's blocks by their offset from the entry (at most Region.MaxWholeBlocks: a linear search),
    // and the cold exits to emit after them. Arrays of our own structs, not a Dictionary or List of tuples:
    // ReadyToRun precompiles these, not those, and translating is on the hart's critical path.
    private readonly Start[] _starts = new Start[Region.MaxWholeBlocks];
    private int _startCount;
    private ColdExit[] _exits = new ColdExit[64];
    private int _exitCount;
    private Region _region = null!;
    private int _length;

    private const X64Reg Ctx = Rdi, Regs = Rsi, EntryPc = R9, BlockCount = R10, SliceEnd = R11, EntryCount = R8;

    /// <summary>Bytes of the prologue, which sets r8-r11 from the arguments: a body entered from another (<see cref="NativeRoutines"/>' Chain) starts after it.</summary>
    public const int PrologueBytes = 12;

    /// <summary>True for the operations native code runs itself; a block ends before any other.</summary>
    public static bool Supports(Op op) =>
        op is (>= Op.Lui and <= Op.Sraw) or Op.Fence or Op.FenceI or Op.Mul or Op.Mulw
        || NativeAmo(op);

    /// <summary>
    /// The AMOs native code runs itself: swap, add, and the bitwise ones, the kernel's atomics and
    /// spinlocks. Min and max are rare; LR and SC need the reservation, which lives in the hart.
    /// </summary>
    private static bool NativeAmo(Op op) =>
        op is (>= Op.AmoSwapW and <= Op.AmoOrW) or (>= Op.AmoSwapD and <= Op.AmoOrD);

    /// <summary>Translates <paramref name="region"/>; the bytes are valid until the next call.</summary>
    public ReadOnlySpan<byte> Translate(Region region)
    {
        _a.Reset();
        _startCount = 0;
        _exitCount = 0;
        _region = region;
        foreach (ref readonly var b in region.Blocks)
            _starts[_startCount++] = new Start(b.Start - region.Entry, _a.NewLabel(), b.Insns.Length);

        _a.Mov(EntryPc, Rdx);
        _a.Mov(BlockCount, Rcx);
        _a.Mov(SliceEnd, R8);
        _a.Mov(EntryCount, Rcx);
        if (_a.Length != PrologueBytes) throw new InvalidOperationException("the prologue is not the length chained entries skip");
        for (int i = 0; i < _startCount; i++)
        {
            ref readonly var b = ref region.Blocks[i];
            int offset = b.Start - region.Entry;
            _a.Bind(_starts[i].Label);
            _length = b.Insns.Length;
            bool ended = false;
            for (int k = 0; k < b.Insns.Length && !ended; k++)
            {
                ref DecodedInsn d = ref b.Insns[k];
                ended = Instruction(ref d, k, offset);
                offset += d.Length;
            }
            if (!ended) Goto(offset);
        }
        // Cold exits, out of line: each leaves before instruction Steps of its block, at its pc.
        for (int i = 0; i < _exitCount; i++)
        {
            _a.Bind(_exits[i].Label);
            Leave(NativeContext.MissRoutineOffset, _exits[i].PcOffset, _exits[i].Steps);
        }
        _a.Finish();
        return _a.Code;
    }

    /// <summary>Leaves with the pc at the entry plus <paramref name="pcOffset"/>, <paramref name="steps"/> into the running block.</summary>
    private void Exit(long pcOffset, int steps) => Leave(NativeContext.ExitRoutineOffset, pcOffset, steps);

    /// <summary>Jumps to the shared exit routine at <paramref name="routine"/> in the context, with its arguments.</summary>
    private void Leave(int routine, long pcOffset, int steps)
    {
        _a.MovImm(Rdx, checked((int)pcOffset));
        _a.MovImm(Rcx, steps);
        _a.JumpMem(Ctx, routine);
    }

    /// <summary>A jump to the cold exit that leaves before instruction <paramref name="k"/> at <paramref name="o"/>.</summary>
    private X64Label ExitBefore(int k, int o)
    {
        var label = _a.NewLabel();
        if (_exitCount == _exits.Length) Array.Resize(ref _exits, _exits.Length * 2);
        _exits[_exitCount++] = new ColdExit(label, o, k);
        return label;
    }

    private readonly record struct Start(int Offset, X64Label Label, int Length);

    private readonly record struct ColdExit(X64Label Label, int PcOffset, int Steps);

    /// <summary>The index of the region's block <paramref name="offset"/> bytes from the entry, or -1.</summary>
    private int StartAt(long offset)
    {
        for (int i = 0; i < _startCount; i++)
            if (_starts[i].Offset == offset) return i;
        return -1;
    }

    /// <summary>
    /// Leaves the running block, all of it run, for <paramref name="target"/> bytes from the entry: on to
    /// the region's block there if the slice has room for all of it, otherwise out with the pc there.
    /// </summary>
    private void Goto(long target)
    {
        int index = StartAt(target);
        if (index >= 0)
        {
            NativeRegions.GoOnIfRoom(_a, BlockCount, SliceEnd, Rax, _length, _starts[index].Length, _starts[index].Label);
            Exit(target, _length);
            return;
        }
        // Out of the region: on to the body placed there, if any and it fits, else back to the hart.
        PcPlus(Rdx, target);
        _a.MovImm(Rcx, _length);
        _a.JumpMem(Ctx, NativeContext.ChainRoutineOffset);
    }

    private static int Reg(int r) => r * 8;

    private bool Instruction(ref DecodedInsn d, int k, int o)
    {
        var a = _a;
        int next = o + d.Length;
        switch (d.Op)
        {
            case Op.Lui:
                a.MovImm(Rax, d.Imm);
                a.Store(Regs, Reg(d.Rd), Rax);
                return false;
            case Op.Auipc:
                PcPlus(Rax, o + (long)d.Imm);
                a.Store(Regs, Reg(d.Rd), Rax);
                return false;
            case Op.Jal:
                PcPlus(Rax, next);
                a.Store(Regs, Reg(d.Rd), Rax);
                Goto(o + (long)d.Imm);
                return true;
            case Op.Jalr:
                {
                    // The target first: rd may be rs1.
                    a.Load(Rcx, Regs, Reg(d.Rs1));
                    if (d.Imm != 0) a.AluImm(X64Alu.Add, Rcx, d.Imm);
                    a.AluImm(X64Alu.And, Rcx, -2);
                    PcPlus(Rax, next);
                    a.Store(Regs, Reg(d.Rd), Rax);
                    // On to whatever body is placed at the target (comparing with every block of the region
                    // made bodies long; in a kernel an indirect jump is mostly a return to another page anyway).
                    a.Mov(Rdx, Rcx);
                    a.MovImm(Rcx, _length);
                    a.JumpMem(Ctx, NativeContext.ChainRoutineOffset);
                    return true;
                }
            case >= Op.Beq and <= Op.Bgeu:
                {
                    var taken = a.NewLabel();
                    a.Load(Rax, Regs, Reg(d.Rs1));
                    a.AluMem(X64Alu.Cmp, Rax, Regs, Reg(d.Rs2));
                    a.JumpIf(d.Op switch
                    {
                        Op.Beq => X64Cond.E,
                        Op.Bne => X64Cond.NE,
                        Op.Blt => X64Cond.L,
                        Op.Bge => X64Cond.GE,
                        Op.Bltu => X64Cond.B,
                        _ => X64Cond.AE,
                    }, taken);
                    Goto(next);
                    a.Bind(taken);
                    Goto(o + (long)d.Imm);
                    return true;
                }

            case >= Op.Lb and <= Op.Lwu:
                {
                    var (size, signed) = d.Op switch
                    {
                        Op.Lb => (1, true),
                        Op.Lh => (2, true),
                        Op.Lw => (4, true),
                        Op.Ld => (8, false),
                        Op.Lbu => (1, false),
                        Op.Lhu => (2, false),
                        _ => (4, false),
                    };
                    Address(ref d);
                    Translate(NativeContext.LoadRoutineOffsetFor(size), ExitBefore(k, o));
                    a.LoadExtend(Rax, Rdx, 0, size, signed);
                    a.Store(Regs, Reg(d.Rd), Rax);
                    return false;
                }
            case >= Op.Sb and <= Op.Sd:
                {
                    int size = d.Op switch { Op.Sb => 1, Op.Sh => 2, Op.Sw => 4, _ => 8 };
                    Address(ref d);
                    Translate(NativeContext.StoreRoutineOffsetFor(size), ExitBefore(k, o));
                    a.Load(Rcx, Regs, Reg(d.Rs2));
                    a.StoreSized(Rdx, 0, Rcx, size);
                    return false;
                }

            case Op.Addi: AluImm(X64Alu.Add, ref d); return false;
            case Op.Xori: AluImm(X64Alu.Xor, ref d); return false;
            case Op.Ori: AluImm(X64Alu.Or, ref d); return false;
            case Op.Andi: AluImm(X64Alu.And, ref d); return false;
            case Op.Slti: CompareImm(X64Cond.L, ref d); return false;
            case Op.Sltiu: CompareImm(X64Cond.B, ref d); return false;
            case Op.Slli: ShiftImm(X64Shift.Shl, ref d, wide: true); return false;
            case Op.Srli: ShiftImm(X64Shift.Shr, ref d, wide: true); return false;
            case Op.Srai: ShiftImm(X64Shift.Sar, ref d, wide: true); return false;
            case Op.Add: Alu(X64Alu.Add, ref d, wide: true); return false;
            case Op.Sub: Alu(X64Alu.Sub, ref d, wide: true); return false;
            case Op.Xor: Alu(X64Alu.Xor, ref d, wide: true); return false;
            case Op.Or: Alu(X64Alu.Or, ref d, wide: true); return false;
            case Op.And: Alu(X64Alu.And, ref d, wide: true); return false;
            case Op.Slt: Compare(X64Cond.L, ref d); return false;
            case Op.Sltu: Compare(X64Cond.B, ref d); return false;
            case Op.Sll: Shift(X64Shift.Shl, ref d, wide: true); return false;
            case Op.Srl: Shift(X64Shift.Shr, ref d, wide: true); return false;
            case Op.Sra: Shift(X64Shift.Sar, ref d, wide: true); return false;

            case Op.Addiw: AluImm(X64Alu.Add, ref d, wide: false); return false;
            case Op.Slliw: ShiftImm(X64Shift.Shl, ref d, wide: false); return false;
            case Op.Srliw: ShiftImm(X64Shift.Shr, ref d, wide: false); return false;
            case Op.Sraiw: ShiftImm(X64Shift.Sar, ref d, wide: false); return false;
            case Op.Addw: Alu(X64Alu.Add, ref d, wide: false); return false;
            case Op.Subw: Alu(X64Alu.Sub, ref d, wide: false); return false;
            case Op.Sllw: Shift(X64Shift.Shl, ref d, wide: false); return false;
            case Op.Srlw: Shift(X64Shift.Shr, ref d, wide: false); return false;
            case Op.Sraw: Shift(X64Shift.Sar, ref d, wide: false); return false;

            case Op.Mul:
            case Op.Mulw:
                {
                    bool wide = d.Op == Op.Mul;
                    a.Load(Rax, Regs, Reg(d.Rs1));
                    a.ImulMem(Rax, Regs, Reg(d.Rs2), wide);
                    StoreResult(d.Rd, wide);
                    return false;
                }

            case >= Op.AmoSwapW and <= Op.AmoOrW:
            case >= Op.AmoSwapD and <= Op.AmoOrD:
                Amo(ref d, ExitBefore(k, o));
                return false;

            case Op.Fence:
            case Op.FenceI:
                // As in the interpreter: stores already invalidate the code they overwrite.
                return false;
            default:
                // Never placed in a native region (Supports says so); leave before it all the same.
                Exit(o, k);
                return true;
        }
    }

    /// <summary>
    /// An AMO on a plain dirty RAM page, as the interpreter's: rd = the old value (a word sign-extended),
    /// memory = old op rs2. A misaligned address, or one the store routine leaves to the interpreter,
    /// leaves before the instruction: the interpreter raises the fault or takes the slow path. A write
    /// TLB hit is enough, as in the interpreter: a valid PTE that allows writes allows reads. Harts run
    /// in turns on one thread, so the read and write need no host atomicity.
    /// </summary>
    private void Amo(ref DecodedInsn d, X64Label miss)
    {
        bool word = d.Op <= Op.AmoMaxuW;
        int size = word ? 4 : 8;
        Op op = word ? d.Op : d.Op - (Op.AmoSwapD - Op.AmoSwapW);
        _a.Load(Rax, Regs, Reg(d.Rs1));
        _a.Mov(Rcx, Rax);
        _a.AluImm(X64Alu.And, Rcx, size - 1, wide: false);
        _a.JumpIf(X64Cond.NE, miss);
        Translate(NativeContext.StoreRoutineOffsetFor(size), miss);
        _a.LoadExtend(Rax, Rdx, 0, size, signed: true);
        _a.Load(Rcx, Regs, Reg(d.Rs2));
        switch (op)
        {
            case Op.AmoAddW: _a.AluReg(X64Alu.Add, Rcx, Rax); break;
            case Op.AmoXorW: _a.AluReg(X64Alu.Xor, Rcx, Rax); break;
            case Op.AmoAndW: _a.AluReg(X64Alu.And, Rcx, Rax); break;
            case Op.AmoOrW: _a.AluReg(X64Alu.Or, Rcx, Rax); break;
            default: break; // swap: memory takes rs2 as it is
        }
        _a.StoreSized(Rdx, 0, Rcx, size);
        _a.Store(Regs, Reg(d.Rd), Rax);
    }

    /// <summary>dst = the entry's pc plus <paramref name="offset"/>.</summary>
    private void PcPlus(X64Reg dst, long offset) => NativeRegions.PcPlus(_a, dst, EntryPc, offset);

    /// <summary>rax = rs1 + imm: the access's virtual address.</summary>
    private void Address(ref DecodedInsn d)
    {
        _a.Load(Rax, Regs, Reg(d.Rs1));
        if (d.Imm != 0) _a.AluImm(X64Alu.Add, Rax, d.Imm);
    }

    /// <summary>
    /// Calls the shared routine that turns the virtual address in rax into a host pointer in rdx (see
    /// <see cref="NativeRoutines"/>), and goes to <paramref name="miss"/> when it returns none.
    /// </summary>
    private void Translate(int routine, X64Label miss)
    {
        _a.CallMem(Ctx, routine);
        _a.Test(Rdx, Rdx);
        _a.JumpIf(X64Cond.E, miss);
    }

    /// <summary>Writes rax to rd, sign-extending its low word first for the 32-bit forms.</summary>
    private void StoreResult(int rd, bool wide)
    {
        if (!wide) _a.SignExtend32(Rax, Rax);
        _a.Store(Regs, Reg(rd), Rax);
    }

    private void Alu(X64Alu op, ref DecodedInsn d, bool wide)
    {
        _a.Load(Rax, Regs, Reg(d.Rs1));
        _a.AluMem(op, Rax, Regs, Reg(d.Rs2), wide);
        StoreResult(d.Rd, wide);
    }

    private void AluImm(X64Alu op, ref DecodedInsn d, bool wide = true)
    {
        _a.Load(Rax, Regs, Reg(d.Rs1));
        if (d.Imm != 0 || op == X64Alu.And) _a.AluImm(op, Rax, d.Imm, wide);
        StoreResult(d.Rd, wide);
    }

    private void Compare(X64Cond cond, ref DecodedInsn d)
    {
        _a.Load(Rax, Regs, Reg(d.Rs1));
        _a.AluMem(X64Alu.Cmp, Rax, Regs, Reg(d.Rs2));
        _a.SetCond(cond, Rax);
        _a.Store(Regs, Reg(d.Rd), Rax);
    }

    private void CompareImm(X64Cond cond, ref DecodedInsn d)
    {
        _a.Load(Rax, Regs, Reg(d.Rs1));
        _a.AluImm(X64Alu.Cmp, Rax, d.Imm);
        _a.SetCond(cond, Rax);
        _a.Store(Regs, Reg(d.Rd), Rax);
    }

    private void ShiftImm(X64Shift op, ref DecodedInsn d, bool wide)
    {
        _a.Load(Rax, Regs, Reg(d.Rs1));
        if (d.Imm != 0) _a.ShiftImm(op, Rax, d.Imm, wide);
        StoreResult(d.Rd, wide);
    }

    private void Shift(X64Shift op, ref DecodedInsn d, bool wide)
    {
        _a.Load(Rcx, Regs, Reg(d.Rs2));
        _a.Load(Rax, Regs, Reg(d.Rs1));
        _a.ShiftCl(op, Rax, wide);
        StoreResult(d.Rd, wide);
    }
}
