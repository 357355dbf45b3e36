using Rewind.Arm64.Decode;
using Rewind.Core.Memory;

namespace Rewind.Arm64;

/// <summary>
/// An Arm machine's code cache: decoded instructions (<see cref="A64Op"/>) per physical RAM page, one
/// slot per 4-byte instruction. A slot depends only on the four bytes at its address, so one cache may
/// serve every CPU of a machine; writes to a page it holds forget the slots they overlap (see
/// <see cref="PageCodeCache{TSlot}"/>), which keeps self-modifying code and loaders exact.
/// </summary>
public sealed class Arm64CodeCache(PhysicalMemory ram) : PageCodeCache<A64Op>(ram, slotShift: 2, maxInstructionBytes: 4)
{
    /// <summary>The compiled regions, once <see cref="EnableCompiler"/> has been called; null while every instruction is interpreted.</summary>
    public Jit.ArmBlockCache? Blocks { get; private set; }

    /// <summary>Turns the block compiler on: a region is compiled where the interpreter arrives <paramref name="threshold"/> times.</summary>
    /// <param name="background">Compile on another thread (see <see cref="Jit.ArmBlockCache"/>); tests comparing tiers step by step compile in the foreground.</param>
    /// <param name="native">Translate regions to native code first (see <see cref="Jit.ArmBlockCache"/>).</param>
    public void EnableCompiler(int threshold = Jit.ArmJitSettings.DefaultThreshold, bool background = false, bool native = false,
        int nativeThreshold = Jit.ArmJitSettings.DefaultNativeThreshold) =>
        Blocks ??= new Jit.ArmBlockCache(this, threshold, background, native, nativeThreshold);
}
