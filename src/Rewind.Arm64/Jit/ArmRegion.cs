using Rewind.Arm64.Decode;

namespace Rewind.Arm64.Jit;

/// <summary>A straight run of instructions in a region, ending at its first branch or before one it cannot hold.</summary>
internal sealed class ArmRegionBlock(int start, A64Op[] ops)
{
    /// <summary>Byte offset of its first instruction in the page.</summary>
    public readonly int Start = start;
    public readonly A64Op[] Ops = ops;
    public int End => Start + 4 * Ops.Length;
    /// <summary>Whether its last instruction is a branch (else it goes on at <see cref="End"/>).</summary>
    public bool EndsInBranch => Ops.Length > 0 && ArmRegion.IsBranch(Ops[^1].Kind);
}

/// <summary>
/// The code a compiled body covers: the blocks reachable from an entry through direct branches and fall-
/// throughs inside one 4 KiB page. One page, because a page's virtual-to-physical mapping is one, so a
/// direct branch inside it lands on bytes of the same physical page; a branch out of it leaves the body.
/// Loops whose body fits a page therefore run inside one call, with no return to the interpreter.
/// </summary>
internal sealed class ArmRegion
{
    /// <summary>Longest block, in instructions.</summary>
    public const int MaxBlockInstructions = 64;

    /// <summary>Most instructions in a region (bounds compile time).</summary>
    public const int MaxInstructions = 256;

    public const int MaxBlocks = 24;

    public int Entry { get; }
    public List<ArmRegionBlock> Blocks { get; } = [];

    /// <summary>
    /// Whether the CPU asking for the region had its MMU on: the compiled code then looks its accesses up in the
    /// data TLB straight away, without first testing for untranslated RAM. Either way is correct (the TLB serves
    /// untranslated accesses too, and the untranslated test fails while the MMU is on); this is the faster one.
    /// </summary>
    public bool Translated { get; set; }

    private ArmRegion(int entry) => Entry = entry;

    /// <summary>The kinds a region runs: every kind of the interpreter's fast path (the rest is Generic).</summary>
    public static bool Supports(A64Kind kind) => kind is >= A64Kind.Nop and <= A64Kind.Stp;

    public static bool IsBranch(A64Kind kind) => kind is >= A64Kind.B and <= A64Kind.Blr;

    /// <summary>
    /// The region entered at byte <paramref name="entry"/> of the page whose 4-byte words
    /// <paramref name="word"/> reads, or null if its first instruction is not one a region runs.
    /// </summary>
    /// <param name="supports">The kinds the compiling tier runs (default <see cref="Supports"/>): a block ends before any other.</param>
    public static ArmRegion? Discover(int entry, Func<int, uint> word, Func<A64Op, bool>? supports = null)
    {
        supports ??= static op => Supports(op.Kind);
        var region = new ArmRegion(entry);
        var pending = new Queue<int>();
        var seen = new HashSet<int>();
        pending.Enqueue(entry);
        seen.Add(entry);
        int total = 0;
        // An array of our own rather than a List of A64Op: ReadyToRun cannot precompile the runtime's generic
        // collections over our structs, and the JIT compiling them cost the first translations milliseconds.
        var ops = new A64Op[MaxBlockInstructions];
        while (pending.Count > 0 && region.Blocks.Count < MaxBlocks && total < MaxInstructions)
        {
            int start = pending.Dequeue();
            int count = 0;
            int at = start;
            while (at < 4096 && count < MaxBlockInstructions && total + count < MaxInstructions)
            {
                var op = Arm64Cpu.Decode(word(at));
                if (!supports(op)) break;
                ops[count++] = op;
                at += 4;
                if (IsBranch(op.Kind)) break;
            }
            if (count == 0)
            {
                if (start == entry) return null;
                continue;
            }
            var blockOps = new A64Op[count];
            Array.Copy(ops, blockOps, count);
            var block = new ArmRegionBlock(start, blockOps);
            region.Blocks.Add(block);
            total += count;
            // Successors inside the page: a direct branch's target and a conditional one's fall-through,
            // and the rest of a block cut at its length.
            var last = ops[count - 1];
            int lastAt = block.End - 4;
            void Follow(long target)
            {
                if (target >= 0 && target < 4096 && seen.Add((int)target)) pending.Enqueue((int)target);
            }
            switch (last.Kind)
            {
                case A64Kind.B:
                    Follow(lastAt + (long)last.Imm);
                    break;
                case A64Kind.BCond or A64Kind.Cbz or A64Kind.Cbnz or A64Kind.Tbz or A64Kind.Tbnz:
                    Follow(lastAt + (long)last.Imm);
                    // A branch back to the entry closes the loop the region was entered for: what follows it
                    // (the loop's exit) is left out, which keeps the body small and its registers in host
                    // registers; it gets a region of its own if it is hot.
                    if (lastAt + (long)last.Imm != entry) Follow(block.End);
                    break;
                case A64Kind.Bl or A64Kind.Br or A64Kind.Blr:
                    break;
                default:
                    // Cut short by its length: the next instruction is one a region runs.
                    if (count == MaxBlockInstructions) Follow(block.End);
                    break;
            }
        }
        return region;
    }

    /// <summary>The block starting at byte <paramref name="offset"/>, if the region has one.</summary>
    public ArmRegionBlock? BlockAt(int offset) => Blocks.Find(b => b.Start == offset);

    /// <summary>The lowest and highest byte the region's instructions were read from, [start, end).</summary>
    public (int Start, int End) Span
    {
        get
        {
            int start = int.MaxValue, end = int.MinValue;
            foreach (var b in Blocks)
            {
                start = Math.Min(start, b.Start);
                end = Math.Max(end, b.End);
            }
            return (start, end);
        }
    }
}
