using Rewind.Core.Memory;
using Rewind.Core.Native;
using static Rewind.Core.Native.X64Reg;

namespace Rewind.Riscv.Jit;

/// <summary>
/// The routines every native body shares, emitted once at the start of the code arena: translating an
/// address for a load or a store, and the two ways out. Inlining them made bodies 7 KiB on average in a
/// Linux boot (27 MiB in all), which cost more in instruction-cache misses and translation time than the
/// calls cost to run. Bodies reach them through <see cref="NativeContext"/>, so a body holds no address.
/// </summary>
internal static class NativeRoutines
{
    /// <summary>Where a slot's <see cref="Decode.DecodedInsn.Jit"/> lies in it.</summary>
    private static readonly int JitOffset = (int)System.Runtime.InteropServices.Marshal.OffsetOf<Decode.DecodedInsn>(nameof(Decode.DecodedInsn.Jit));

    /// <summary>
    /// Emits the routines:
    /// <list type="bullet">
    /// <item>Load and Store, one of each for 1, 2, 4 and 8 bytes: rax = virtual address in; rdx = host
    /// pointer out, or 0 when the access is the interpreter's (TLB miss, device, for a store a page that is
    /// not plain dirty, or an access that would cross the page's end). rcx is clobbered.</item>
    /// <item>Exit and Miss (jumped to): rdx = pc offset from the entry, rcx = steps into the running block;
    /// they write the pc and return the steps from the body; Miss also marks the run as stopped before an
    /// access (<see cref="NativeContext.Missed"/>).</item>
    /// </list>
    /// </summary>
    public static NativeRoutineTable Emit(X64Assembler a)
    {
        a.Reset();
        int load = Translate(a, load: true, size: 8), store = Translate(a, load: false, size: 8);
        int load1 = Translate(a, load: true, size: 1), load2 = Translate(a, load: true, size: 2), load4 = Translate(a, load: true, size: 4);
        int store1 = Translate(a, load: false, size: 1), store2 = Translate(a, load: false, size: 2), store4 = Translate(a, load: false, size: 4);
        int miss = a.Length;
        a.StoreImm(Rdi, NativeContext.MissedOffset, 1);
        int exit = a.Length;
        a.Mov(Rax, R9);
        a.AluReg(X64Alu.Add, Rax, Rdx);
        a.Store(Rdi, NativeContext.PcOffset, Rax);
        a.Mov(Rax, R10);
        a.AluReg(X64Alu.Sub, Rax, R8);
        a.AluReg(X64Alu.Add, Rax, Rcx);
        a.Ret();
        int chain = a.Length;
        Chain(a);
        a.Finish();
        return new NativeRoutineTable
        {
            Load = load,
            Store = store,
            Exit = exit,
            Miss = miss,
            Chain = chain,
            Load1 = load1,
            Load2 = load2,
            Load4 = load4,
            Store1 = store1,
            Store2 = store2,
            Store4 = store4,
        };
    }

    /// <summary>
    /// Chain (jumped to): rdx = the next pc (absolute), rcx = the steps of the block just run, all retired.
    /// Enters the body placed at that pc, past its prologue, when its page's slots are found (the page
    /// the context holds, or another through a fetch-TLB hit), it is native, and its entry block fits the
    /// slice: the checks the hart's dispatch loop makes between bodies (after moving its fetch window, which
    /// it does on return), without going back to it. Otherwise leaves with the pc there.
    /// </summary>
    private static void Chain(X64Assembler a)
    {
        var leave = a.NewLabel();
        var samePage = a.NewLabel();
        a.AluReg(X64Alu.Add, R10, Rcx);
        // On the page whose slots the context holds?
        a.Mov(Rax, Rdx);
        a.AluImm(X64Alu.And, Rax, -PhysicalMemory.PageSize);
        a.AluMem(X64Alu.Cmp, Rax, Rdi, NativeContext.SlotsPageOffset);
        a.JumpIf(X64Cond.E, samePage);
        // Another page: what the hart's fetch would do on a fetch-TLB hit (a miss is the hart's to walk),
        // then that RAM page's slots, if the code cache has any.
        NativeRegions.TlbEntry(a, Rcx, Rdx, Hart.TlbEntries, Rdi, NativeContext.TlbFetchOffset);
        a.AluMem(X64Alu.Or, Rax, Rdi, NativeContext.FetchContextOffset);
        a.AluMem(X64Alu.Cmp, Rax, Rcx, 0);
        a.JumpIf(X64Cond.NE, leave);
        a.Load(Rax, Rcx, 8);
        a.AluReg(X64Alu.Add, Rax, Rdx);
        a.ShiftImm(X64Shift.Shr, Rax, PhysicalMemory.PageShift);
        a.ShiftImm(X64Shift.Shl, Rax, 3);
        a.AluMem(X64Alu.Add, Rax, Rdi, NativeContext.PageSlotsOffset);
        a.Load(Rax, Rax, 0);
        a.Test(Rax, Rax);
        a.JumpIf(X64Cond.E, leave);
        a.Store(Rdi, NativeContext.SlotsOffset, Rax);
        a.Mov(Rax, Rdx);
        a.AluImm(X64Alu.And, Rax, -PhysicalMemory.PageSize);
        a.Store(Rdi, NativeContext.SlotsPageOffset, Rax);
        a.Bind(samePage);
        // The slot: slots + (pc & 0xfff) / 2 * 16; its mark, a placement id when above 0.
        a.Mov(Rax, Rdx);
        a.AluImm(X64Alu.And, Rax, 0xffe, wide: false);
        a.ShiftImm(X64Shift.Shl, Rax, 3, wide: false);
        a.AluMem(X64Alu.Add, Rax, Rdi, NativeContext.SlotsOffset);
        a.LoadExtend(Rax, Rax, JitOffset, 4, signed: true);
        a.Test(Rax, Rax);
        a.JumpIf(X64Cond.LE, leave);
        a.ShiftImm(X64Shift.Shl, Rax, 4);
        a.AluMem(X64Alu.Add, Rax, Rdi, NativeContext.EntriesOffset);
        // Room in the slice for its whole entry block?
        a.LoadExtend(Rcx, Rax, NativeEntry.LengthOffset, 4, signed: false);
        a.AluReg(X64Alu.Add, Rcx, R10);
        a.AluReg(X64Alu.Cmp, Rcx, R11);
        a.JumpIf(X64Cond.A, leave);
        a.Load(Rcx, Rax, 0);
        a.Test(Rcx, Rcx);
        a.JumpIf(X64Cond.E, leave);
        // A run, towards the IL region the hart compiles when it next enters this body itself.
        a.IncMem32(Rax, NativeEntry.RunsOffset);
        a.Mov(R9, Rdx);
        a.JumpReg(Rcx);

        a.Bind(leave);
        a.Store(Rdi, NativeContext.PcOffset, Rdx);
        a.Mov(Rax, R10);
        a.AluReg(X64Alu.Sub, Rax, R8);
        a.Ret();
    }

    /// <summary>
    /// Emits a load or store routine for accesses of <paramref name="size"/> bytes, which must end by the
    /// page's end; returns where it starts.
    /// </summary>
    private static int Translate(X64Assembler a, bool load, int size)
    {
        int start = a.Length;
        int lastStart = PhysicalMemory.PageSize - size;
        var tlb = a.NewLabel();
        var found = a.NewLabel();
        var miss = a.NewLabel();
        // Untranslated RAM: offset = va - base, below the fast-path limit (0 while paging or PMP apply).
        a.Mov(Rdx, Rax);
        a.AluMem(X64Alu.Sub, Rdx, Rdi, NativeContext.RamBaseOffset);
        a.AluMem(X64Alu.Cmp, Rdx, Rdi, load ? NativeContext.FastLoadLimitOffset : NativeContext.FastStoreLimitOffset);
        a.JumpIf(X64Cond.AE, tlb);
        if (!load)
        {
            // A store must stay in one page: only that page's flags are checked.
            a.Mov(Rcx, Rdx);
            a.AluImm(X64Alu.And, Rcx, 0xfff, wide: false);
            a.AluImm(X64Alu.Cmp, Rcx, lastStart, wide: false);
            a.JumpIf(X64Cond.A, miss);
        }
        a.Jump(found);

        // The TLB: entry = table + ((va >> 12) & mask) * 16; a hit has key == page | context and the
        // access within the page (Hart.TlbLoadHit and TlbStoreHit, for any size, ask 8 bytes' room).
        a.Bind(tlb);
        NativeRegions.TlbEntry(a, Rcx, Rax, Hart.TlbEntries, Rdi, load ? NativeContext.TlbReadOffset : NativeContext.TlbWriteOffset);
        a.Mov(Rdx, Rax);
        a.AluImm(X64Alu.And, Rdx, -PhysicalMemory.PageSize);
        a.AluMem(X64Alu.Or, Rdx, Rdi, load ? NativeContext.LoadContextOffset : NativeContext.StoreContextOffset);
        a.AluMem(X64Alu.Cmp, Rdx, Rcx, 0);
        a.JumpIf(X64Cond.NE, miss);
        if (size > 1)
        {
            a.Mov(Rdx, Rax);
            a.AluImm(X64Alu.And, Rdx, 0xfff, wide: false);
            a.AluImm(X64Alu.Cmp, Rdx, lastStart, wide: false);
            a.JumpIf(X64Cond.A, miss);
        }
        a.Load(Rdx, Rcx, 8);
        a.AluReg(X64Alu.Add, Rdx, Rax);

        a.Bind(found);
        if (!load)
        {
            // The page's flags must say "dirty, nobody watching": anything else is NoteWrite's slow path.
            a.Mov(Rcx, Rdx);
            a.ShiftImm(X64Shift.Shr, Rcx, PhysicalMemory.PageShift);
            a.AluMem(X64Alu.Add, Rcx, Rdi, NativeContext.PageFlagsOffset);
            a.CmpByteMem(Rcx, 0, PhysicalMemory.DirtyFlag);
            a.JumpIf(X64Cond.NE, miss);
        }
        a.AluMem(X64Alu.Add, Rdx, Rdi, NativeContext.RamPtrOffset);
        a.Ret();

        a.Bind(miss);
        a.MovImm(Rdx, 0);
        a.Ret();
        return start;
    }
}
