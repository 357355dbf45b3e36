namespace Rewind.Riscv.Jit;

/// <summary>
/// Compiled code for one guest region. It starts at <paramref name="pc"/> (its entry block), with the
/// hart's count at <paramref name="icount"/> on entry, leaves the next pc in <see cref="Hart.Pc"/> and
/// returns the steps it took. It goes from one of its blocks to another only while the slice, which
/// ends at <paramref name="sliceEnd"/>, has room for the whole next block; it stops early when an
/// instruction trapped or had to end the run (then <see cref="Hart.JitExit"/> says which).
/// </summary>
internal unsafe delegate ulong BlockCode(Hart hart, ulong* x, ulong pc, ulong icount, ulong sliceEnd);

/// <summary>
/// A compiled region (<see cref="Region"/>), the bytes it was compiled from and its shape: bodies are
/// kept and reused by content.
/// </summary>
internal sealed class CompiledBlock(BlockCode code, int length, byte[] bytes, int[] shape, bool isRegion)
{
    /// <summary>True for a whole region; false for a block alone, which is replaced by its region once hot.</summary>
    public readonly bool IsRegion = isRegion;
    /// <summary>Runs of a block alone, counted up to <see cref="BlockCache.RegionThreshold"/> (host bookkeeping only).</summary>
    public int Runs;
    public readonly BlockCode Code = code;
    /// <summary>Instructions in the entry block: it is entered only when the slice has room for all of them.</summary>
    public readonly int Length = length;
    public readonly byte[] Bytes = bytes;
    public readonly int[] Shape = shape;
    /// <summary>Set after the first run, in which the runtime compiled the IL (host bookkeeping only).</summary>
    public bool Ran;

    /// <summary>True when this body was compiled from exactly these bytes, cut into blocks the same way.</summary>
    public bool Matches(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> shape) =>
        bytes.SequenceEqual(Bytes) && shape.SequenceEqual(Shape);
}
