namespace Rewind.Core.Native;

/// <summary>
/// The check both native compilers (RISC-V's and Arm's) make between two blocks of a region: a block is entered
/// only with room in the slice for all of it, so stops, interrupts and turns fall on the interpreter's counts.
/// </summary>
public static class NativeSlice
{
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
}
