using Rewind.Riscv.Decode;

namespace Rewind.Riscv.Jit;

/// <summary>
/// What one compiled body covers: the block at a hot jump target (the entry) and the blocks on the same
/// page that its direct jumps, branches and fall-throughs reach, found before compiling. Jumps between
/// them stay inside the body, with the guest registers in host registers, instead of returning to the
/// hart's dispatch loop after every basic block; a jump anywhere else leaves the body.
/// </summary>
/// <remarks>
/// The runtime's compile time grows faster than a body's length: a region of 8 blocks took 40 ms, of 12
/// blocks 80 ms, against 4 to 6 ms for one block, on a loaded 2-core machine. So a hot jump target gets
/// its block alone first, and its region only when that block has run
/// <see cref="BlockCache.RegionThreshold"/> times (a Linux boot, mostly cold code, compiles few regions;
/// a benchmark's loops compile theirs at once).
/// </remarks>
internal sealed class Region(bool whole)
{
    /// <summary>Most instructions in a region, all blocks together (bounds the runtime's compile time).</summary>
    public const int MaxInstructions = 160;

    /// <summary>Most blocks in a whole region.</summary>
    public const int MaxWholeBlocks = 16;

    /// <summary>True for a whole region; false for its entry block alone.</summary>
    public bool Whole { get; } = whole;

    /// <summary>Most blocks in this region: one unless whole.</summary>
    public int MaxBlocks => Whole ? MaxWholeBlocks : 1;

    /// <summary>One basic block: its first byte on the page and its instructions, in order.</summary>
    public readonly record struct Block(int Start, DecodedInsn[] Insns);

    // An array, not a List: a list of this struct is an instantiation ReadyToRun cannot precompile.
    private readonly Block[] _blocks = new Block[whole ? MaxWholeBlocks : 1];
    private int _count;

    /// <summary>The blocks; the entry is the first.</summary>
    public ReadOnlySpan<Block> Blocks => _blocks.AsSpan(0, _count);

    /// <summary>Blocks found so far.</summary>
    public int BlockCount => _count;

    /// <summary>Byte offset on the page of the entry block.</summary>
    public int Entry => _blocks[0].Start;

    /// <summary>Instructions of the entry block: the body is entered only when the slice has room for them.</summary>
    public int EntryLength => _blocks[0].Insns.Length;

    /// <summary>First byte on the page any block covers.</summary>
    public int Low { get; private set; } = int.MaxValue;

    /// <summary>One past the last byte any block covers: a write into [Low, High) drops the body.</summary>
    public int High { get; private set; }

    public int InstructionCount { get; private set; }

    public void Add(int start, ReadOnlySpan<DecodedInsn> insns)
    {
        int length = 0;
        foreach (var d in insns) length += d.Length;
        if (_count == _blocks.Length) throw new InvalidOperationException("a region holds at most MaxBlocks blocks");
        _blocks[_count++] = new Block(start, insns.ToArray());
        Low = Math.Min(Low, start);
        High = Math.Max(High, start + length);
        InstructionCount += insns.Length;
    }

    /// <summary>
    /// The region's shape: where each block starts and how many instructions it has. Two regions over the
    /// same bytes may still differ in it (a breakpoint ends a block early), so reuse by content compares it too.
    /// </summary>
    public int[] Shape()
    {
        var shape = new int[_count * 2];
        for (int i = 0; i < _count; i++)
        {
            shape[2 * i] = _blocks[i].Start;
            shape[2 * i + 1] = _blocks[i].Insns.Length;
        }
        return shape;
    }

    /// <summary>
    /// The page offsets a block's end may go to next, if they are on the page: a branch's target and
    /// fall-through, a jal's target, the return point after a call (a jal or jalr that links), or the
    /// byte after a block that ended only because it was long. A jalr's own target is known only when it
    /// runs: the body compares it with its blocks' starts then. They are appended to <paramref name="into"/>
    /// after its first <paramref name="count"/> (as many as fit); returns the new count.
    /// </summary>
    public static int Successors(int start, ReadOnlySpan<DecodedInsn> insns, bool endedByLength, Span<int> into, int count)
    {
        int offset = start;
        for (int k = 0; k < insns.Length - 1; k++) offset += insns[k].Length;
        var last = insns[^1];
        int end = offset + last.Length;
        switch (last.Op)
        {
            case Op.Jal:
                Add(offset + (int)last.Imm, into, ref count);
                // A call (it links): the callee's return comes back right after it.
                if (last.Rd != 0) Add(end, into, ref count);
                break;
            case >= Op.Beq and <= Op.Bgeu:
                Add(offset + (int)last.Imm, into, ref count);
                Add(end, into, ref count);
                break;
            case Op.Jalr:
                if (last.Rd != 0) Add(end, into, ref count);
                break;
            default:
                if (endedByLength) Add(end, into, ref count);
                break;
        }
        return count;

        static void Add(int target, Span<int> into, ref int count)
        {
            if (target >= 0 && target < 4096 && (target & 1) == 0 && count < into.Length) into[count++] = target;
        }
    }
}
