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
/// How a body was made, in the order bodies replace each other at a jump target: a later tier replaces
/// an earlier one placed there, never the reverse.
/// </summary>
internal enum BodyTier
{
    /// <summary>The entry block alone, IL through the runtime's JIT (when native code is off).</summary>
    Block,
    /// <summary>The whole region, translated to machine code by <see cref="NativeCompiler"/> in microseconds.</summary>
    Native,
    /// <summary>The whole region, IL through the runtime's JIT: slow to make, fastest to run.</summary>
    Region,
}

/// <summary>
/// A compiled region (<see cref="Region"/>), the bytes it was compiled from and its shape: bodies are
/// kept and reused by content. An IL body has <see cref="Code"/>; a native one has <see cref="Native"/>.
/// </summary>
internal sealed class CompiledBlock(BlockCode? code, nint native, int length, byte[] bytes, int[] shape, BodyTier tier)
{
    public readonly BodyTier Tier = tier;
    /// <summary>Runs of an IL block alone, counted up to <see cref="BlockCache.RegionThreshold"/> (host bookkeeping only; native runs are counted by the cache).</summary>
    public int Runs;
    public readonly BlockCode? Code = code;
    /// <summary>The machine code's address in the cache's <see cref="Core.Native.ExecutableMemory"/>, or 0.</summary>
    public readonly nint Native = native;
    /// <summary>Instructions in the entry block: it is entered only when the slice has room for all of them.</summary>
    public readonly int Length = length;
    public readonly byte[] Bytes = bytes;
    public readonly int[] Shape = shape;
    /// <summary>Set after the first run, in which the runtime compiled the IL (host bookkeeping only).</summary>
    public bool Ran = native != 0;

    /// <summary>True when this body was compiled from exactly these bytes, cut into blocks the same way.</summary>
    public bool Matches(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> shape) =>
        bytes.SequenceEqual(Bytes) && shape.SequenceEqual(Shape);
}
