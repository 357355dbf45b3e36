using Rewind.Arm64.Decode;
using Rewind.Core.Native;
using static Rewind.Core.Native.X64Reg;
using Ctx = Rewind.Arm64.Jit.ArmNativeContext;

namespace Rewind.Arm64.Jit;

/// <summary>
/// The Arm block compiler's native tier: translates a region straight into x86-64 machine code, in
/// microseconds where the runtime's JIT takes milliseconds per region (<see cref="ArmBlockCompiler"/>, used
/// where there is no native tier). So a kernel's warm code, run hundreds rather than millions of times, is
/// worth compiling. Each instruction is a short template; the guest registers the region names most are kept
/// in host registers (ArmNativeCompiler.Registers.cs), the rest in the CPU's register array; NZCV is kept in
/// the host's form (ArmNativeCompiler.Flags.cs).
/// <para>
/// The code never calls back into .NET. Whatever it cannot finish on its own (a load or store that misses
/// the TLB, reaches a device, writes a page that is clean, watched or holds code; an instruction it does
/// not translate) ends the run <em>before</em> that instruction, with the pc and count exact, and the
/// interpreter executes it. So faults, devices, code invalidation and dirty-page tracking stay on the
/// interpreter's paths, and a body is safe to call without a GC transition.
/// </para>
/// <para>
/// Calling convention (System V): rdi = the context (<see cref="ArmNativeContext"/>), rsi = the general
/// registers, rdx = the entry's pc, rcx = the count on entry, r8 = the slice end. It returns the steps
/// taken and leaves the next pc in the context. Inside, r10 holds the count at the start of the running block
/// and r11 the slice end (the entry's pc and count go to the context); rax, rcx and rdx are scratch; rbx, rbp,
/// r8, r9 and r12-r15 hold the guest registers the body keeps (see <see cref="CacheRegs"/>).
/// </para>
/// </summary>
internal sealed partial class ArmNativeCompiler
{
    private readonly X64Assembler _a = new();
    // The region's blocks by their offset from the entry, and the cold exits to emit after them. Arrays of our
    // own structs, not lists of tuples, as in RISC-V's NativeCompiler: ReadyToRun precompiles these, and
    // translating is on the CPU's thread.
    private Start[] _starts = new Start[ArmRegion.MaxBlocks];
    private int _startCount;
    private ColdExit[] _exits = new ColdExit[64];
    private int _exitCount;
    private CodeLineCheck[] _lineChecks = new CodeLineCheck[16];
    private int _lineCheckCount;
    private X64Label _exitRelative, _chain;
    private int _length;

    private const X64Reg Context = Rdi, Regs = Rsi, BlockCount = R10, SliceEnd = R11;

    /// <summary>Whether the host has BMI2 (RORX, MULX: results into any register, the flags kept).</summary>
    private static readonly bool Bmi2 = System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported;

    /// <summary>
    /// Bytes of the prologue, which saves the callee-saved cache registers, puts the entry's pc and count in the
    /// context and sets r10 and r11: a body entered from another skips it.
    /// </summary>
    public const int PrologueBytes = 30;

    // The region was found with the MMU on (its accesses go to the data TLB first); the instruction just
    // emitted set NZCV and left it in the host's flags too.
    private bool _translated;
    private bool _flagsSet;
    /// <summary>The instructions of the block being emitted (a flag setter looks ahead in them).</summary>
    private A64Op[] _ops = [];

    /// <summary>The instructions native code runs itself; a block ends before any other.</summary>
    public static bool Supports(A64Op op) => op.Kind switch
    {
        // Of the full decoder's, the few a kernel runs between its calls: hints, barriers and prefetches
        // (which change nothing the interpreter keeps), and byte reversal (device trees are big-endian).
        A64Kind.Generic => IsNoOperation(op.Insn) || IsByteReverse(op.Insn) || IsCountLeadingZeros(op.Insn)
            || IsOrderedAccess(op.Insn) || IsExclusive(op.Insn) || IsKernelSystem(op.Insn),
        _ => ArmRegion.Supports(op.Kind),
    };

    /// <summary>
    /// PRFM (immediate), every hint but WFI (BTI, PACIASP without pointer authentication, YIELD, WFE and SEV
    /// act as NOP in the interpreter), and DSB, DMB, ISB and SB (barriers have nothing to order in it).
    /// </summary>
    internal static bool IsNoOperation(uint insn) =>
        (insn & 0xffc0_0000) == 0xf980_0000
        || ((insn & 0xffff_f01f) == 0xd503_201f && insn != 0xd503_207f)
        || ((insn & 0xffff_f01f) == 0xd503_301f && ((insn >> 5) & 7) >= 4);

    /// <summary>CLZ of a W or an X register, where the host has LZCNT.</summary>
    internal static bool IsCountLeadingZeros(uint insn) =>
        System.Runtime.Intrinsics.X86.Lzcnt.IsSupported && (insn & 0x7fff_fc00) == 0x5ac0_1000;

    /// <summary>LDAR and STLR of any size: ordinary accesses here, which must be aligned (an unaligned one faults).</summary>
    internal static bool IsOrderedAccess(uint insn) => (insn & 0x3fff_fc00) is 0x089f_fc00 or 0x08df_fc00;

    /// <summary>
    /// What a kernel runs between its calls at EL1: MRS of TPIDR_EL1, SP_EL0 and DAIF, MSR DAIFSet, and DC ZVA
    /// (clearing pages). Native code runs them at EL1 (it leaves before them at EL0, where they may trap), and DC
    /// ZVA at EL0 too where SCTLR_EL1.DZE allows it (user memset uses it; its stores go through the EL's TLB
    /// entries); where it traps, the interpreter raises the trap.
    /// </summary>
    internal static bool IsKernelSystem(uint insn) =>
        (insn & 0xffff_ffe0) is 0xd538_d080 or 0xd538_4100 or 0xd53b_4220 or 0xd50b_7420
        || (insn & 0xffff_f0ff) == 0xd503_40df;

    /// <summary>LDXR, LDAXR, STXR and STLXR of one register, any size (not the pairs).</summary>
    internal static bool IsExclusive(uint insn) => (insn & 0x3fe0_0000) is 0x0840_0000 or 0x0800_0000;

    /// <summary>REV of a W or an X register.</summary>
    internal static bool IsByteReverse(uint insn) =>
        (insn & 0xffff_fc00) == 0x5ac0_0800 || (insn & 0xffff_fc00) == 0xdac0_0c00;

    /// <summary>Translates <paramref name="region"/>; the bytes are valid until the next call.</summary>
    /// <param name="translated">The CPU's MMU is on: accesses go to the data TLB without the untranslated test first (either is correct, see <see cref="ArmRegion.Translated"/>).</param>
    public ReadOnlySpan<byte> Translate(ArmRegion region, bool translated = false)
    {
        _translated = translated;
        // A first pass counts how often each register is named, with none kept in a host register; the second
        // keeps the most named ones in the callee-saved registers. Both take microseconds.
        for (int r = 0; r < _home.Length; r++) _home[r] = NotKept;
        Array.Clear(_uses);
        Array.Clear(_written);
        Emit(region);
        // Nothing named twice: the first pass's code, which keeps no register, is the answer.
        if (Choose()) Emit(region);
        return _a.Code;
    }

    private void Emit(ArmRegion region)
    {
        var a = _a;
        a.Reset();
        _startCount = 0;
        _exitCount = 0;
        _lineCheckCount = 0;
        _exitRelative = a.NewLabel();
        _chain = a.NewLabel();
        if (_starts.Length < region.Blocks.Count) _starts = new Start[region.Blocks.Count];
        foreach (var b in region.Blocks) _starts[_startCount++] = new Start(b.Start - region.Entry, a.NewLabel(), b.Ops.Length);

        // The same prologue in every body (a chained entry skips it, and any body's epilogue undoes it).
        foreach (var r in CacheRegs)
            if (CalleeSaved(r)) a.Push(r);
        a.Store(Context, Ctx.EntryPc, Rdx);
        a.Store(Context, Ctx.EntryCount, Rcx);
        a.Mov(BlockCount, Rcx);
        a.Mov(SliceEnd, R8);
        if (a.Length != PrologueBytes) throw new InvalidOperationException("the prologue is not the length chained entries skip");
        // Every entry, chained or not, loads the registers this body keeps.
        for (int r = 0; r < _home.Length; r++)
        {
            if (!Kept(r, out var host)) continue;
            if (r == SpSlot) a.Load(host, Context, Ctx.Sp);
            else a.Load(host, Regs, Reg(r));
        }
        for (int i = 0; i < region.Blocks.Count; i++)
        {
            var b = region.Blocks[i];
            _ops = b.Ops;
            int offset = b.Start - region.Entry;
            a.Bind(_starts[i].Label);
            _length = b.Ops.Length;
            _flagsSet = false; // a block is entered by jumps from elsewhere
            _compare.Valid = false;
            bool ended = false;
            for (int k = 0; k < b.Ops.Length && !ended; k++)
            {
                ended = Instruction(b.Ops[k], k, offset);
                offset += 4;
            }
            if (!ended) Goto(offset);
        }
        // Stores into watched pages, out of line: on when no line they touch holds code.
        for (int i = 0; i < _lineCheckCount; i++) CodeLineCheckBody(_lineChecks[i]);
        // Cold exits, out of line: each leaves before instruction Steps of its block, at its pc.
        for (int i = 0; i < _exitCount; i++)
        {
            a.Bind(_exits[i].Label);
            Exit(_exits[i].PcOffset, _exits[i].Steps);
        }
        // rdx = the pc offset from the entry, rcx = steps into the running block.
        a.Bind(_exitRelative);
        Flush();
        a.AluMem(X64Alu.Add, Rdx, Context, Ctx.EntryPc);
        a.Store(Context, Ctx.Pc, Rdx);
        a.Mov(Rax, BlockCount);
        a.AluReg(X64Alu.Add, Rax, Rcx);
        a.AluMem(X64Alu.Sub, Rax, Context, Ctx.EntryCount);
        Epilogue();
        Chain();
        a.Finish();
    }

    /// <summary>Undoes the prologue's pushes and returns (rax = the steps).</summary>
    private void Epilogue()
    {
        for (int i = CacheRegs.Length - 1; i >= 0; i--)
            if (CalleeSaved(CacheRegs[i])) _a.Pop(CacheRegs[i]);
        _a.Ret();
    }

    /// <summary>
    /// Chain (jumped to): rdx = the next pc (absolute), rcx = the steps of the block just run, all retired.
    /// Enters the native body placed at that pc, past its prologue, when its page's slots are found (the page
    /// the context holds, or another the fetch TLB knows) and the body's entry block fits the slice: the
    /// checks the interpreter makes between bodies, without going back to it. Otherwise leaves with the pc there.
    /// </summary>
    private void Chain()
    {
        var a = _a;
        var leave = a.NewLabel();
        var samePage = a.NewLabel();
        a.Bind(_chain);
        Flush();
        a.AluReg(X64Alu.Add, BlockCount, Rcx);
        a.Mov(Rax, Rdx);
        a.AluImm(X64Alu.And, Rax, -4096);
        a.AluMem(X64Alu.Cmp, Rax, Context, Ctx.SlotsPage);
        a.JumpIf(X64Cond.E, samePage);
        // Another page: its slots through the fetch TLB, as the interpreter's fetch window would find them.
        NativeRegions.TlbEntry(a, Rcx, Rdx, Arm64Cpu.FetchTlbEntries, Context, Ctx.FetchTlb);
        a.AluMem(X64Alu.Or, Rax, Context, Ctx.FetchEpoch);
        a.AluMem(X64Alu.Cmp, Rax, Rcx, 0);
        a.JumpIf(X64Cond.NE, leave);
        a.Load(Rax, Rcx, 8);
        a.Store(Context, Ctx.Slots, Rax);
        a.Mov(Rax, Rdx);
        a.AluImm(X64Alu.And, Rax, -4096);
        a.Store(Context, Ctx.SlotsPage, Rax);
        a.Bind(samePage);
        // The slot: slots + (pc & 0xffc) / 4 * 32, a placement's mark when its kind is Jit (id in Imm).
        a.Mov(Rax, Rdx);
        a.AluImm(X64Alu.And, Rax, 0xffc, wide: false);
        a.ShiftImm(X64Shift.Shl, Rax, 3, wide: false);
        a.AluMem(X64Alu.Add, Rax, Context, Ctx.Slots);
        a.CmpByteMem(Rax, 0, (byte)A64Kind.Jit);
        a.JumpIf(X64Cond.NE, leave);
        a.Load(Rax, Rax, SlotImmOffset);
        a.ShiftImm(X64Shift.Shl, Rax, 4);
        a.AluMem(X64Alu.Add, Rax, Context, Ctx.Entries);
        a.Load(Rcx, Rax, ArmNativeEntry.CodeOffset);
        a.Test(Rcx, Rcx);
        a.JumpIf(X64Cond.E, leave);
        // Room in the slice for its whole entry block?
        a.LoadExtend(Rcx, Rax, ArmNativeEntry.LengthOffset, 4, signed: false);
        a.AluReg(X64Alu.Add, Rcx, BlockCount);
        a.AluReg(X64Alu.Cmp, Rcx, SliceEnd);
        a.JumpIf(X64Cond.A, leave);
        a.Load(Rcx, Rax, ArmNativeEntry.CodeOffset);
        a.AluImm(X64Alu.Add, Rcx, PrologueBytes);
        a.Store(Context, Ctx.EntryPc, Rdx);
        a.JumpReg(Rcx);
        a.Bind(leave);
        a.Store(Context, Ctx.Pc, Rdx);
        a.Mov(Rax, BlockCount);
        a.AluMem(X64Alu.Sub, Rax, Context, Ctx.EntryCount);
        Epilogue();
    }

    /// <summary>Where a slot (<see cref="A64Op"/>) keeps Imm: a Jit mark's placement id.</summary>
    private static readonly int SlotImmOffset = (int)System.Runtime.InteropServices.Marshal.OffsetOf<A64Op>(nameof(A64Op.Imm));

    /// <summary>Leaves for the interpreter with the pc at the entry plus <paramref name="pcOffset"/>, <paramref name="steps"/> into the running block.</summary>
    private void Exit(int pcOffset, int steps)
    {
        _a.MovImm(Rdx, pcOffset);
        _a.MovImm(Rcx, steps);
        _a.Jump(_exitRelative);
    }

    /// <summary>A jump to the cold exit that leaves before instruction <paramref name="k"/> at <paramref name="o"/>.</summary>
    private X64Label ExitBefore(int k, int o)
    {
        var label = _a.NewLabel();
        if (_exitCount == _exits.Length) Array.Resize(ref _exits, _exits.Length * 2);
        _exits[_exitCount++] = new ColdExit(label, o, k);
        return label;
    }

    /// <summary>
    /// Leaves the running block, all of it run, for <paramref name="target"/> bytes from the entry: on to the
    /// region's block there if the slice has room for all of it, otherwise out with the pc there.
    /// </summary>
    private void Goto(long target)
    {
        int index = -1;
        for (int i = 0; i < _startCount && index < 0; i++)
            if (_starts[i].Offset == target) index = i;
        if (index >= 0)
        {
            NativeRegions.GoOnIfRoom(_a, BlockCount, SliceEnd, Rax, _length, _starts[index].Length, _starts[index].Label);
            Exit((int)target, _length);
            return;
        }
        // Out of the region: on to the body placed there, if any and it fits, else back to the interpreter.
        PcPlus(Rdx, target);
        _a.MovImm(Rcx, _length);
        _a.Jump(_chain);
    }

    private readonly record struct Start(int Offset, X64Label Label, int Length);

    private readonly record struct ColdExit(X64Label Label, int PcOffset, int Steps);

    private static int Reg(int r) => r * 8;

    /// <summary>A small signed immediate (an index's offset), as an int.</summary>
    private static int Small(ulong imm)
    {
        long v = unchecked((long)imm);
        return checked((int)v);
    }

    /// <summary>dst = the entry's pc plus <paramref name="offset"/>.</summary>
    private void PcPlus(X64Reg dst, long offset)
    {
        _a.Load(dst, Context, Ctx.EntryPc);
        AluConst(X64Alu.Add, dst, (ulong)offset);
    }

    /// <summary>dst op= a 64-bit constant (through rdx when it does not fit a sign-extended imm32).</summary>
    private void AluConst(X64Alu op, X64Reg dst, ulong value, bool wide = true)
    {
        if ((long)value is >= int.MinValue and <= int.MaxValue)
        {
            _a.AluImm(op, dst, (int)(long)value, wide);
            return;
        }
        _a.MovImm(Rdx, (long)value);
        _a.AluReg(op, dst, Rdx, wide);
    }

    private void Mask32IfNeeded(X64Reg r, in A64Op d)
    {
        // A 32-bit move zero-extends: and r32, -1.
        if (d.MaskShift != 0) _a.AluImm(X64Alu.And, r, -1, wide: false);
    }

    private bool Instruction(A64Op d, int k, int o)
    {
        var a = _a;
        bool sf = d.MaskShift == 0;
        // Whether the host's flags still hold NZCV from the instruction before (a flag setter sets it again).
        bool flagsInHost = _flagsSet;
        _flagsSet = false;
        switch (d.Kind)
        {
            case A64Kind.Nop:
                return false;
            case A64Kind.Adr:
                PcPlus(Rax, o + (long)d.Imm);
                Put(d.Rd, Rax);
                return false;
            case A64Kind.Adrp:
                PcPlus(Rax, o);
                a.AluImm(X64Alu.And, Rax, -4096);
                AluConst(X64Alu.Add, Rax, d.Imm);
                Put(d.Rd, Rax);
                return false;
            case A64Kind.AddImm:
                {
                    var t = Target(d.Rd, Rax);
                    // From one kept register into another: one LEA.
                    if (sf && t != Rax && (long)d.Imm is >= int.MinValue and <= int.MaxValue && KeptUse(d.Rn, out var n) && n != t)
                    {
                        a.Lea(t, n, (int)(long)d.Imm);
                        Wrote(d.Rd);
                        return false;
                    }
                    GetInto(t, d.Rn);
                    AluConst(X64Alu.Add, t, d.Imm, sf);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.AddImmSp:
                if ((d.Aux & 1) != 0) LoadBase(Rax, 31);
                else Get(Rax, d.Rn);
                AluConst(X64Alu.Add, Rax, d.Imm, sf);
                if ((d.Aux & 2) != 0) StoreBase(31, Rax);
                else Put(d.Rd, Rax);
                return false;
            case A64Kind.AddsImm when d.Rd == Arm64Cpu.ZeroSink && d.Aux != 0 && (long)d.Imm is >= int.MinValue and <= int.MaxValue:
                // CMP: compared where Rn is, nothing computed.
                a.AluImm(X64Alu.Cmp, Source(d.Rn, Rcx), (int)(long)d.Imm, sf);
                Flags(sub: true, Rcx, -1, store: !NzcvUnread(k, d.Rn, -1));
                Compared(sub: true, sf, d.Rn, -1, (int)(long)d.Imm);
                return false;
            case A64Kind.AndsImm when d.Rd == Arm64Cpu.ZeroSink && (sf ? (long)d.Imm is >= int.MinValue and <= int.MaxValue : d.Imm <= uint.MaxValue):
                // TST: tested where Rn is.
                a.TestImm(Source(d.Rn, Rcx), unchecked((int)(uint)d.Imm), sf);
                Flags(sub: false, Rcx, -1, store: !NzcvUnread(k, d.Rn, -1));
                Compared(sub: false, sf, d.Rn, -1, unchecked((int)(uint)d.Imm));
                return false;
            case A64Kind.AddsImm:
                {
                    var t = Target(d.Rd, Rcx);
                    GetInto(t, d.Rn);
                    AluConst(d.Aux != 0 ? X64Alu.Sub : X64Alu.Add, t, d.Imm, sf);
                    FlagsDone(sub: d.Aux != 0, d.Rd, t);
                    return false;
                }
            case A64Kind.AndImm when d.Imm is 0xff or 0xffff or 0xffff_ffff:
                {
                    // UXTB, UXTH, and the low word: one zero-extending move.
                    var t = Target(d.Rd, Rax);
                    a.MovZx(t, Source(d.Rn, t), d.Imm == 0xff ? 1 : d.Imm == 0xffff ? 2 : 4);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.AndImm:
                {
                    var t = Target(d.Rd, Rax);
                    GetInto(t, d.Rn);
                    AluConst(X64Alu.And, t, d.Imm);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.OrrImm:
            case A64Kind.EorImm:
                {
                    var t = Target(d.Rd, Rax);
                    GetInto(t, d.Rn);
                    AluConst(d.Kind == A64Kind.OrrImm ? X64Alu.Or : X64Alu.Xor, t, d.Imm, sf);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.AndsImm:
                {
                    var t = Target(d.Rd, Rcx);
                    GetInto(t, d.Rn);
                    AluConst(X64Alu.And, t, d.Imm, sf);
                    FlagsDone(sub: false, d.Rd, t);
                    return false;
                }
            case A64Kind.MovImm:
                {
                    var t = Target(d.Rd, Rax);
                    a.MovImm(t, (long)d.Imm);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.Movk:
                {
                    var t = Target(d.Rd, Rax);
                    GetInto(t, d.Ra);
                    AluConst(X64Alu.And, t, d.Imm2);
                    AluConst(X64Alu.Or, t, d.Imm, sf);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.Ubfm:
                {
                    var t = Target(d.Rd, Rax);
                    if (d.Shift != 0 && Bmi2) a.Rorx(t, Source(d.Rn, t), d.Shift, sf); // no copy first
                    else
                    {
                        GetInto(t, d.Rn);
                        if (d.Shift != 0) a.ShiftImm(X64Shift.Ror, t, d.Shift, sf);
                        else Mask32IfNeeded(t, d);
                    }
                    AluConst(X64Alu.And, t, d.Imm & d.Imm2);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.Ubfm64:
                {
                    var t = Target(d.Rd, Rax);
                    if (d.Shift != 0 && Bmi2) a.Rorx(t, Source(d.Rn, t), d.Shift);
                    else
                    {
                        GetInto(t, d.Rn);
                        if (d.Shift != 0) a.ShiftImm(X64Shift.Ror, t, d.Shift);
                    }
                    AluConst(X64Alu.And, t, d.Imm);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.Sbfm:
                {
                    // ((top & ~Imm2) | (ror(src) & Imm & Imm2)) & Mask, top = all ones if bit Aux of src is set.
                    Get(Rax, d.Rn);
                    a.Mov(Rcx, Rax);
                    if (d.Shift != 0) a.ShiftImm(X64Shift.Ror, Rax, d.Shift, sf);
                    else Mask32IfNeeded(Rax, d);
                    AluConst(X64Alu.And, Rax, d.Imm & d.Imm2);
                    // rcx = the sign: bit Aux moved to bit 63, then spread.
                    if (d.Aux != 63) a.ShiftImm(X64Shift.Shl, Rcx, 63 - d.Aux);
                    a.ShiftImm(X64Shift.Sar, Rcx, 63);
                    AluConst(X64Alu.And, Rcx, ~d.Imm2 & d.Mask);
                    a.AluReg(X64Alu.Or, Rax, Rcx);
                    Put(d.Rd, Rax);
                    return false;
                }
            case A64Kind.MovReg:
                {
                    var t = Target(d.Rd, Rax);
                    GetInto(t, d.Rm);
                    Mask32IfNeeded(t, d);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.AndReg:
            case A64Kind.OrrReg:
            case A64Kind.EorReg:
            case A64Kind.AndsReg:
            case A64Kind.AddReg:
            case A64Kind.SubReg:
            case A64Kind.AddsReg:
                {
                    bool logical = d.Kind is A64Kind.AndReg or A64Kind.OrrReg or A64Kind.EorReg or A64Kind.AndsReg;
                    // A plain kept Rm is used where it is, unless Rd's register is Rm's and is written first.
                    X64Reg m;
                    if (sf && d.Shift == 0 && d.SignFill == 0 && d.Imm == d.Mask && !(logical && d.Imm2 != 0)
                        && (d.Rm != d.Rd || d.Rn == d.Rd) && KeptUse(d.Rm, out var kept))
                        m = kept;
                    else
                    {
                        Operand2(d);
                        if (logical && d.Imm2 != 0) AluConst(X64Alu.Xor, Rax, d.Imm2);
                        m = Rax; // Rm is read before Rd's register may be written
                    }
                    bool compare = d.Rd == Arm64Cpu.ZeroSink && (d.Kind == A64Kind.AndsReg || (d.Kind == A64Kind.AddsReg && d.Aux != 0));
                    if (compare)
                    {
                        // TST and CMP: nothing computed, compared where Rn is.
                        var n = Source(d.Rn, Rcx);
                        if (d.Kind == A64Kind.AndsReg) a.Test(n, m, sf);
                        else a.AluReg(X64Alu.Cmp, n, m, sf);
                        Flags(sub: d.Kind != A64Kind.AndsReg, Rcx, -1, store: !NzcvUnread(k, d.Rn, m != Rax ? d.Rm : 31));
                        if (m != Rax) Compared(sub: d.Kind != A64Kind.AndsReg, sf, d.Rn, d.Rm, 0);
                        return false;
                    }
                    var t = Target(d.Rd, Rcx);
                    GetInto(t, d.Rn);
                    var op = d.Kind switch
                    {
                        A64Kind.AndReg or A64Kind.AndsReg => X64Alu.And,
                        A64Kind.OrrReg => X64Alu.Or,
                        A64Kind.EorReg => X64Alu.Xor,
                        A64Kind.AddReg => X64Alu.Add,
                        A64Kind.SubReg => X64Alu.Sub,
                        _ => d.Aux != 0 ? X64Alu.Sub : X64Alu.Add,
                    };
                    a.AluReg(op, t, m, sf);
                    if (d.Kind == A64Kind.AndsReg) FlagsDone(sub: false, d.Rd, t);
                    else if (d.Kind == A64Kind.AddsReg) FlagsDone(sub: d.Aux != 0, d.Rd, t);
                    else Done(d.Rd, t, Rcx);
                    return false;
                }
            case >= A64Kind.AddLsl64 and <= A64Kind.EorLsr64:
                {
                    bool left = (d.Kind - A64Kind.AddLsl64) % 2 == 0;
                    if (d.Kind is A64Kind.AddLsl64 or A64Kind.AddLsr64 && (left || d.Shift == 0) && d.Shift <= 3
                        && d.Rd < 31 && Kept(d.Rd, out var sum) && KeptUse(d.Rn, out var n) && n != sum)
                    {
                        // Into a kept Rd from a kept Rn other than Rd: one LEA, Rm scaled by 1, 2, 4 or 8.
                        a.LeaIndex(sum, n, Source(d.Rm, Rax), d.Shift);
                        Wrote(d.Rd);
                        return false;
                    }
                    // Unshifted, a kept Rm is used where it is (unless Rd's register is Rm's and written first).
                    X64Reg m = Rax;
                    if (d.Shift != 0 || (d.Rm == d.Rd && d.Rn != d.Rd) || !KeptUse(d.Rm, out m))
                    {
                        m = Rax;
                        Get(Rax, d.Rm);
                        if (d.Shift != 0) a.ShiftImm(left ? X64Shift.Shl : X64Shift.Shr, Rax, d.Shift);
                    }
                    var t = Target(d.Rd, Rcx);
                    GetInto(t, d.Rn);
                    var op = d.Kind switch
                    {
                        A64Kind.AddLsl64 or A64Kind.AddLsr64 => X64Alu.Add,
                        A64Kind.SubLsl64 or A64Kind.SubLsr64 => X64Alu.Sub,
                        A64Kind.AndLsl64 or A64Kind.AndLsr64 => X64Alu.And,
                        A64Kind.OrrLsl64 or A64Kind.OrrLsr64 => X64Alu.Or,
                        _ => X64Alu.Xor,
                    };
                    a.AluReg(op, t, m);
                    Done(d.Rd, t, Rcx);
                    return false;
                }
            case A64Kind.Madd when !(d.Rd < 31 && Kept(d.Rd, out _) && (d.Rd == d.Rm || d.Rd == d.Ra)):
                {
                    // Computed in Rd's register, unless that holds a source read after it is written.
                    var t = Target(d.Rd, Rax);
                    GetInto(t, d.Rn);
                    ImulGuest(t, d.Rm);
                    AluGuest(X64Alu.Add, t, d.Ra, sf); // the 32-bit add also trims the product
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.Madd:
            case A64Kind.Msub:
                Get(Rcx, d.Rn);
                ImulGuest(Rcx, d.Rm);
                Get(Rax, d.Ra);
                a.AluReg(d.Kind == A64Kind.Madd ? X64Alu.Add : X64Alu.Sub, Rax, Rcx, sf);
                Put(d.Rd, Rax);
                return false;
            case A64Kind.Umulh when Bmi2:
                {
                    // MULX: the high half straight into Rd's register, the flags kept.
                    Get(Rdx, d.Rn);
                    var t = Target(d.Rd, Rcx);
                    if (KeptUse(d.Rm, out var m)) a.MulxReg(t, Rax, m);
                    else
                    {
                        if (d.Rm < 31) Used(d.Rm);
                        a.MulxMem(t, Rax, Regs, Reg(d.Rm));
                    }
                    Done(d.Rd, t, Rcx);
                    return false;
                }
            case A64Kind.Umulh:
            case A64Kind.Smulh:
                Get(Rax, d.Rn);
                if (KeptUse(d.Rm, out var multiplier)) a.MultiplyWide(multiplier, signed: d.Kind == A64Kind.Smulh);
                else
                {
                    if (d.Rm < 31) Used(d.Rm);
                    a.MultiplyWideMem(Regs, Reg(d.Rm), signed: d.Kind == A64Kind.Smulh);
                }
                Put(d.Rd, Rdx);
                return false;
            case A64Kind.Udiv:
                {
                    // A divisor of zero gives zero, as the architecture says (no trap).
                    bool wide = d.Mask == ulong.MaxValue;
                    var zero = a.NewLabel();
                    var done = a.NewLabel();
                    Get(Rcx, d.Rm);
                    a.AluReg(X64Alu.Or, Rcx, Rcx, wide); // the 32-bit form also clears the high half
                    a.JumpIf(X64Cond.E, zero);
                    Get(Rax, d.Rn);
                    a.AluReg(X64Alu.Xor, Rdx, Rdx, wide: false);
                    a.Divide(Rcx, wide);
                    a.Jump(done);
                    a.Bind(zero);
                    a.AluReg(X64Alu.Xor, Rax, Rax, wide: false);
                    a.Bind(done);
                    Put(d.Rd, Rax);
                    return false;
                }
            case A64Kind.Bfm:
                {
                    // bot = (dst & ~Imm) | (ror(src) & Imm) is dst ^ ((ror(src) ^ dst) & Imm), and the result,
                    // (dst & ~Imm2) | (bot & Imm2), is then dst ^ ((ror(src) ^ dst) & Imm & Imm2), in the width's mask.
                    bool wide = d.Mask == ulong.MaxValue;
                    Get(Rax, d.Rn);
                    if (d.Shift != 0) a.ShiftImm(X64Shift.Ror, Rax, d.Shift, wide);
                    Get(Rcx, d.Ra);
                    a.AluReg(X64Alu.Xor, Rax, Rcx);
                    AluConst(X64Alu.And, Rax, d.Imm & d.Imm2);
                    a.AluReg(X64Alu.Xor, Rax, Rcx);
                    if (!wide) a.AluImm(X64Alu.And, Rax, -1, wide: false);
                    Put(d.Rd, Rax);
                    return false;
                }
            case A64Kind.ShiftVar:
                Get(Rcx, d.Rm);
                Get(Rax, d.Rn);
                // The host masks the count to 6 bits (5 for 32-bit shifts), as the architecture's modulo does.
                a.ShiftCl(d.ShiftType switch { 0 => X64Shift.Shl, 1 => X64Shift.Shr, 2 => X64Shift.Sar, _ => X64Shift.Ror }, Rax, sf);
                // A count of 0 may leave the register as it was: the 32-bit result is trimmed explicitly.
                Mask32IfNeeded(Rax, d);
                Put(d.Rd, Rax);
                return false;
            case A64Kind.Csel:
                {
                    // alt = (Rm ^ invert) + increment: CSEL, CSINC, CSINV, CSNEG; NOT and LEA keep the flags.
                    bool always = d.Aux >= 14;
                    var holds = always ? X64Cond.E : HostCondition(d.Aux, flagsInHost);
                    // A plain kept Rm is moved from where it is (unless Rd's register is Rm's and written first).
                    X64Reg alt;
                    if (d.ShiftType == 0 && (d.Rm != d.Rd || d.Rn == d.Rd) && KeptUse(d.Rm, out var kept)) alt = kept;
                    else
                    {
                        Get(Rdx, d.Rm);
                        if ((d.ShiftType & 2) != 0) a.Not(Rdx);
                        if ((d.ShiftType & 1) != 0) a.Lea(Rdx, Rdx, 1);
                        alt = Rdx;
                    }
                    var t = Target(d.Rd, Rax);
                    GetInto(t, d.Rn);
                    if (!always) a.CMov(Not(holds), t, alt);
                    Mask32IfNeeded(t, d);
                    Done(d.Rd, t, Rax);
                    return false;
                }
            case A64Kind.Ccmp:
                {
                    var fails = a.NewLabel();
                    var done = a.NewLabel();
                    if (d.Aux < 14) a.JumpIf(Not(HostCondition(d.Aux, flagsInHost)), fails);
                    Get(Rcx, d.Rn);
                    var op = (d.Aux2 & 2) != 0 ? X64Alu.Sub : X64Alu.Add;
                    if ((d.Aux2 & 1) != 0) a.AluImm(op, Rcx, d.Rm, sf);
                    else AluGuest(op, Rcx, d.Rm, sf);
                    Flags(sub: (d.Aux2 & 2) != 0, Rcx, -1);
                    a.Jump(done);
                    a.Bind(fails);
                    a.MovImm(Rax, (long)ArmNativeContext.HostFlags((uint)d.Imm2));
                    a.Store(Context, Ctx.Nzcv, Rax);
                    a.Bind(done);
                    _flagsSet = false; // the host's flags hold NZCV on one path only
                    return false;
                }

            case A64Kind.B:
                Goto(o + (long)d.Imm);
                return true;
            case A64Kind.Bl:
                PcPlus(Rax, o + 4);
                Put(30, Rax);
                Goto(o + (long)d.Imm);
                return true;
            case A64Kind.Br:
            case A64Kind.Blr:
                Get(Rdx, d.Rn);
                if (d.Kind == A64Kind.Blr)
                {
                    PcPlus(Rax, o + 4);
                    Put(30, Rax);
                }
                a.MovImm(Rcx, _length);
                a.Jump(_chain);
                return true;
            case A64Kind.BCond:
            case A64Kind.Cbz:
            case A64Kind.Cbnz:
            case A64Kind.Tbz:
            case A64Kind.Tbnz:
                {
                    var taken = a.NewLabel();
                    switch (d.Kind)
                    {
                        case A64Kind.BCond:
                            if (d.Aux >= 14) a.Jump(taken);
                            else a.JumpIf(HostCondition(d.Aux, flagsInHost), taken);
                            break;
                        case A64Kind.Cbz:
                        case A64Kind.Cbnz:
                            Get(Rax, d.Rd);
                            a.AluReg(X64Alu.Or, Rax, Rax, sf);
                            a.JumpIf(d.Kind == A64Kind.Cbz ? X64Cond.E : X64Cond.NE, taken);
                            break;
                        default:
                            Get(Rax, d.Rd);
                            if (d.Shift != 0) a.ShiftImm(X64Shift.Shr, Rax, d.Shift);
                            a.AluImm(X64Alu.And, Rax, 1, wide: false);
                            a.JumpIf(d.Kind == A64Kind.Tbz ? X64Cond.E : X64Cond.NE, taken);
                            break;
                    }
                    Goto(o + 4);
                    a.Bind(taken);
                    Goto(o + (long)d.Imm);
                    return true;
                }

            case A64Kind.LdrImm:
            case A64Kind.Ldr64Imm:
            case A64Kind.LdrPre:
            case A64Kind.LdrPost:
            case A64Kind.Ldr64Reg:
                {
                    int size = d.Kind is A64Kind.Ldr64Imm or A64Kind.Ldr64Reg ? 8 : d.Size;
                    Address(d);
                    Translate(size, store: false, ExitBefore(k, o));
                    byte mode = d.Kind is A64Kind.Ldr64Imm or A64Kind.Ldr64Reg ? (byte)0 : d.Aux;
                    // As the interpreter: the base moves from its value before the access, after Rd is written.
                    bool back = d.Kind is A64Kind.LdrPre or A64Kind.LdrPost;
                    var t = back ? Rax : Target(d.Rd, Rax);
                    a.LoadExtend(t, Rdx, 0, size, signed: mode != 0);
                    if (mode == 2) a.AluImm(X64Alu.And, t, -1, wide: false);
                    if (!back)
                    {
                        Done(d.Rd, t, Rax);
                        return false;
                    }
                    After(d);
                    Put(d.Rd, Rax);
                    StoreBase(d.Rn, Rcx);
                    return false;
                }
            case A64Kind.StrImm:
            case A64Kind.Str64Imm:
            case A64Kind.StrPre:
            case A64Kind.StrPost:
            case A64Kind.Str64Reg:
                {
                    int size = d.Kind is A64Kind.Str64Imm or A64Kind.Str64Reg ? 8 : d.Size;
                    Address(d);
                    Translate(size, store: true, ExitBefore(k, o));
                    a.StoreSized(Rdx, 0, Source(d.Rd, Rax), size);
                    if (d.Kind is A64Kind.StrPre or A64Kind.StrPost)
                    {
                        After(d);
                        StoreBase(d.Rn, Rcx);
                    }
                    return false;
                }
            case A64Kind.Ldp:
            case A64Kind.Stp:
                {
                    int size = d.Size;
                    LoadBase(Rax, d.Rn);
                    if (d.Aux2 != 1) AluConst(X64Alu.Add, Rax, d.Imm);
                    Translate(2 * size, store: d.Kind == A64Kind.Stp, ExitBefore(k, o));
                    if (d.Kind == A64Kind.Ldp)
                    {
                        a.LoadExtend(Rax, Rdx, 0, size, signed: d.Aux != 0);
                        a.LoadExtend(Rcx, Rdx, size, size, signed: d.Aux != 0);
                        // The base moves from its value before the access, after both registers are written.
                        if (d.Aux2 != 0)
                        {
                            LoadBase(Rdx, d.Rn);
                            a.AluImm(X64Alu.Add, Rdx, Small(d.Imm));
                        }
                        Put(d.Rd, Rax);
                        Put(d.Rm, Rcx);
                        if (d.Aux2 != 0) StoreBase(d.Rn, Rdx);
                    }
                    else
                    {
                        a.StoreSized(Rdx, 0, Source(d.Rd, Rax), size);
                        a.StoreSized(Rdx, size, Source(d.Rm, Rax), size);
                        if (d.Aux2 != 0)
                        {
                            LoadBase(Rax, d.Rn);
                            a.AluImm(X64Alu.Add, Rax, Small(d.Imm));
                            StoreBase(d.Rn, Rax);
                        }
                    }
                    return false;
                }
            case A64Kind.Generic when IsNoOperation(d.Insn):
                return false;
            case A64Kind.Generic when IsByteReverse(d.Insn):
                {
                    int rd = (int)(d.Insn & 31), rn = (int)((d.Insn >> 5) & 31);
                    Get(Rax, rn);
                    a.ByteSwap(Rax, wide: (d.Insn >> 31) != 0);
                    if (rd != 31) Put(rd, Rax);
                    return false;
                }
            case A64Kind.Generic when IsCountLeadingZeros(d.Insn):
                {
                    int rd = (int)(d.Insn & 31), rn = (int)((d.Insn >> 5) & 31);
                    Get(Rcx, rn);
                    a.LeadingZeros(Rax, Rcx, wide: (d.Insn >> 31) != 0);
                    if (rd != 31) Put(rd, Rax);
                    return false;
                }
            case A64Kind.Generic when IsOrderedAccess(d.Insn):
                {
                    int size = 1 << (int)(d.Insn >> 30), rt = (int)(d.Insn & 31), rn = (int)((d.Insn >> 5) & 31);
                    bool load = (d.Insn & (1u << 22)) != 0;
                    var miss = ExitBefore(k, o);
                    LoadBase(Rax, rn);
                    MissIfUnaligned(size, miss);
                    Translate(size, store: !load, miss);
                    if (load)
                    {
                        a.LoadExtend(Rax, Rdx, 0, size, signed: false);
                        if (rt != 31) Put(rt, Rax);
                    }
                    else
                    {
                        Get(Rax, rt);
                        a.StoreSized(Rdx, 0, Rax, size);
                    }
                    return false;
                }
            case A64Kind.Generic when IsExclusive(d.Insn):
                {
                    // The CPU's exclusive monitor (valid, address, size) is in the context, as the interpreter
                    // keeps it: LDXR sets it, STXR stores only if it matches, and clears it either way.
                    int size = 1 << (int)(d.Insn >> 30), rt = (int)(d.Insn & 31), rn = (int)((d.Insn >> 5) & 31);
                    int rs = (int)((d.Insn >> 16) & 31);
                    bool load = (d.Insn & (1u << 22)) != 0;
                    var miss = ExitBefore(k, o);
                    LoadBase(Rax, rn);
                    MissIfUnaligned(size, miss); // whether the monitor matches or not
                    if (load)
                    {
                        Translate(size, store: false, miss);
                        a.LoadExtend(Rcx, Rdx, 0, size, signed: false);
                        if (rt != 31) Put(rt, Rcx);
                        a.Store(Context, Ctx.ExclusiveAddress, Rax);
                        a.StoreImm(Context, Ctx.ExclusiveSize, size);
                        a.StoreImm(Context, Ctx.ExclusiveValid, 1);
                        return false;
                    }
                    var fails = a.NewLabel();
                    var done = a.NewLabel();
                    a.Load(Rcx, Context, Ctx.ExclusiveValid);
                    a.Test(Rcx, Rcx);
                    a.JumpIf(X64Cond.E, fails);
                    a.AluMem(X64Alu.Cmp, Rax, Context, Ctx.ExclusiveAddress);
                    a.JumpIf(X64Cond.NE, fails);
                    a.Load(Rcx, Context, Ctx.ExclusiveSize);
                    a.AluImm(X64Alu.Cmp, Rcx, size);
                    a.JumpIf(X64Cond.NE, fails);
                    // A store the fast path cannot serve leaves with the monitor as it was: the interpreter redoes all.
                    Translate(size, store: true, miss);
                    Get(Rcx, rt);
                    a.StoreSized(Rdx, 0, Rcx, size);
                    a.AluReg(X64Alu.Xor, Rcx, Rcx, wide: false);
                    a.Jump(done);
                    a.Bind(fails);
                    a.MovImm(Rcx, 1);
                    a.Bind(done);
                    a.StoreImm(Context, Ctx.ExclusiveValid, 0);
                    if (rs != 31) Put(rs, Rcx);
                    return false;
                }
            case A64Kind.Generic when IsKernelSystem(d.Insn):
                {
                    int rt = (int)(d.Insn & 31);
                    var miss = ExitBefore(k, o);
                    // DC ZVA at EL0 too where SCTLR_EL1.DZE allows it; the rest at EL1 only.
                    a.Load(Rax, Context, (d.Insn & 0xffff_ffe0) == 0xd50b_7420 ? Ctx.ZeroBlockAllowed : Ctx.AtEl1);
                    a.Test(Rax, Rax);
                    a.JumpIf(X64Cond.E, miss);
                    switch (d.Insn & 0xffff_ffe0)
                    {
                        case 0xd538_d080: // MRS Xt, TPIDR_EL1
                            a.Load(Rax, Context, Ctx.TpidrEl1);
                            if (rt != 31) Put(rt, Rax);
                            return false;
                        case 0xd538_4100: // MRS Xt, SP_EL0: only with SPSel = 1 (else the interpreter's undefined)
                            a.Load(Rax, Context, Ctx.SpEl0Readable);
                            a.Test(Rax, Rax);
                            a.JumpIf(X64Cond.E, miss);
                            a.Load(Rax, Context, Ctx.SpEl0);
                            if (rt != 31) Put(rt, Rax);
                            return false;
                        case 0xd53b_4220: // MRS Xt, DAIF
                            a.Load(Rax, Context, Ctx.Daif);
                            a.ShiftImm(X64Shift.Shl, Rax, 6);
                            if (rt != 31) Put(rt, Rax);
                            return false;
                        case 0xd50b_7420: // DC ZVA, Xt: zero the 64-byte block holding the address
                            Get(Rax, rt);
                            a.AluImm(X64Alu.And, Rax, -64);
                            Translate(64, store: true, miss);
                            for (int i = 0; i < 64; i += 8) a.StoreImm(Rdx, i, 0);
                            return false;
                        default: // MSR DAIFSet, #imm: DAIF |= CRm
                            a.Load(Rax, Context, Ctx.Daif);
                            a.AluImm(X64Alu.Or, Rax, (int)((d.Insn >> 8) & 15));
                            a.Store(Context, Ctx.Daif, Rax);
                            return false;
                    }
                }
            case A64Kind.AddExt:
                {
                    // b = extend(Rm) << Shift, trimmed; Rn and Rd may be SP.
                    Extended(d);
                    if (d.MaskShift != 0) a.AluImm(X64Alu.And, Rcx, -1, wide: false);
                    LoadBase(Rax, d.Rn);
                    a.AluReg(d.Aux != 0 ? X64Alu.Sub : X64Alu.Add, Rax, Rcx, sf);
                    StoreBase(d.Rd, Rax);
                    return false;
                }
            case A64Kind.LdrReg:
            case A64Kind.StrReg:
                {
                    int size = d.Size;
                    Extended(d);
                    LoadBase(Rax, d.Rn);
                    a.AluReg(X64Alu.Add, Rax, Rcx);
                    bool store = d.Kind == A64Kind.StrReg;
                    Translate(size, store, ExitBefore(k, o));
                    if (store)
                    {
                        Get(Rax, d.Rd);
                        a.StoreSized(Rdx, 0, Rax, size);
                        return false;
                    }
                    a.LoadExtend(Rax, Rdx, 0, size, signed: d.Aux != 0);
                    if (d.Aux == 2) a.AluImm(X64Alu.And, Rax, -1, wide: false);
                    Put(d.Rd, Rax);
                    return false;
                }
            default:
                // Never placed in a native region (Supports says so); leave before it all the same.
                Exit(o, k);
                return true;
        }
    }

    /// <summary>rcx = the interpreter's ExtendedOperand: Rm extended from its low 64 - Ra bits (signed when Aux2), shifted left by Shift.</summary>
    private void Extended(in A64Op d)
    {
        Get(Rcx, d.Rm);
        if (d.Ra != 0)
        {
            _a.ShiftImm(X64Shift.Shl, Rcx, d.Ra);
            _a.ShiftImm(d.Aux2 != 0 ? X64Shift.Sar : X64Shift.Shr, Rcx, d.Ra);
        }
        if (d.Shift != 0) _a.ShiftImm(X64Shift.Shl, Rcx, d.Shift);
    }

    /// <summary>
    /// rax = the shifted register operand as the interpreter's Operand2 computes it:
    /// (ror(Rm, Shift) &amp; Imm) | (sign &amp; ~Imm &amp; Mask) for ASR. rcx and rdx are scratch.
    /// </summary>
    private void Operand2(in A64Op d)
    {
        var a = _a;
        bool sf = d.MaskShift == 0;
        Get(Rax, d.Rm);
        if (d.SignFill != 0)
        {
            a.Mov(Rcx, Rax);
            a.ShiftImm(X64Shift.Sar, Rcx, sf ? 63 : 31, sf);
            AluConst(X64Alu.And, Rcx, ~d.Imm & d.Mask);
        }
        if (d.Shift != 0) a.ShiftImm(X64Shift.Ror, Rax, d.Shift, sf);
        else Mask32IfNeeded(Rax, d);
        if (d.Imm != d.Mask) AluConst(X64Alu.And, Rax, d.Imm);
        if (d.SignFill != 0) a.AluReg(X64Alu.Or, Rax, Rcx);
    }

}
