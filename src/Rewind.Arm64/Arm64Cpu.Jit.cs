using System.Runtime.CompilerServices;
using Rewind.Arm64.Decode;
using Rewind.Arm64.Jit;

namespace Rewind.Arm64;

/// <summary>
/// The interpreter's side of the block compiler (<see cref="ArmBlockCompiler"/>): counting visits to
/// addresses the interpreter reaches from the top of its loop (jump targets, page entries), compiling the
/// region at one that gets hot, and the memory accesses compiled regions make, which are the interpreter's
/// fast path and nothing more: a region leaves for the interpreter whenever that path would not serve.
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    private const int HotEntries = 4096;

    private struct HotSpot
    {
        public ulong Pc;
        public int Visits;
    }

    private readonly HotSpot[] _hot = new HotSpot[HotEntries];

    /// <summary>The machine's compiled regions while the compiler is on (read at each run), else null.</summary>
    private ArmBlockCache? _jit;

    /// <summary>Regions this CPU compiled (host statistics).</summary>
    public long RegionsCompiled { get; private set; }

    /// <summary>
    /// Counts a visit to pc from the top of the loop; true, starting the count again, when its region is due
    /// to be compiled (again, if an earlier one was forgotten when its code was written).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool VisitIsHot(ulong pc, int threshold)
    {
        ref HotSpot h = ref _hot[(int)((pc >> 2) ^ (pc >> 14)) & (HotEntries - 1)];
        if (h.Pc != pc)
        {
            h.Pc = pc;
            h.Visits = 0;
        }
        if (++h.Visits < threshold) return false;
        h.Visits = 0;
        return true;
    }

    /// <summary>
    /// Compiles the region entered at pc, in the fetch window, and places it over pc's slot. Nothing is placed
    /// when pc's instruction is not one a region runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CompileRegion(ulong pc)
    {
        var cache = _jit;
        if (cache == null || (pc & ~0xfffUL) != _fetchPage) return;
        byte* page = _fetchHost;
        var region = ArmRegion.Discover((int)(pc & 0xfff), at => *(uint*)(page + at));
        if (region == null) return;
        var code = ArmBlockCompiler.Compile(region);
        var (start, end) = region.Span;
        int slot = (int)((pc >> 2) & 1023);
        cache.Place(code, region.Blocks[0].Ops.Length, region.Blocks[0].Ops[0], _fetchSlots, slot,
            (int)((ulong)(page - _ramPtr) >> 12), start, end);
        RegionsCompiled++;
    }

    /// <summary>The RAM offset a load of up to 8 bytes at va would read through the fast path, or ulong.MaxValue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitReadOffset(ulong va)
    {
        ulong off = va - _ramBase;
        return off < _fastAccessLimit || DataTlbLoadHit(va, ref off) ? off : ulong.MaxValue;
    }

    /// <summary>As <see cref="JitReadOffset"/> for a store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitWriteOffset(ulong va)
    {
        ulong off = va - _ramBase;
        return off < _fastAccessLimit || DataTlbStoreHit(va, ref off) ? off : ulong.MaxValue;
    }

    /// <summary>
    /// Reports a compiled region's store of <paramref name="size"/> bytes at RAM offset <paramref name="off"/>
    /// (dirty pages, decoded code); true when it made the cache forget a compiled region, which may be the
    /// one storing: it then leaves after this instruction.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool JitWrote(ulong off, int size)
    {
        int generation = _jit!.Generation;
        _ram.NoteWrite(off);
        // An untranslated store may end in the next page, which has its own code slots.
        if ((off & 0xfff) > 0xff8) _ram.NoteWrite(off + (ulong)size - 1);
        return _jit.Generation != generation;
    }

    /// <summary>The kind of the instruction a slot holds, looking through a compiled region's mark.</summary>
    private A64Kind KindOf(in A64Op slot) =>
        slot.Kind == A64Kind.Jit ? _code.Blocks!.Block((int)slot.Imm).EntryKind : slot.Kind;
}
