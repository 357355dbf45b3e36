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
        /// <summary>No native body can start here: the next time it is hot, the runtime's JIT compiles it.</summary>
        public bool NativeRefused;
    }

    private ref HotSpot HotFor(ulong pc) => ref _hot[(int)((pc >> 2) ^ (pc >> 14)) & (HotEntries - 1)];

    private readonly HotSpot[] _hot = new HotSpot[HotEntries];

    /// <summary>The machine's compiled regions while the compiler is on (read at each run), else null.</summary>
    private ArmBlockCache? _jit;

    /// <summary>Regions this CPU compiled (host statistics).</summary>
    public long RegionsCompiled { get; private set; }

    /// <summary>Host statistics: calls into compiled regions, the steps they ran, and calls that ran nothing (their first instruction needed the interpreter).</summary>
    public ulong RegionRuns, RegionSteps, RegionDeclines;

    /// <summary>Host statistics: Stopwatch ticks spent discovering, emitting and compiling regions.</summary>
    public long CompileTicks;

    /// <summary>
    /// Counts a visit to pc from the top of the loop; true, starting the count again, when its region is due
    /// to be compiled (again, if an earlier one was forgotten when its code was written).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool VisitIsHot(ulong pc, int threshold)
    {
        ref HotSpot h = ref HotFor(pc);
        if (h.Pc != pc)
        {
            h.Pc = pc;
            h.Visits = 0;
            h.NativeRefused = false;
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
        // First the native tier, where there is one. A place it cannot start (its instruction is one native
        // code leaves to the interpreter) goes to the runtime's JIT once it has been visited as often as that
        // tier asks of any place, not at the native tier's low count.
        if (cache.NativeTier)
        {
            ref HotSpot h = ref HotFor(pc);
            if (!h.NativeRefused || h.Pc != pc)
            {
                if (CompileNative(pc, cache)) return;
                h.Pc = pc;
                h.NativeRefused = true;
                h.Visits = cache.NativeThreshold - cache.Threshold;
                return;
            }
            h.NativeRefused = false;
        }
        byte* page = _fetchHost;
        int ramPage = (int)((ulong)(page - _ramPtr) >> 12);
        if (cache.Background)
        {
            cache.Request(ramPage, (int)(pc & 0xfff), _fetchSlots, MmuOn);
            return;
        }
        var region = ArmRegion.Discover((int)(pc & 0xfff), at => *(uint*)(page + at));
        if (region == null) return;
        region.Translated = MmuOn;
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var code = cache.TryCompile(region);
        CompileTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        if (code == null) return;
        var (start, end) = region.Span;
        int slot = (int)((pc >> 2) & 1023);
        cache.Place(code, region.Blocks[0].Ops.Length, region.Blocks[0].Ops[0], _fetchSlots, slot, ramPage, start, end);
        RegionsCompiled++;
    }

    /// <summary>The RAM page flags (dirty, watched), at a fixed address: compiled stores test them inline.</summary>
    private readonly byte* _pageFlags;

    /// <summary>The RAM offset the data TLB maps a load of up to 8 bytes at va to, or ulong.MaxValue (compiled code tests the untranslated range itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitTlbReadOffset(ulong va)
    {
        ulong off = 0;
        return DataTlbLoadHit(va, ref off) ? off : ulong.MaxValue;
    }

    /// <summary>As <see cref="JitTlbReadOffset"/> for a store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitTlbWriteOffset(ulong va)
    {
        ulong off = 0;
        return DataTlbStoreHit(va, ref off) ? off : ulong.MaxValue;
    }

    /// <summary>
    /// Reports a compiled region's store of <paramref name="size"/> bytes at RAM offset <paramref name="off"/>
    /// whose page holds code or was clean (compiled code tests for the usual case inline): true when it made
    /// the cache forget a compiled region, which may be the one storing, which then leaves after the store.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool JitWroteSlow(ulong off, int size)
    {
        int generation = _jit!.Generation;
        _ram.NoteWrite(off);
        // An untranslated store may end in the next page, which has its own code slots.
        if ((off & 0xfff) > 0xff8) _ram.NoteWrite(off + (ulong)size - 1);
        return _jit.Generation != generation;
    }

    /// <summary>
    /// Whether a breakpoint lies on the bytes <paramref name="block"/> was compiled from, in the page at virtual
    /// address <paramref name="page"/>: then the interpreter runs that code, stopping where the debugger asked.
    /// A debugger sets a few breakpoints, so a scan of them all is cheap next to a region's run.
    /// </summary>
    private bool BreakpointIn(ulong page, ArmBlock block)
    {
        foreach (ulong b in _breakpoints)
        {
            ulong at = b - page;
            if (at >= (ulong)block.Start && at < (ulong)block.End) return true;
        }
        return false;
    }

    /// <summary>The kind of the instruction a slot holds, looking through a compiled region's mark.</summary>
    private A64Kind KindOf(in A64Op slot) =>
        slot.Kind == A64Kind.Jit ? _code.Blocks!.Block((int)slot.Imm).EntryKind : slot.Kind;
}
