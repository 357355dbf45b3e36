using Rewind.Arm64.Decode;
using Rewind.Core.Memory;
using Rewind.Core.Native;
using static Rewind.Core.Native.X64Reg;
using Ctx = Rewind.Arm64.Jit.ArmNativeContext;

namespace Rewind.Arm64.Jit;

/// <summary>The native tier's loads and stores: addresses, and the inline part of the interpreter's fast path.</summary>
internal sealed partial class ArmNativeCompiler
{
    /// <summary>rax = the access's virtual address for a single load or store.</summary>
    private void Address(in A64Op d)
    {
        // One LEA from the registers where they are kept: the address is on every access's critical path.
        var b = BaseSource(d.Rn, Rax);
        switch (d.Kind)
        {
            case A64Kind.Ldr64Reg or A64Kind.Str64Reg when d.Shift <= 3:
                _a.LeaIndex(Rax, b, Source(d.Rm, Rcx), d.Shift);
                break;
            case A64Kind.Ldr64Reg or A64Kind.Str64Reg:
                Get(Rcx, d.Rm);
                _a.ShiftImm(X64Shift.Shl, Rcx, d.Shift);
                _a.LeaIndex(Rax, b, Rcx, 0);
                break;
            case A64Kind.LdrPost or A64Kind.StrPost:
                if (b != Rax) _a.Mov(Rax, b);
                break;
            default:
                if ((long)d.Imm is >= int.MinValue and <= int.MaxValue) _a.Lea(Rax, b, (int)(long)d.Imm);
                else
                {
                    if (b != Rax) _a.Mov(Rax, b);
                    AluConst(X64Alu.Add, Rax, d.Imm);
                }
                break;
        }
    }

    /// <summary>rcx = the base register plus Imm: where a pre- or post-indexed access leaves it (rax is kept).</summary>
    private void After(in A64Op d)
    {
        LoadBase(Rcx, d.Rn);
        _a.AluImm(X64Alu.Add, Rcx, Small(d.Imm));
    }

    /// <summary>
    /// rdx = the host address of <paramref name="span"/> bytes at the virtual address in rax, where the
    /// interpreter's fast path would serve them: untranslated RAM below the fast limit, or a data TLB hit on one
    /// page; for a store, also a page flagged dirty and nothing else, or dirty and watched with no code in the
    /// lines the store touches. Anything else goes to <paramref name="miss"/>. rcx is scratch; rax is kept.
    /// <para>
    /// A store that hits the write TLB tests no flags: an entry without <see cref="Arm64Cpu.SlowWriteBit"/> maps a
    /// page that is dirty and unwatched (the CPU maps it so only then, and marks it when that ends). One with the
    /// bit misses the inline compare and tests the flags out of line.
    /// </para>
    /// </summary>
    private void Translate(int span, bool store, X64Label miss)
    {
        var a = _a;
        var hit = a.NewLabel();
        if (store && !_translated)
        {
            // One page for the flags test (a TLB hit is one page already: its key is the last byte's).
            a.Mov(Rcx, Rax);
            a.AluImm(X64Alu.And, Rcx, 0xfff, wide: false);
            a.AluImm(X64Alu.Cmp, Rcx, 0x1000 - span, wide: false);
            a.JumpIf(X64Cond.A, miss);
        }
        if (!_translated)
        {
            a.Mov(Rdx, Rax);
            a.AluMem(X64Alu.Sub, Rdx, Context, Ctx.RamBase);
            if (span > 8)
            {
                a.Lea(Rcx, Rdx, span - 8);
                a.AluMem(X64Alu.Cmp, Rcx, Context, Ctx.FastLimit);
            }
            else a.AluMem(X64Alu.Cmp, Rdx, Context, Ctx.FastLimit);
            a.JumpIf(X64Cond.B, hit);
        }
        // The data TLB: entry (va >> 12) & mask, 32 bytes (key, RAM offset, host addend, padding).
        NativeRegions.TlbEntryAt(a, Rcx, Rax, Arm64Cpu.DataTlbEntries, Context, store ? Ctx.TlbWriteAt : Ctx.TlbReadAt, Ctx.TlbEntryShift);
        // The key of the access's last byte: one that runs into the next page misses (stores were checked above).
        a.Lea(Rdx, Rax, span - 1);
        a.AluImm(X64Alu.And, Rdx, -4096);
        a.AluMem(X64Alu.Or, Rdx, Context, Ctx.DataContext);
        a.AluMem(X64Alu.Cmp, Rdx, Rcx, 0);
        var slowKey = store ? a.NewLabel() : miss;
        a.JumpIf(X64Cond.NE, slowKey);
        // A hit: the host address, from the entry's host addend.
        a.Load(Rdx, Rcx, Ctx.TlbEntryHost);
        a.AluReg(X64Alu.Add, Rdx, Rax);
        var done = a.NewLabel();
        var watched = a.NewLabel();
        if (!_translated)
        {
            a.Jump(done);
            a.Bind(hit);
            if (store)
            {
                // Untranslated RAM has no entry to say the page is just dirty: its flags are tested here.
                a.Mov(Rcx, Rdx);
                a.ShiftImm(X64Shift.Shr, Rcx, 12);
                a.AluMem(X64Alu.Add, Rcx, Context, Ctx.PageFlags);
                a.CmpByteMem(Rcx, 0, PhysicalMemory.DirtyFlag);
                a.JumpIf(X64Cond.NE, watched);
            }
            a.AluMem(X64Alu.Add, Rdx, Context, Ctx.RamPtr);
        }
        a.Bind(done);
        if (store)
        {
            if (_lineCheckCount == _lineChecks.Length) Array.Resize(ref _lineChecks, _lineCheckCount * 2);
            _lineChecks[_lineCheckCount++] = new CodeLineCheck(slowKey, watched, done, miss, span);
        }
    }

    /// <summary>
    /// A store's ways on from outside the inline path, out of line. From <see cref="CodeLineCheck.SlowKey"/> (rcx =
    /// the write TLB entry): an entry for this page with <see cref="Arm64Cpu.SlowWriteBit"/>, whose page is dirty
    /// after all, goes on. From there, or from <see cref="CodeLineCheck.Watched"/> (rcx = the page's flags, rdx =
    /// the RAM offset, for untranslated RAM): a dirty page the code cache watches, where no line the store touches
    /// holds decoded or compiled code (<see cref="Core.Memory.PageCodeCache{TSlot}.CodeLines"/>), goes on too.
    /// Without this, a guest keeping data beside its code (a table on main's page, a firmware's variables) would
    /// leave native code at each such store for the interpreter to report it, to a cache with nothing there to
    /// forget. The code cache and the compiled regions are the only watchers of an Arm machine's pages.
    /// </summary>
    private void CodeLineCheckBody(CodeLineCheck c)
    {
        var a = _a;
        a.Bind(c.SlowKey);
        a.AluImm(X64Alu.Or, Rdx, (int)Arm64Cpu.SlowWriteBit);
        a.AluMem(X64Alu.Cmp, Rdx, Rcx, 0);
        a.JumpIf(X64Cond.NE, c.Miss);
        a.Mov(Rdx, Rax);
        a.AluMem(X64Alu.Add, Rdx, Rcx, 8);
        a.Mov(Rcx, Rdx);
        a.ShiftImm(X64Shift.Shr, Rcx, 12);
        a.AluMem(X64Alu.Add, Rcx, Context, Ctx.PageFlags);
        var on = a.NewLabel();
        a.CmpByteMem(Rcx, 0, PhysicalMemory.DirtyFlag);
        a.JumpIf(X64Cond.E, on);
        a.Bind(c.Watched);
        a.CmpByteMem(Rcx, 0, PhysicalMemory.DirtyFlag | PhysicalMemory.WatchedFlag);
        a.JumpIf(X64Cond.NE, c.Miss);
        a.CmpByteMem(Context, Ctx.LinesComplete, 0);
        a.JumpIf(X64Cond.E, c.Miss);
        // The bit of the first byte's line, then of the last byte's: BT takes a bit offset from the context's
        // address, which the context keeps as a bias from its own address to the map's.
        for (int last = 0; last <= (c.Span > 1 ? 1 : 0); last++)
        {
            a.Lea(Rcx, Rdx, last * (c.Span - 1));
            a.ShiftImm(X64Shift.Shr, Rcx, Core.Memory.PageCodeCache<A64Op>.LineShift);
            a.AluMem(X64Alu.Add, Rcx, Context, Ctx.CodeLineBits);
            a.BitTestMem(Context, 0, Rcx);
            a.JumpIf(X64Cond.B, c.Miss);
        }
        // rdx = the RAM offset here: on with the host address.
        a.Bind(on);
        a.AluMem(X64Alu.Add, Rdx, Context, Ctx.RamPtr);
        a.Jump(c.Back);
    }

    /// <summary>A store's out-of-line checks: where its TLB compare and its inline flags test (untranslated only) jump, and where they come back.</summary>
    private readonly record struct CodeLineCheck(X64Label SlowKey, X64Label Watched, X64Label Back, X64Label Miss, int Span);

    /// <summary>Goes to <paramref name="miss"/> when the address in rax is not aligned to <paramref name="size"/>: the interpreter raises the alignment fault (rcx scratch).</summary>
    private void MissIfUnaligned(int size, X64Label miss)
    {
        if (size == 1) return;
        _a.Mov(Rcx, Rax);
        _a.AluImm(X64Alu.And, Rcx, size - 1, wide: false);
        _a.JumpIf(X64Cond.NE, miss);
    }
}
