namespace Rewind.Core.Native;

/// <summary>
/// Code both native compilers (RISC-V's and Arm's) emit for a region the same way: the check between its
/// blocks, which enters a block only with room in the slice for all of it (so stops, interrupts and turns
/// fall on the interpreter's counts), and a pc relative to the region's entry.
/// </summary>
public static class NativeRegions
{
    /// <summary>Whether the host has BMI2 (RORX).</summary>
    private static readonly bool Bmi2 = System.Runtime.Intrinsics.X86.Bmi2.X64.IsSupported;

    /// <summary>
    /// Jumps to <paramref name="to"/>, having added <paramref name="ran"/> (the running block's steps) to
    /// <paramref name="blockCount"/>, when blockCount + ran + <paramref name="next"/> (the next block's length)
    /// stays within <paramref name="sliceEnd"/>; otherwise falls through with blockCount as it was.
    /// <paramref name="scratch"/> is clobbered.
    /// </summary>
    public static void GoOnIfRoom(X64Assembler a, X64Reg blockCount, X64Reg sliceEnd, X64Reg scratch, int ran, int next, X64Label to)
    {
        var leave = a.NewLabel();
        a.Lea(scratch, blockCount, ran + next);
        a.AluReg(X64Alu.Cmp, scratch, sliceEnd);
        a.JumpIf(X64Cond.A, leave);
        a.AluImm(X64Alu.Add, blockCount, ran);
        a.Jump(to);
        a.Bind(leave);
    }

    /// <summary>
    /// entry = the address of the TLB entry for the virtual address in <paramref name="va"/>: the table (its
    /// pointer at <paramref name="tableOffset"/> in <paramref name="context"/>) + ((va >> 12) &amp; (entries - 1))
    /// * 16, as both CPUs' TLBs are laid out (a key, then an offset or a pointer). va is kept.
    /// </summary>
    public static void TlbEntry(X64Assembler a, X64Reg entry, X64Reg va, int entries, X64Reg context, int tableOffset)
    {
        TlbIndex(a, entry, va, entries, 4);
        a.AluMem(X64Alu.Add, entry, context, tableOffset);
    }

    /// <summary>
    /// As <see cref="TlbEntry"/> for a table inside the context's own block, <paramref name="tableDisp"/> bytes from
    /// <paramref name="context"/>: the last step is an LEA, not an add of a pointer loaded from the context, which
    /// takes a load's latency off the lookup that every translated access waits for.
    /// </summary>
    /// <param name="entryShift">log2 of an entry's bytes (4 for 16, 5 for 32).</param>
    public static void TlbEntryAt(X64Assembler a, X64Reg entry, X64Reg va, int entries, X64Reg context, int tableDisp, int entryShift = 4)
    {
        TlbIndex(a, entry, va, entries, entryShift);
        a.LeaIndex(entry, context, entry, 0, tableDisp);
    }

    /// <summary>entry = ((va >> 12) &amp; (entries - 1)) &lt;&lt; entryShift, the entry's byte offset in its table.</summary>
    private static void TlbIndex(X64Assembler a, X64Reg entry, X64Reg va, int entries, int entryShift)
    {
        if (entries > 1 << 20 || (entries & (entries - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(entries));
        if (entryShift is < 0 or > 11) throw new ArgumentOutOfRangeException(nameof(entryShift));
        // It is (va >> (12 - entryShift)) & ((entries - 1) << entryShift): one shift fewer, in 32 bits. RORX copies
        // and shifts in one; the bits it rotates round land at 20 + entryShift and up, above what the mask keeps.
        if (Bmi2) a.Rorx(entry, va, 12 - entryShift, wide: false);
        else
        {
            a.Mov(entry, va);
            a.ShiftImm(X64Shift.Shr, entry, 12 - entryShift, wide: false);
        }
        a.AluImm(X64Alu.And, entry, (entries - 1) << entryShift, wide: false);
    }

    /// <summary>
    /// dst = <paramref name="entryPc"/> + <paramref name="offset"/>: a guest pc relative to the region's entry,
    /// which native code takes as an argument (a region runs wherever its page is mapped).
    /// </summary>
    public static void PcPlus(X64Assembler a, X64Reg dst, X64Reg entryPc, long offset)
    {
        if (offset is >= int.MinValue and <= int.MaxValue)
        {
            a.Lea(dst, entryPc, (int)offset);
            return;
        }
        a.MovImm(dst, offset);
        a.AluReg(X64Alu.Add, dst, entryPc);
    }
}
