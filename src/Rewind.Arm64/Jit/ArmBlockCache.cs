using System.Collections.Concurrent;
using Rewind.Arm64.Decode;
using Rewind.Core.Memory;
using Rewind.Core.Native;

namespace Rewind.Arm64.Jit;

/// <summary>
/// A compiled region's body: runs from <paramref name="pc"/> (the region's entry, at any virtual address its
/// page is mapped at) with the CPU's count at <paramref name="ic"/>, never past <paramref name="sliceEnd"/>;
/// sets the CPU's pc and returns the steps it took. 0 steps means it ran nothing: its first instruction needs
/// the interpreter (a TLB miss, a device), which then runs that one instruction.
/// </summary>
internal unsafe delegate ulong ArmBlockCode(Arm64Cpu cpu, ulong* x, ulong pc, ulong ic, ulong sliceEnd);

/// <summary>One placed region: its code, where its entry slot is, and the bytes of its page it was compiled from.</summary>
internal sealed class ArmBlock(ArmBlockCode? code, int entryLength, A64Kind entryKind, A64Op[] slots, int slot, int page, int start, int end, nint native = 0)
{
    /// <summary>The runtime's compiled region, or null for a native body.</summary>
    public readonly ArmBlockCode? Code = code;
    /// <summary>The first tier's machine code (<see cref="ArmNativeCompiler"/>), or 0 for a region the runtime compiled.</summary>
    public readonly nint Native = native;
    /// <summary>Instructions of the entry block: the room a slice must have for the region to be entered.</summary>
    public readonly int EntryLength = entryLength;

    // Calls that ran nothing in a row (the entry instruction needed the interpreter: a device read, a store to a
    // clean page), and the visits to let go by before calling again. Host state only: whether the body or the
    // interpreter runs an instruction changes nothing the guest sees.
    private int _declines, _skip, _backoff;

    /// <summary>Calls that run nothing cost a call each: after four in a row, visits go straight to the interpreter for a while (16, then up to 4,096).</summary>
    public const int DeclinesBeforeSkipping = 4;

    /// <summary>Whether to call the body at this visit (false: a visit skipped after declines).</summary>
    public bool ShouldCall()
    {
        if (_skip == 0) return true;
        _skip--;
        return false;
    }

    /// <summary>Counts a call's outcome: whether it ran any step.</summary>
    public void Ran(bool any)
    {
        if (any)
        {
            _declines = 0;
            _backoff = 0;
            return;
        }
        if (++_declines < DeclinesBeforeSkipping) return;
        _declines = 0;
        _skip = 16 << _backoff;
        if (_backoff < 8) _backoff++;
    }
    /// <summary>What the entry slot held before: the kind the spin skipper asks about.</summary>
    public readonly A64Kind EntryKind = entryKind;
    public readonly A64Op[] Slots = slots;
    public readonly int Slot = slot;
    public readonly int Page = page;
    /// <summary>Byte range in the page, [Start, End), that the region's instructions were read from.</summary>
    public readonly int Start = start, End = end;
}

/// <summary>
/// The machine's compiled Arm regions, shared by its CPUs like the decoded slots they sit in: a region's id
/// is in the <see cref="A64Kind.Jit"/> slot that replaced its first instruction's, so reaching it costs the
/// interpreter the slot it already reads. A region is a pure function of the bytes it was compiled from (it
/// takes its pc as an argument), so it is valid wherever those bytes are mapped.
/// <para>
/// Invalidation: the cache hears every write to a RAM page that holds decoded slots (guest stores, devices,
/// the debugger, snapshot restores, loaders) after the code cache has, and forgets each region whose bytes the
/// write overlaps, putting its entry slot back to empty (decoded again on its next visit).
/// <see cref="Generation"/> moves whenever one is forgotten, which is how a running region learns that one of
/// its own stores rewrote code, and leaves. The table is bounded: when full, it starts over.
/// </para>
/// </summary>
public sealed class ArmBlockCache
{
    /// <summary>Most regions placed at once.</summary>
    public const int MaxBlocks = 8192;

    private readonly ArmBlock?[] _blocks = new ArmBlock?[MaxBlocks];
    private readonly Dictionary<int, List<int>> _byPage = [];
    private int _next;

    private readonly PhysicalMemory _ram;
    private readonly Arm64CodeCache _code;

    /// <param name="background">
    /// Compile on a thread-pool thread while the CPU goes on interpreting, placing finished regions between
    /// slices (a board's choice); else on the CPU's thread at once, so a region is in place at the same count
    /// in every run (tests comparing tiers step by step).
    /// </param>
    /// <param name="native">
    /// Translate a region into x86-64 code first (<see cref="ArmNativeCompiler"/>) after
    /// <paramref name="nativeThreshold"/> visits, and through the runtime's JIT after <paramref name="threshold"/>
    /// runs of that code; without it, through the runtime's JIT after <paramref name="threshold"/> visits.
    /// Ignored where the host gives no executable memory.
    /// </param>
    public ArmBlockCache(Arm64CodeCache code, int threshold, bool background = false, bool native = false, int nativeThreshold = ArmJitSettings.DefaultNativeThreshold)
    {
        _code = code;
        var ram = _ram = code.Ram;
        Threshold = threshold;
        Background = background;
        if (native && (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64))
            _arena = ExecutableMemory.TryCreate(NativeArenaBytes);
        NativeThreshold = nativeThreshold;
        var previous = ram.WatchedPageWritten;
        ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            Written(page, start, length);
        };
    }

    public bool Background { get; }

    /// <summary>Bytes of executable memory for native bodies; when full, every region is forgotten and the arena starts over.</summary>
    public const int NativeArenaBytes = 32 << 20;

    private readonly ExecutableMemory? _arena;
    private readonly ArmNativeCompiler _native = new();

    /// <summary>Each placement's native entry, by id (pinned: native code follows chains through it).</summary>
    private readonly ArmNativeEntry[] _entries = GC.AllocateArray<ArmNativeEntry>(MaxBlocks, pinned: true);

    internal unsafe ArmNativeEntry* Entries => (ArmNativeEntry*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _entries[0]);

    /// <summary>Whether regions are translated to native code first.</summary>
    public bool NativeTier => _arena != null;

    /// <summary>Visits to an address before its region is translated to native code (with <see cref="NativeTier"/>).</summary>
    public int NativeThreshold { get; }

    /// <summary>Native bodies translated (host statistics).</summary>
    public long NativeCompiled { get; private set; }

    /// <summary>
    /// Translates the region to native code and places it over its entry slot; false when its first
    /// instruction is not one native code runs (or the arena had no room even after starting over).
    /// </summary>
    internal unsafe bool PlaceNative(ArmRegion region, A64Op[] slots, int slot, int page)
    {
        // Room in the table first: starting over resets the arena, which would drop this body too.
        if (_next == MaxBlocks) StartOver();
        var bytes = _native.Translate(region, region.Translated);
        nint code = _arena!.Add(bytes);
        if (code == 0)
        {
            StartOver();
            code = _arena.Add(bytes);
            if (code == 0) return false;
        }
        var (start, end) = region.Span;
        var entry = region.Blocks[0].Ops[0];
        Place(null, region.Blocks[0].Ops.Length, entry, slots, slot, page, start, end, code);
        NativeCompiled++;
        return true;
    }

    /// <summary>Visits to an address before its region is compiled (runs of its native body, with <see cref="NativeTier"/>).</summary>
    public int Threshold { get; }

    /// <summary>Visits to an address before its first compile, whichever tier that is.</summary>
    public int FirstThreshold => NativeTier ? NativeThreshold : Threshold;

    /// <summary>Moves each time a placed region is forgotten.</summary>
    public int Generation { get; private set; }

    /// <summary>Regions compiled since the machine started (host statistics).</summary>
    public long Compiled { get; private set; }

    internal ArmBlock Block(int id) => _blocks[id]!;

    /// <summary>Places a compiled region over its entry slot.</summary>
    /// <param name="entry">The entry instruction, decoded.</param>
    internal ArmBlock Place(ArmBlockCode? code, int entryLength, A64Op entry, A64Op[] slots, int slot, int page, int start, int end, nint native = 0)
    {
        if (_next == MaxBlocks) StartOver();
        int id = _next++;
        var block = new ArmBlock(code, entryLength, entry.Kind, slots, slot, page, start, end, native);
        _blocks[id] = block;
        if (!_byPage.TryGetValue(page, out var list)) _byPage[page] = list = [];
        list.Add(id);
        _entries[id] = new ArmNativeEntry { Code = native, Length = entryLength };
        // Its bytes are code now, wherever the interpreter has not decoded them: a store there must be reported.
        _code.MarkCode(page, start, end);
        slots[slot] = new A64Op { Kind = A64Kind.Jit, Insn = entry.Insn, Imm = (ulong)id };
        Compiled++;
        return block;
    }

    private void Written(int page, int start, int length)
    {
        if (!_byPage.TryGetValue(page, out var list)) return;
        int end = start + length;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            var b = _blocks[list[i]];
            if (b == null || (b.Start < end && start < b.End))
            {
                Forget(list[i]);
                list.RemoveAt(i);
            }
        }
        if (list.Count == 0) _byPage.Remove(page);
    }

    private void Forget(int id)
    {
        var b = _blocks[id];
        if (b == null) return;
        ref A64Op s = ref b.Slots[b.Slot];
        // The slot array may have been dropped and reused since: only this region's own mark is cleared.
        if (s.Kind == A64Kind.Jit && s.Imm == (ulong)id) s = default;
        _blocks[id] = null;
        _entries[id] = default;
        Generation++;
    }

    // Background compiling. A job holds a copy of the page it compiles from, so the compiling thread touches
    // nothing the CPUs use; finished regions come back through _finished and are placed by a CPU's thread
    // between slices, only where the page still holds the very bytes compiled and the slots are the same.
    private sealed class Job(byte[] page, int entry, A64Op[] slots, int ramPage, bool translated)
    {
        public readonly bool Translated = translated;
        public readonly byte[] Page = page;
        public readonly int Entry = entry;
        public readonly A64Op[] Slots = slots;
        public readonly int RamPage = ramPage;
        public ArmRegion? Region;
        public ArmBlockCode? Code;
        public int Key => RamPage << 12 | Entry;
    }

    /// <summary>Most jobs waiting for the compiling thread; requests beyond it are dropped (and made again later).</summary>
    public const int MaxPending = 128;

    private readonly ConcurrentQueue<Job> _requests = new();
    private readonly ConcurrentQueue<Job> _finished = new();
    private readonly HashSet<int> _pending = [];
    private int _workerActive;
    private volatile bool _anyFinished;
    private long _backgroundTicks;

    /// <summary>Host ticks the compiling thread spent discovering, emitting and compiling regions.</summary>
    public long BackgroundTicks => Interlocked.Read(ref _backgroundTicks);

    /// <summary>True when the compiling thread has regions for <see cref="InstallFinished"/> to place.</summary>
    public bool AnyFinished => _anyFinished;

    /// <summary>Jobs handed to the compiling thread and not yet placed or dropped.</summary>
    public int Pending => _pending.Count;

    /// <summary>Waits until the compiling thread has nothing left to compile (for tests; a CPU never waits).</summary>
    public bool WaitForCompiler(TimeSpan timeout) =>
        SpinWait.SpinUntil(() => _requests.IsEmpty && Volatile.Read(ref _workerActive) == 0, timeout);

    /// <summary>Asks the compiling thread for the region entered at byte <paramref name="entry"/> of RAM page <paramref name="ramPage"/>.</summary>
    /// <param name="translated">The asking CPU's MMU is on (<see cref="ArmRegion.Translated"/>).</param>
    internal unsafe void Request(int ramPage, int entry, A64Op[] slots, bool translated)
    {
        var job = new Job(new ReadOnlySpan<byte>(_ram.Pointer + ((long)ramPage << 12), 4096).ToArray(), entry, slots, ramPage, translated);
        if (_pending.Count >= MaxPending || !_pending.Add(job.Key)) return;
        _requests.Enqueue(job);
        if (Interlocked.CompareExchange(ref _workerActive, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static cache => cache.CompileRequests(), this, preferLocal: false);
    }

    private void CompileRequests()
    {
        while (true)
        {
            while (_requests.TryDequeue(out var job))
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                byte[] page = job.Page;
                job.Region = ArmRegion.Discover(job.Entry, at => BitConverter.ToUInt32(page, at));
                if (job.Region != null)
                {
                    job.Region.Translated = job.Translated;
                    job.Code = TryCompile(job.Region);
                }
                Interlocked.Add(ref _backgroundTicks, System.Diagnostics.Stopwatch.GetTimestamp() - t0);
                _finished.Enqueue(job);
                _anyFinished = true;
            }
            Volatile.Write(ref _workerActive, 0);
            // A request enqueued after the drain but before the flag cleared would be stranded: look again.
            if (_requests.IsEmpty || Interlocked.CompareExchange(ref _workerActive, 1, 0) != 0) return;
        }
    }

    /// <summary>Replaces the compiler, so a test can make it fail as a bug of ours would.</summary>
    internal Func<ArmRegion, ArmBlockCode>? CompileForTests { get; set; }

    /// <summary>Regions the compiler or the runtime's JIT refused (a bug of ours): they stay interpreted.</summary>
    public int Failures => Volatile.Read(ref _failures);

    private int _failures;

    /// <summary>
    /// Emits a region and has the runtime compile it; null if either throws. A region is only ever a way to
    /// run faster, so one that cannot be compiled is left to the interpreter rather than stopping the machine
    /// (or, on the compiling thread, the process).
    /// </summary>
    internal ArmBlockCode? TryCompile(ArmRegion region)
    {
        try
        {
            var code = CompileForTests?.Invoke(region) ?? ArmBlockCompiler.Compile(region);
            ArmBlockCompiler.Prepare(code);
            return code;
        }
        catch (Exception e) when (e is InvalidProgramException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            Interlocked.Increment(ref _failures);
            return null;
        }
    }

    /// <summary>
    /// Places the regions the compiling thread finished, on a CPU's thread between slices, where the page still
    /// has the same slots and holds the bytes compiled, and the entry is not compiled already.
    /// </summary>
    internal unsafe void InstallFinished(Arm64CodeCache code)
    {
        _anyFinished = false;
        while (_finished.TryDequeue(out var job))
        {
            _pending.Remove(job.Key);
            var region = job.Region;
            if (region == null || job.Code == null || code.Current(job.RamPage) != job.Slots) continue;
            int slot = job.Entry >> 2;
            // A native body there is what this region replaces; a region the runtime compiled stays.
            ref A64Op mark = ref job.Slots[slot];
            if (mark.Kind == A64Kind.Jit && _blocks[(int)mark.Imm] is { Native: 0 }) continue;
            var (start, end) = region.Span;
            var now = new ReadOnlySpan<byte>(_ram.Pointer + ((long)job.RamPage << 12) + start, end - start);
            if (!now.SequenceEqual(job.Page.AsSpan(start, end - start))) continue;
            Place(job.Code, region.Blocks[0].Ops.Length, region.Blocks[0].Ops[0], job.Slots, slot, job.RamPage, start, end);
        }
    }

    /// <summary>Forgets every region (the table is full, or the machine's code was dropped).</summary>
    public void StartOver()
    {
        for (int id = 0; id < _next; id++) Forget(id);
        _byPage.Clear();
        _next = 0;
        // No native body is running: the CPUs run on one thread, and only between their instructions come here.
        _arena?.Reset();
    }
}
