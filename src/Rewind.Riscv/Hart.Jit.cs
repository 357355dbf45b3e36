using System.Runtime.CompilerServices;
using Rewind.Core.Memory;
using Rewind.Riscv.Decode;
using Rewind.Riscv.Jit;

namespace Rewind.Riscv;

/// <summary>
/// The hart's side of the block compiler (<see cref="Jit.BlockCompiler"/>): compiling a hot jump target,
/// running compiled blocks one after another while they fit the slice, and the methods compiled code
/// calls for memory access, which are the interpreter's own paths with the pc and count made exact first.
/// </summary>
public sealed unsafe partial class Hart
{
    /// <summary>Why compiled code ended early: an access trapped (the pc is the handler's) ...</summary>
    internal const int JitTrapped = 1;
    /// <summary>... or the access completed but the run must go back to the interpreter after it.</summary>
    internal const int JitStopAfter = 2;
    /// <summary>... or native code stopped before an access it leaves to the interpreter.</summary>
    internal const int JitNativeMiss = 3;

    /// <summary>0 while compiled code runs normally; set by the access methods below and the block cache.</summary>
    internal int JitExit;

    /// <summary>
    /// Runs the compiled block <paramref name="id"/> at <see cref="Pc"/>, then every following one on the
    /// same fetch page, while each fits the slice. False when the first does not fit: interpret.
    /// </summary>
    // Straight to optimised code: it runs millions of times in a boot, most of which is over before
    // the runtime's tiering would get to it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool RunCompiled(BlockCache blocks, int id)
    {
        // The dense entry table, not the body object, for what every run needs: the body objects are
        // scattered over the heap, and loading one was the most sampled instruction of this loop.
        ref NativeEntry entry = ref blocks.Entry(id);
        if (Icount + (ulong)entry.Length > _sliceEnd) return false;
        blocks.Running = this;
        ulong* x = _x;
        ulong entered = Icount;
        if (blocks.Native) UseNativeRoutines(blocks);
        var counters = Counters;
        while (true)
        {
            // The count on entry: a slow access inside the block sets Icount to its own instruction's.
            ulong start = Icount, steps;
            // A body that keeps running is worth the runtime's longer compile of its whole region.
            // (Counted again from 0 after asking: a body placed again later, after a restore, asks again.)
            nint native = entry.Code;
            if (native != 0)
            {
                // Compiling in the foreground may replace this placement (and clear its entry) at once;
                // its code stays in the arena, valid for this run.
                if (blocks.NativeUpgradeDue(id)) CompileAt(blocks, Pc, BodyTier.Region);
                steps = RunNative(native - NativeCompiler.PrologueBytes, x, start);
                blocks.CountNativeSteps(id, steps);
            }
            else
            {
                var block = blocks.Get(id);
                if (block.Tier == BodyTier.Block && ++block.Runs >= BlockCache.RegionThreshold)
                {
                    block.Runs = 0;
                    CompileAt(blocks, Pc, BodyTier.Region);
                }
                steps = block.Ran ? block.Code!(this, x, Pc, start, _sliceEnd) : FirstRun(block, x);
            }
            // Native code that stopped before its very first instruction has made no progress: that
            // instruction is the interpreter's, or the same body would be entered again at once.
            if (steps == 0 && JitExit == JitNativeMiss && start == entered)
            {
                if (native != 0) blocks.CountNativeStall(id);
                counters.BlockExits[(int)JitExitReason.NativeMiss]++;
                JitExit = 0;
                blocks.Running = null;
                return false;
            }
            Icount = start + steps;
            counters.CompiledSteps += steps;
            counters.BlockRuns++;
            if (JitExit != 0)
            {
                counters.BlockExits[(int)(JitExit switch
                {
                    JitTrapped => JitExitReason.Trapped,
                    JitNativeMiss => JitExitReason.NativeMiss,
                    _ => JitExitReason.StopAfter,
                })]++;
                JitExit = 0;
                break;
            }
            ulong pc = Pc;
            if ((pc >> PhysicalMemory.PageShift) != _fetchVpn && !ChainToPage(pc)) break;
            ref DecodedInsn slot = ref _fetchPage[(pc & 0xfff) >> 1];
            id = slot.Jit;
            if (id <= 0)
            {
                NoteExitBefore(ref slot);
                break;
            }
            entry = ref blocks.Entry(id);
            if (Icount + (ulong)entry.Length > _sliceEnd)
            {
                counters.BlockExits[(int)JitExitReason.SliceEnd]++;
                break;
            }
        }
        blocks.Running = null;
        return true;
    }

    /// <summary>
    /// Moves the fetch window to <paramref name="pc"/>'s page between compiled blocks, as the interpreter
    /// would before its next instruction, so that a block there can follow without going back to it.
    /// False when the run goes back to the interpreter: the slice is over (the interpreter would not
    /// fetch either), or the fetch faulted, which is a step of its own as in the interpreter.
    /// </summary>
    private bool ChainToPage(ulong pc)
    {
        Counters.BlockExits[(int)JitExitReason.OtherPage]++;
        if (Icount >= _sliceEnd) return false;
        if (RefillFetch(pc)) return true;
        Icount++;
        return false;
    }

    /// <summary>Counts a run of compiled code that ended where no block starts: at an instruction left to the interpreter, or at code not compiled yet.</summary>
    private void NoteExitBefore(ref DecodedInsn slot)
    {
        if (slot.Op != Op.Undecoded && !BlockCompiler.Supports(slot.Op))
        {
            Counters.BlockExits[(int)JitExitReason.Unsupported]++;
            Counters.ExitsBefore[(int)slot.Op]++;
        }
        else
        {
            Counters.BlockExits[(int)JitExitReason.NotCompiled]++;
        }
    }

    /// <summary>A body's first run, when the runtime compiles its IL: timed for the counters.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong FirstRun(CompiledBlock block, ulong* x)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp(), cpu0 = ThreadCpuClock.Nanoseconds();
        ulong steps = block.Code!(this, x, Pc, Icount, _sliceEnd);
        Counters.FirstRunTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        Counters.FirstRunCpuNanoseconds += ThreadCpuClock.Nanoseconds() - cpu0;
        Counters.FirstRuns++;
        block.Ran = true;
        return steps;
    }

    /// <summary>
    /// Compiles (or places again, if its bytes were compiled before) a body of <paramref name="tier"/> for
    /// the code at pc, on the fetch page: its block alone, or its whole region: that block and the blocks
    /// on the page its direct jumps reach (<see cref="Region"/>), which then replaces an earlier tier.
    /// </summary>
    private void CompileAt(BlockCache blocks, ulong pc, BodyTier tier)
    {
        // Only RAM: its writes are heard, a ROM's are not.
        if (!_ram.Contains(_fetchPhysPage, PhysicalMemory.PageSize)) return;
        var found = new Region(whole: tier != BodyTier.Block);
        bool native = tier == BodyTier.Native;
        // On the stack, not in a List and a HashSet: this runs for every region translated, on the hart's
        // thread. Each block found adds at most two successors, so the queue cannot overflow.
        Span<int> pending = stackalloc int[2 * Region.MaxWholeBlocks + 1];
        int queued = 0;
        pending[queued++] = (int)(pc & 0xfff);
        Span<DecodedInsn> insns = stackalloc DecodedInsn[BlockCompiler.MaxInstructions];
        // Breadth first from the entry: the blocks nearest to it are the likeliest to run.
        for (int next = 0; next < queued && found.BlockCount < found.MaxBlocks; next++)
        {
            int start = pending[next];
            if (pending[..next].Contains(start)) continue;
            int room = Math.Min(insns.Length, Region.MaxInstructions - found.InstructionCount);
            if (room <= 0) break;
            int n = ScanBlock(pc & ~0xfffUL, start, insns[..room], native, out bool endedByLength);
            if (n == 0)
            {
                if (found.BlockCount == 0) return;
                continue;
            }
            found.Add(start, insns[..n]);
            queued = Region.Successors(start, insns[..n], endedByLength, pending, queued);
        }
        int ramPage = (int)((_fetchPhysPage - _ramBase) >> PhysicalMemory.PageShift);
        blocks.Place(_fetchPage, ramPage, found, tier);
    }

    /// <summary>
    /// Decodes the block at byte <paramref name="start"/> of the fetch page (virtual page
    /// <paramref name="pageVa"/>) into <paramref name="insns"/>: up to its first jump or branch, or the
    /// last instruction before one the compiler leaves to the interpreter. Returns its length.
    /// </summary>
    private int ScanBlock(ulong pageVa, int start, Span<DecodedInsn> insns, bool native, out bool endedByLength)
    {
        int offset = start, n = 0;
        endedByLength = false;
        while (offset < PhysicalMemory.PageSize)
        {
            if (n == insns.Length)
            {
                endedByLength = true;
                break;
            }
            ref DecodedInsn slot = ref _fetchPage[offset >> 1];
            if (slot.Op == Op.Undecoded) DecodeSlot(ref slot, pageVa | (uint)offset);
            if (!(native ? NativeCompiler.Supports(slot.Op) : BlockCompiler.Supports(slot.Op)))
            {
                Counters.BlockStops[(int)slot.Op]++;
                break;
            }
            if (offset + slot.Length > PhysicalMemory.PageSize) break;
            insns[n++] = slot;
            offset += slot.Length;
            if (BlockCompiler.EndsBlock(slot.Op)) break;
        }
        return n;
    }

    // Compiled loads and stores take the interpreter's inline paths: untranslated RAM first, then a TLB
    // hit (paged RAM), and only then the slow path, with the pc and count written back.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitLoad8(ulong va, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        return off < _fastLoadLimit || TlbLoadHit(va, ref off) ? _ramPtr[off] : JitLoadSlow(va, 1, pc, ic);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitLoad16(ulong va, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        return off < _fastLoadLimit || TlbLoadHit(va, ref off) ? *(ushort*)(_ramPtr + off) : JitLoadSlow(va, 2, pc, ic);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitLoad32(ulong va, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        return off < _fastLoadLimit || TlbLoadHit(va, ref off) ? *(uint*)(_ramPtr + off) : JitLoadSlow(va, 4, pc, ic);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong JitLoad64(ulong va, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        return off < _fastLoadLimit || TlbLoadHit(va, ref off) ? *(ulong*)(_ramPtr + off) : JitLoadSlow(va, 8, pc, ic);
    }

    // The same accesses as calls, for blocks compiled cold: each inlined access is a good part of the
    // runtime's time compiling a block, which a block run a few hundred times never earns back.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal ulong JitCallLoad8(ulong va, ulong pc, ulong ic) => JitLoad8(va, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal ulong JitCallLoad16(ulong va, ulong pc, ulong ic) => JitLoad16(va, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal ulong JitCallLoad32(ulong va, ulong pc, ulong ic) => JitLoad32(va, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal ulong JitCallLoad64(ulong va, ulong pc, ulong ic) => JitLoad64(va, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void JitCallStore8(ulong va, ulong value, ulong pc, ulong ic) => JitStore8(va, value, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void JitCallStore16(ulong va, ulong value, ulong pc, ulong ic) => JitStore16(va, value, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void JitCallStore32(ulong va, ulong value, ulong pc, ulong ic) => JitStore32(va, value, pc, ic);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void JitCallStore64(ulong va, ulong value, ulong pc, ulong ic) => JitStore64(va, value, pc, ic);

    /// <summary>A load off the fast path, with the pc and count the interpreter would have at it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong JitLoadSlow(ulong va, int size, ulong pc, ulong ic)
    {
        Pc = pc;
        Icount = ic;
        if (!LoadSlow(va, size, out ulong v))
        {
            JitExit = JitTrapped;
            return 0;
        }
        // A device read may have ended the slice (an interrupt to look at).
        if (ic + 1 >= _sliceEnd) JitExit = JitStopAfter;
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void JitStore8(ulong va, ulong value, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        if (off < _fastStoreLimit || TlbStoreHit(va, ref off))
        {
            _ramPtr[off] = (byte)value;
            NoteStore(off, 0);
        }
        else
        {
            JitStoreSlow(va, 1, value, pc, ic);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void JitStore16(ulong va, ulong value, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        if (off < _fastStoreLimit || TlbStoreHit(va, ref off))
        {
            *(ushort*)(_ramPtr + off) = (ushort)value;
            NoteStore(off, 1);
        }
        else
        {
            JitStoreSlow(va, 2, value, pc, ic);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void JitStore32(ulong va, ulong value, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        if (off < _fastStoreLimit || TlbStoreHit(va, ref off))
        {
            *(uint*)(_ramPtr + off) = (uint)value;
            NoteStore(off, 3);
        }
        else
        {
            JitStoreSlow(va, 4, value, pc, ic);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void JitStore64(ulong va, ulong value, ulong pc, ulong ic)
    {
        ulong off = va - _ramBase;
        if (off < _fastStoreLimit || TlbStoreHit(va, ref off))
        {
            *(ulong*)(_ramPtr + off) = value;
            NoteStore(off, 7);
        }
        else
        {
            JitStoreSlow(va, 8, value, pc, ic);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NoteStore(ulong off, int last)
    {
        _ram.NoteWrite(off);
        // Only a store straddling a page boundary touches a second page.
        if ((int)(off & 0xfff) + last > 0xfff) _ram.NoteWrite(off + (ulong)last);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void JitStoreSlow(ulong va, int size, ulong value, ulong pc, ulong ic)
    {
        Pc = pc;
        Icount = ic;
        if (!StoreSlow(va, size, value)) JitExit = JitTrapped;
        else if (ic + 1 >= _sliceEnd) JitExit = JitStopAfter;
    }

    internal static ulong JitMulh(ulong a, ulong b) => (ulong)Math.BigMul((long)a, (long)b, out _);
    internal static ulong JitMulhu(ulong a, ulong b) => Math.BigMul(a, b, out _);
    internal static ulong JitMulhsu(ulong a, ulong b) => MulHsu((long)a, b);
    internal static ulong JitDiv(ulong a, ulong b) => Div((long)a, (long)b);
    internal static ulong JitDivu(ulong a, ulong b) => b == 0 ? ulong.MaxValue : a / b;
    internal static ulong JitRem(ulong a, ulong b) => Rem((long)a, (long)b);
    internal static ulong JitRemu(ulong a, ulong b) => b == 0 ? a : a % b;
    internal static ulong JitDivw(ulong a, ulong b) => (ulong)(long)(int)Div((int)a, (int)b);
    internal static ulong JitDivuw(ulong a, ulong b) =>
        (uint)b == 0 ? ulong.MaxValue : (ulong)(long)(int)((uint)a / (uint)b);
    internal static ulong JitRemw(ulong a, ulong b) => (ulong)(long)(int)Rem((int)a, (int)b);
    internal static ulong JitRemuw(ulong a, ulong b) =>
        (uint)b == 0 ? (ulong)(long)(int)a : (ulong)(long)(int)((uint)a % (uint)b);
}
