using Rewind.Core.Memory;

namespace Rewind.Core.Tests;

/// <summary>The code cache's map of lines holding code (<see cref="PageCodeCache{TSlot}.CodeLines"/>).</summary>
public unsafe class PageCodeCacheTests
{
    private sealed class Cache(PhysicalMemory ram) : PageCodeCache<long>(ram, slotShift: 2, maxInstructionBytes: 4);

    private const ulong Base = 0x8000_0000;

    [Fact]
    public void A_marked_range_sets_the_bits_of_every_line_it_touches_and_only_those()
    {
        var ram = new PhysicalMemory(Base, 4 * PhysicalMemory.PageSize);
        var cache = new Cache(ram);
        cache.MarkCode(1, 0x3c, 0x44);   // the last bytes of line 0 and the first of line 1
        cache.MarkCode(1, 0xfc0, 0xfc4); // line 63
        cache.MarkCode(2, 0, 0);         // nothing
        Assert.Equal(0x8000_0000_0000_0003UL, cache.CodeLines[1]);
        Assert.Equal(0UL, cache.CodeLines[2]);
        cache.MarkCode(3, 0, PhysicalMemory.PageSize);
        Assert.Equal(ulong.MaxValue, cache.CodeLines[3]);
        Assert.Equal(0UL, cache.CodeLines[0]);
    }

    /// <summary>
    /// Forgetting slots leaves the bits (an extra bit costs a report, never correctness); dropping the page, as a
    /// write of all of it does, clears them with the slots.
    /// </summary>
    [Fact]
    public void Lines_stay_marked_until_their_page_is_dropped()
    {
        var ram = new PhysicalMemory(Base, 4 * PhysicalMemory.PageSize);
        var cache = new Cache(ram);
        cache.PageFor(1)[0x10] = 7;
        cache.MarkCode(1, 0x40, 0x44);
        ram.NoteWriteRange(PhysicalMemory.PageSize + 0x40, 4);
        Assert.Equal(0L, cache.Current(1)![0x10]);
        Assert.Equal(2UL, cache.CodeLines[1]);
        cache.PageFor(1);
        ram.NoteWriteRange(PhysicalMemory.PageSize, PhysicalMemory.PageSize);
        Assert.Null(cache.Current(1));
        Assert.Equal(0UL, cache.CodeLines[1]);
        cache.MarkCode(2, 0, 4);
        cache.Clear();
        Assert.Equal(0UL, cache.CodeLines[2]);
    }
}
