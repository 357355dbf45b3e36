using System.Collections.Concurrent;
using Rewind.Core.Memory;
using Rewind.Core.Native;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv.Jit;

/// <summary>
/// The machine's compiled blocks, shared by its harts like the decoded slots they hang on: a block's id
/// sits in the <see cref="DecodedInsn.Jit"/> field of its first instruction's slot, so reaching it costs
/// the interpreter nothing more than the slot it already reads. A block is a pure function of the bytes
/// it was compiled from (it takes its pc as an argument), so it is valid wherever those bytes are.
/// <para>
/// Invalidation follows the decoded slots: the cache hears every write to a RAM page it holds (guest
/// stores, devices, debugger, snapshot restores) and forgets every block whose bytes the write may
/// overlap; a slot the code cache clears loses its mark with it. Compiled code is also kept by content,
/// so a block whose bytes come back (a snapshot restore rewrote its page with the same code) is placed
/// again without compiling. Both tables are bounded: when full, they start over.
/// </para>
/// </summary>
public sealed class BlockCache
{
    /// <summary>Most blocks placed at once; the table starts over when full.</summary>
    public const int MaxBlocks = 16384;

    /// <summary>Most compiled bodies kept by content.</summary>
    public const int MaxBodies = 32768;

    /// <summary>Runs of a compiled block alone before its whole region is compiled to replace it (see <see cref="Region"/>).</summary>
    public const int RegionThreshold = 65536;

    /// <summary>Bytes of machine code native bodies may hold at once; when full, they start over.</summary>
    public const int NativeArenaBytes = 32 << 20;

    /// <summary>Times a jump target is reached by the interpreter before its first body is compiled.</summary>
    public int Threshold { get; }

    /// <summary>
    /// The tier a hot jump target gets first: its whole region in native code when that is on, else its
    /// block alone in IL.
    /// </summary>
    internal BodyTier FirstTier => _arena != null ? BodyTier.Native : BodyTier.Block;

    /// <summary>Whether native code (<see cref="NativeCompiler"/>) is the first tier.</summary>
    public bool Native => _arena != null;

    private readonly ExecutableMemory? _arena;
    private readonly NativeCompiler? _nativeCompiler;

    private struct Placement
    {
        public CompiledBlock? Block;
        public DecodedInsn[]? Slots;
        public int Slot;
        public int Start, End;
    }

    private readonly Placement[] _placed = new Placement[MaxBlocks + 1];
    // Beside each placement, what native code reads to enter it (pinned: native code holds its address).
    private readonly NativeEntry[] _entries = GC.AllocateArray<NativeEntry>(MaxBlocks + 1, pinned: true);

    /// <summary>Placement <paramref name="id"/>'s entry: its native code (0 for IL) and entry block length.</summary>
    internal ref NativeEntry Entry(int id) => ref _entries[id];

    // Steps run from each native placement when the hart entered it (host bookkeeping only).
    private readonly long[] _nativeSteps = new long[MaxBlocks + 1];

    /// <summary>
    /// Whether native placement <paramref name="id"/> has done enough work to be worth its IL region: the
    /// steps run from it when the hart entered it, plus 16 for each time other native code entered it
    /// (which counts in <see cref="NativeEntry.Runs"/>). A loop inside one body counts by its steps, a
    /// chain of short bodies by its entries. The count starts again once it says yes.
    /// </summary>
    internal bool NativeUpgradeDue(int id)
    {
        ref NativeEntry e = ref _entries[id];
        if (_nativeSteps[id] + e.Runs * 16L < _upgradeThreshold) return false;
        _nativeSteps[id] = 0;
        e.Runs = 0;
        return true;
    }

    /// <summary>Adds <paramref name="steps"/> run from native placement <paramref name="id"/>, entered by the hart.</summary>
    internal void CountNativeSteps(int id, ulong steps) => _nativeSteps[id] += (long)steps;

    /// <summary>
    /// Counts a run of native placement <paramref name="id"/> that stopped before its first instruction
    /// (a device access, mostly: a loop polling a register starts with one). Such a body makes no progress
    /// and costs a call every time it is tried; its IL region reads the device in-line instead. Polling
    /// the UART ran at 55 M instructions a second this way, against 107 M interpreted and 146 M in IL.
    /// </summary>
    internal void CountNativeStall(int id) => _nativeSteps[id] += NativeStallWork;

    // Work a stall counts for towards the IL upgrade: about 2,400 stalls at the default threshold.
    private const long NativeStallWork = 4096;

    // Work of a native region, about in instructions (see NativeUpgradeDue), before its IL region replaces it.
    private readonly long _upgradeThreshold = JitSettings.UpgradeFromEnvironment();

    /// <summary>The table native code enters bodies through, indexed by placement id.</summary>
    internal unsafe NativeEntry* Entries => (NativeEntry*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _entries[0]);

    private readonly Stack<int> _free = new();
    private readonly List<int>?[] _pageBlocks;
    private readonly Dictionary<ulong, CompiledBlock> _bodies = [];
    private readonly PhysicalMemory _ram;

    /// <summary>The hart running compiled code now, told when a write drops a block (its own, maybe).</summary>
    internal Hart? Running;

    /// <param name="background">
    /// Compile on a thread-pool thread while the hart goes on interpreting, and place the block when it
    /// is ready (<see cref="InstallFinished"/>). Compiled and interpreted runs are the same, so when a block
    /// arrives changes only speed; tests that need a block in place at a known count compile in the foreground.
    /// </param>
    /// <param name="native">
    /// Make native code the first tier, where this host allows (Linux on x86-64); IL bodies then come only
    /// for regions that keep running.
    /// </param>
    public BlockCache(PhysicalMemory ram, int threshold, bool background = false, bool native = false)
    {
        if (native)
        {
            // Emitted code reads the context at the offsets NativeContext declares: never at others.
            if (!NativeContext.OffsetsMatchLayout()) throw new InvalidOperationException("NativeContext's offsets do not match its layout");
            _arena = ExecutableMemory.TryCreate(NativeArenaBytes);
            if (_arena != null)
            {
                _nativeCompiler = new NativeCompiler();
                AddRoutines();
            }
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        Threshold = threshold;
        Background = background;
        _ram = ram;
        _pageBlocks = new List<int>?[ram.PageCount];
        for (int id = MaxBlocks; id >= 1; id--) _free.Push(id);
        var previous = ram.WatchedPageWritten;
        ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            Forget(page, start, length);
        };
    }

    /// <summary>Blocks compiled to IL since the cache was made (placements from kept bodies are not counted).</summary>
    public int Compiled { get; private set; }

    /// <summary>Regions translated to native code since the cache was made.</summary>
    public int NativeCompiled { get; private set; }

    /// <summary>Bytes of native code translated since the cache was made.</summary>
    public long NativeBytes { get; private set; }

    /// <summary>Host ticks spent translating regions to native code.</summary>
    public long NativeTicks { get; private set; }

    /// <summary>Times the native arena was full and started over.</summary>
    public int NativeStartOvers { get; private set; }

    /// <summary>Host ticks spent emitting IL and making delegates (the runtime compiles the IL on first run).</summary>
    public long EmitTicks { get; private set; }

    /// <summary>CPU time (nanoseconds) of the hart's thread spent emitting IL and making delegates.</summary>
    public long EmitCpuNanoseconds { get; private set; }

    /// <summary>Bodies kept by content now (each compiled once, unless the table started over).</summary>
    public int Kept => _bodies.Count;

    /// <summary>Placements, from new or kept bodies.</summary>
    public int Placements { get; private set; }

    /// <summary>Times the placement table was full and started over.</summary>
    public int StartOvers { get; private set; }

    /// <summary>Blocks placed now.</summary>
    public int Placed => MaxBlocks - _free.Count;

    /// <summary>Blocks dropped because bytes they were made from were written.</summary>
    public int Invalidated { get; private set; }

    internal CompiledBlock Get(int id) => _placed[id].Block!;

    /// <summary>Whether blocks are compiled off the hart's thread.</summary>
    public bool Background { get; }

    /// <summary>
    /// Places a body for <paramref name="region"/> on RAM page <paramref name="ramPage"/>, whose slots are
    /// <paramref name="slots"/>, and marks its entry slot. A body compiled before from the same bytes and
    /// shape is placed again without compiling.
    /// </summary>
    internal void Place(DecodedInsn[] slots, int ramPage, Region region, BodyTier tier)
    {
        if (tier == BodyTier.Native && _arena == null) return;
        var bytes = _ram.Page(ramPage)[region.Low..region.High];
        int[] shape = region.Shape();
        ulong key = Hash(bytes, shape) ^ (ulong)tier;
        if (!_bodies.TryGetValue(key, out var block) || block.Tier != tier || !block.Matches(bytes, shape))
        {
            if (tier != BodyTier.Native && Background)
            {
                Request(key, bytes, shape, slots, ramPage, region, tier);
                return;
            }
            if (tier == BodyTier.Native)
            {
                long n0 = System.Diagnostics.Stopwatch.GetTimestamp();
                block = Translate(region, bytes, shape);
                NativeTicks += System.Diagnostics.Stopwatch.GetTimestamp() - n0;
            }
            else
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp(), cpu0 = ThreadCpuClock.Nanoseconds();
                block = new CompiledBlock(BlockCompiler.Compile(region), 0, region.EntryLength, bytes.ToArray(), shape, tier);
                EmitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
                EmitCpuNanoseconds += ThreadCpuClock.Nanoseconds() - cpu0;
            }
            Keep(key, block);
        }
        PlaceBody(block, slots, ramPage, region.Entry, region.Low, region.High);
    }

    /// <summary>Emits the routines bodies share (<see cref="NativeRoutines"/>) at the start of the arena; they stay at the same addresses for its life.</summary>
    private void AddRoutines()
    {
        var a = new X64Assembler();
        var routines = NativeRoutines.Emit(a);
        Routines = routines.At(_arena!.Add(a.Code));
    }

    /// <summary>Addresses of the shared native routines, which harts copy into their <see cref="NativeContext"/>.</summary>
    internal NativeRoutineTable Routines { get; private set; }

    /// <summary>
    /// Translates a region to native code. A full arena starts over: every native body is forgotten and
    /// every placement dropped first (none is running: the interpreter asks for native code, between runs).
    /// </summary>
    private CompiledBlock Translate(Region region, ReadOnlySpan<byte> bytes, int[] shape)
    {
        var code = _nativeCompiler!.Translate(region);
        nint at = _arena!.Add(code);
        if (at == 0)
        {
            NativeStartOvers++;
            foreach (var (key, body) in _bodies)
                if (body.Tier == BodyTier.Native) _bodies.Remove(key);
            StartOver();
            _arena.Reset();
            // The same routines at the same addresses: harts' contexts stay right.
            AddRoutines();
            at = _arena.Add(code);
        }
        NativeCompiled++;
        NativeBytes += code.Length;
        return new CompiledBlock(null, at, region.EntryLength, bytes.ToArray(), shape, BodyTier.Native);
    }

    private void Keep(ulong key, CompiledBlock block)
    {
        if (_bodies.Count >= MaxBodies) _bodies.Clear();
        _bodies[key] = block;
        if (block.Tier != BodyTier.Native) Compiled++;
    }

    private void PlaceBody(CompiledBlock block, DecodedInsn[] slots, int ramPage, int entry, int low, int high)
    {
        // A region replaces the block placed at its entry.
        if (slots[entry >> 1].Jit > 0) Remove(ramPage, slots[entry >> 1].Jit);
        if (_free.Count == 0) StartOver();
        int id = _free.Pop();
        Placements++;
        int slot = entry >> 1;
        _placed[id] = new Placement { Block = block, Slots = slots, Slot = slot, Start = low, End = high };
        _entries[id] = new NativeEntry { Code = block.Native != 0 ? block.Native + NativeCompiler.PrologueBytes : 0, Length = block.Length };
        _nativeSteps[id] = 0;
        (_pageBlocks[ramPage] ??= []).Add(id);
        slots[slot].Jit = id;
    }

    /// <summary>Takes placement <paramref name="id"/> off RAM page <paramref name="ramPage"/> and frees it.</summary>
    private void Remove(int ramPage, int id)
    {
        ref Placement p = ref _placed[id];
        if (p.Slots != null && p.Slots[p.Slot].Jit == id) p.Slots[p.Slot].Jit = 0;
        p = default;
        _entries[id] = default;
        _pageBlocks[ramPage]?.Remove(id);
        _free.Push(id);
    }

    // Background compiling. A job holds copies of everything the compiler needs, so the compiling thread
    // touches nothing the hart uses; finished bodies come back through _finished and are placed by the
    // hart's own thread between slices, only where the slots still hold the very instructions compiled.
    private sealed record Job(ulong Key, byte[] Bytes, int[] Shape, Region Region, DecodedInsn[] Slots, int RamPage, BodyTier Tier)
    {
        public CompiledBlock? Block;
    }

    /// <summary>Most jobs waiting for the compiling thread; a request beyond it is dropped (and counted again later).</summary>
    public const int MaxPending = 256;

    private readonly ConcurrentQueue<Job> _requests = new();
    private readonly ConcurrentQueue<Job> _finished = new();
    private readonly HashSet<ulong> _pending = [];
    private int _workerActive;
    private long _backgroundTicks;

    /// <summary>Host ticks the compiling thread spent emitting and compiling bodies (the runtime's JIT included).</summary>
    public long BackgroundTicks => Interlocked.Read(ref _backgroundTicks);

    private long _backgroundCpuNanoseconds;

    /// <summary>CPU time (nanoseconds) the compiling thread spent on the same.</summary>
    public long BackgroundCpuNanoseconds => Interlocked.Read(ref _backgroundCpuNanoseconds);
    private volatile bool _anyFinished;

    /// <summary>True when the compiling thread has bodies for <see cref="InstallFinished"/> to place.</summary>
    internal bool AnyFinished => _anyFinished;

    /// <summary>Waits until the compiling thread has nothing left to compile (for tests; a hart never waits).</summary>
    public bool WaitForCompiler(TimeSpan timeout) =>
        SpinWait.SpinUntil(() => _requests.IsEmpty && Volatile.Read(ref _workerActive) == 0, timeout);

    /// <summary>Jobs handed to the compiling thread and not yet placed or dropped.</summary>
    public int Pending => _pending.Count;

    private void Request(ulong key, ReadOnlySpan<byte> bytes, int[] shape, DecodedInsn[] slots, int ramPage, Region region, BodyTier tier)
    {
        int slot = region.Entry >> 1;
        if (_pending.Count >= MaxPending || !_pending.Add(key))
        {
            // Heat again from zero: by the next request the body may be ready. (A region's block keeps
            // running meanwhile and asks again after another round of runs.)
            if (slots[slot].Jit <= 0) slots[slot].Jit = 0;
            return;
        }
        // The region's blocks are copies already: the compiling thread shares nothing with the hart.
        _requests.Enqueue(new Job(key, bytes.ToArray(), shape, region, slots, ramPage, tier));
        if (Interlocked.CompareExchange(ref _workerActive, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static cache => cache.CompileRequests(), this, preferLocal: false);
    }

    /// <summary>The compiling thread: drains the requests, compiling each body and running the runtime's JIT on it.</summary>
    private void CompileRequests()
    {
        while (true)
        {
            while (_requests.TryDequeue(out var job))
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp(), cpu0 = ThreadCpuClock.Nanoseconds();
                var code = BlockCompiler.Compile(job.Region);
                BlockCompiler.Prepare(code);
                Interlocked.Add(ref _backgroundTicks, System.Diagnostics.Stopwatch.GetTimestamp() - t0);
                Interlocked.Add(ref _backgroundCpuNanoseconds, ThreadCpuClock.Nanoseconds() - cpu0);
                job.Block = new CompiledBlock(code, 0, job.Region.EntryLength, job.Bytes, job.Shape, job.Tier) { Ran = true };
                _finished.Enqueue(job);
                _anyFinished = true;
            }
            Volatile.Write(ref _workerActive, 0);
            // A request enqueued after the drain but before the flag cleared would be stranded: look again.
            if (_requests.IsEmpty || Interlocked.CompareExchange(ref _workerActive, 1, 0) != 0) return;
        }
    }

    /// <summary>
    /// Places the bodies the compiling thread finished, on the hart's thread between slices. A body is
    /// kept by content in any case; it is placed only where the slots still hold the instructions it was
    /// compiled from (no write, breakpoint or dropped page came in between).
    /// </summary>
    internal void InstallFinished(CodeCache code)
    {
        _anyFinished = false;
        while (_finished.TryDequeue(out var job))
        {
            _pending.Remove(job.Key);
            var block = job.Block!;
            Keep(job.Key, block);
            if (code.Current(job.RamPage) != job.Slots) continue;
            var region = job.Region;
            int entry = region.Entry >> 1;
            int now = job.Slots[entry].Jit;
            // Free, or holding a body of an earlier tier, which this one replaces.
            bool free = now <= 0 || _placed[now].Block!.Tier < job.Tier;
            if (free && StillHolds(job.Slots, region)
                && _ram.Page(job.RamPage)[region.Low..region.High].SequenceEqual(job.Bytes))
                PlaceBody(block, job.Slots, job.RamPage, region.Entry, region.Low, region.High);
            // Not placed: let the entry slot heat up again (the body, kept by content, is placed then if it fits).
            else if (job.Slots[entry].Jit < 0) job.Slots[entry].Jit = 0;
        }
    }

    /// <summary>True when the slots still hold every instruction the region was compiled from (no breakpoint came in between).</summary>
    private static bool StillHolds(DecodedInsn[] slots, Region region)
    {
        foreach (var b in region.Blocks)
        {
            int offset = b.Start;
            foreach (var insn in b.Insns)
            {
                ref DecodedInsn now = ref slots[offset >> 1];
                if (now.Op != insn.Op || now.Imm != insn.Imm || now.Length != insn.Length) return false;
                offset += insn.Length;
            }
        }
        return true;
    }

    /// <summary>Drops the blocks on <paramref name="page"/> that the written bytes may overlap.</summary>
    private void Forget(int page, int start, int length)
    {
        var list = _pageBlocks[page];
        if (list == null || list.Count == 0) return;
        int end = start + length;
        bool dropped = false;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            int id = list[i];
            ref Placement p = ref _placed[id];
            // The code cache may have cleared the first slot already (the write came near it): then the
            // block is unreachable, but may still be running.
            bool stale = p.Slots![p.Slot].Jit != id;
            bool overlaps = start < p.End && end > p.Start;
            if (!stale && !overlaps) continue;
            if (overlaps)
            {
                dropped = true;
                Invalidated++;
            }
            if (!stale) p.Slots[p.Slot].Jit = 0;
            p = default;
            _entries[id] = default;
            _free.Push(id);
            list[i] = list[^1];
            list.RemoveAt(list.Count - 1);
        }
        // The running block may have been compiled from the bytes just written: it must stop after this store.
        if (dropped && Running != null) Running.JitExit = Hart.JitStopAfter;
    }

    /// <summary>Drops every placement (the table is full); compiled bodies stay for placing again.</summary>
    private void StartOver()
    {
        StartOvers++;
        for (int id = 1; id <= MaxBlocks; id++)
        {
            ref Placement p = ref _placed[id];
            if (p.Slots != null && p.Slots[p.Slot].Jit == id) p.Slots[p.Slot].Jit = 0;
            p = default;
        }
        Array.Clear(_entries);
        Array.Clear(_pageBlocks);
        _free.Clear();
        for (int id = MaxBlocks; id >= 1; id--) _free.Push(id);
    }

    private static ulong Hash(ReadOnlySpan<byte> bytes, int[] shape)
    {
        // FNV-1a: only host bookkeeping depends on it (a match is confirmed byte for byte, shape for shape).
        ulong h = 14695981039346656037UL;
        foreach (byte b in bytes) h = (h ^ b) * 1099511628211UL;
        foreach (int v in shape) h = (h ^ (uint)v) * 1099511628211UL;
        return h ^ (ulong)bytes.Length;
    }
}
