using Rewind.Core.Memory;
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

    /// <summary>Times a jump target is reached by the interpreter before its block is compiled.</summary>
    public int Threshold { get; }

    private struct Placement
    {
        public CompiledBlock? Block;
        public DecodedInsn[]? Slots;
        public int Slot;
        public int Start, End;
    }

    private readonly Placement[] _placed = new Placement[MaxBlocks + 1];
    private readonly Stack<int> _free = new();
    private readonly List<int>?[] _pageBlocks;
    private readonly Dictionary<ulong, CompiledBlock> _bodies = [];
    private readonly PhysicalMemory _ram;

    /// <summary>The hart running compiled code now, told when a write drops a block (its own, maybe).</summary>
    internal Hart? Running;

    public BlockCache(PhysicalMemory ram, int threshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        Threshold = threshold;
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

    /// <summary>Blocks placed now.</summary>
    public int Placed => MaxBlocks - _free.Count;

    /// <summary>Blocks dropped because bytes they were made from were written.</summary>
    public int Invalidated { get; private set; }

    internal CompiledBlock Get(int id) => _placed[id].Block!;

    /// <summary>
    /// Places a block for the instructions <paramref name="insns"/> found at byte <paramref name="start"/>
    /// of RAM page <paramref name="ramPage"/>, whose slots are <paramref name="slots"/>, and marks its first slot.
    /// </summary>
    internal void Place(DecodedInsn[] slots, int ramPage, int start, ReadOnlySpan<DecodedInsn> insns, int byteLength)
    {
        if (_free.Count == 0) StartOver();
        var bytes = _ram.Page(ramPage).Slice(start, byteLength);
        ulong key = Hash(bytes);
        if (!_bodies.TryGetValue(key, out var block) || !bytes.SequenceEqual(block.Bytes))
        {
            if (_bodies.Count >= MaxBodies) _bodies.Clear();
            block = new CompiledBlock(BlockCompiler.Compile(insns), insns.Length, bytes.ToArray());
            _bodies[key] = block;
            Compiled++;
        }
        int id = _free.Pop();
        int slot = start >> 1;
        _placed[id] = new Placement { Block = block, Slots = slots, Slot = slot, Start = start, End = start + byteLength };
        (_pageBlocks[ramPage] ??= []).Add(id);
        slots[slot].Jit = id;
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
        for (int id = 1; id <= MaxBlocks; id++)
        {
            ref Placement p = ref _placed[id];
            if (p.Slots != null && p.Slots[p.Slot].Jit == id) p.Slots[p.Slot].Jit = 0;
            p = default;
        }
        Array.Clear(_pageBlocks);
        _free.Clear();
        for (int id = MaxBlocks; id >= 1; id--) _free.Push(id);
    }

    private static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        // FNV-1a: only host bookkeeping depends on it (a match is confirmed byte for byte).
        ulong h = 14695981039346656037UL;
        foreach (byte b in bytes) h = (h ^ b) * 1099511628211UL;
        return h ^ (ulong)bytes.Length;
    }
}
