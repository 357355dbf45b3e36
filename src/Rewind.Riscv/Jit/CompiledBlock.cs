namespace Rewind.Riscv.Jit;

/// <summary>
/// Compiled code for one guest block. It runs <c>Length</c> instructions from <paramref name="pc"/>, with
/// the hart's count at <paramref name="icount"/> on entry, leaves the next pc in <see cref="Hart.Pc"/> and
/// returns the steps it took: <c>Length</c>, a multiple of it when the block jumps back to its own start
/// (it does so only while the next round ends by <paramref name="sliceEnd"/>), or fewer when an
/// instruction trapped or had to end the run early (then <see cref="Hart.JitExit"/> says which).
/// </summary>
internal unsafe delegate ulong BlockCode(Hart hart, ulong* x, ulong pc, ulong icount, ulong sliceEnd);

/// <summary>A compiled block and the bytes it was compiled from (blocks are kept and reused by content).</summary>
internal sealed class CompiledBlock(BlockCode code, int length, byte[] bytes)
{
    public readonly BlockCode Code = code;
    /// <summary>Instructions in the block: it is entered only when the slice has room for all of them.</summary>
    public readonly int Length = length;
    public readonly byte[] Bytes = bytes;
    /// <summary>Set after the first run, in which the runtime compiled the IL (host bookkeeping only).</summary>
    public bool Ran;
}
