using Rewind.Core.Memory;

namespace Rewind.Core.Tests;

public class PhysicalMemoryTests
{
    private const ulong Base = 0x8000_0000;

    private static PhysicalMemory CleanRam(int pages = 4)
    {
        var ram = new PhysicalMemory(Base, (ulong)pages * PhysicalMemory.PageSize);
        ram.ClearDirty();
        return ram;
    }

    [Fact]
    public void Every_page_starts_dirty_so_the_first_snapshot_copies_everything()
    {
        var ram = new PhysicalMemory(Base, 4 * PhysicalMemory.PageSize);
        for (int p = 0; p < ram.PageCount; p++) Assert.True(ram.IsDirty(p));
    }

    [Fact]
    public void ClearDirty_leaves_every_page_clean()
    {
        var ram = CleanRam();
        for (int p = 0; p < ram.PageCount; p++) Assert.False(ram.IsDirty(p));
    }

    [Fact]
    public void NextDirty_finds_exactly_the_dirty_pages_watched_or_not()
    {
        var ram = CleanRam(pages: 37);
        ram.WatchPage(5);
        ram.WatchPage(6);
        foreach (int p in new[] { 0, 6, 17, 36 }) ram.NoteWrite((ulong)p * PhysicalMemory.PageSize + 100);
        var found = new List<int>();
        for (int p = ram.NextDirty(0); p >= 0; p = ram.NextDirty(p + 1)) found.Add(p);
        Assert.Equal([0, 6, 17, 36], found);
        Assert.Equal(-1, ram.NextDirty(37));
    }

    [Fact]
    public void ClearDirty_keeps_the_watched_flags_on_every_page()
    {
        // 19 pages: two words of eight flags and a tail of three, cleared separately.
        var ram = CleanRam(pages: 19);
        var written = new List<int>();
        ram.WatchedPageWritten = (page, _, _) => written.Add(page);
        foreach (int p in new[] { 3, 17 })
        {
            ram.NoteWrite((ulong)p * PhysicalMemory.PageSize);
            ram.WatchPage(p); // dirty and watched
        }
        ram.ClearDirty();
        Assert.Equal(-1, ram.NextDirty(0));
        ram.NoteWrite(3 * PhysicalMemory.PageSize + 8);
        ram.NoteWrite(17 * PhysicalMemory.PageSize + 8);
        Assert.Equal([3, 17], written);
    }

    [Fact]
    public void NoteWrite_marks_only_the_written_page_dirty()
    {
        var ram = CleanRam();
        ram.NoteWrite(2 * PhysicalMemory.PageSize + 17);
        Assert.False(ram.IsDirty(0));
        Assert.False(ram.IsDirty(1));
        Assert.True(ram.IsDirty(2));
        Assert.False(ram.IsDirty(3));
    }

    [Fact]
    public void Write_copies_bytes_and_dirties_every_page_it_spans()
    {
        var ram = CleanRam();
        byte[] data = Enumerable.Range(0, 10).Select(i => (byte)(i + 1)).ToArray();
        ulong offset = PhysicalMemory.PageSize - 4;
        ram.Write(offset, data);
        Assert.True(ram.IsDirty(0));
        Assert.True(ram.IsDirty(1));
        Assert.False(ram.IsDirty(2));
        var back = new byte[10];
        ram.Read(offset, back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void NoteWriteRange_with_zero_length_dirties_nothing()
    {
        var ram = CleanRam();
        ram.NoteWriteRange(0, 0);
        Assert.False(ram.IsDirty(0));
    }

    [Fact]
    public void ClearDirty_after_writes_makes_pages_clean_again()
    {
        var ram = CleanRam();
        ram.Write(0, [1, 2, 3]);
        ram.ClearDirty();
        Assert.False(ram.IsDirty(0));
        ram.NoteWrite(5);
        Assert.True(ram.IsDirty(0));
    }

    [Fact]
    public void Writing_a_watched_page_calls_back_once_then_not_again_until_watched_again()
    {
        var ram = CleanRam();
        var calls = new List<int>();
        ram.WatchedPageWritten = (page, _, _) => calls.Add(page);
        ram.WatchPage(1);

        ram.NoteWrite(PhysicalMemory.PageSize + 8);
        Assert.Equal([1], calls);
        Assert.True(ram.IsDirty(1));

        ram.NoteWrite(PhysicalMemory.PageSize + 16);
        ram.Write(PhysicalMemory.PageSize, [9]);
        Assert.Equal([1], calls);

        ram.WatchPage(1);
        ram.NoteWrite(PhysicalMemory.PageSize + 24);
        Assert.Equal([1, 1], calls);
    }

    [Fact]
    public void A_store_reports_the_bytes_any_store_of_up_to_8_bytes_there_may_have_changed()
    {
        var ram = CleanRam();
        var calls = new List<(int, int, int)>();
        ram.WatchedPageWritten = (page, start, length) => calls.Add((page, start, length));
        ram.WatchPage(1);
        ram.NoteWrite(PhysicalMemory.PageSize + 100);
        ram.WatchPage(1);
        ram.NoteWrite(PhysicalMemory.PageSize + 2);
        ram.WatchPage(1);
        ram.NoteWrite(2 * PhysicalMemory.PageSize - 1);
        Assert.Equal([(1, 93, 15), (1, 0, 10), (1, PhysicalMemory.PageSize - 8, 8)], calls);
    }

    [Fact]
    public void A_range_write_reports_the_exact_bytes_of_each_watched_page()
    {
        var ram = CleanRam();
        var calls = new List<(int, int, int)>();
        ram.WatchedPageWritten = (page, start, length) => calls.Add((page, start, length));
        ram.WatchPage(0);
        ram.WatchPage(1);
        ram.Write(PhysicalMemory.PageSize - 3, new byte[10]);
        Assert.Equal([(0, PhysicalMemory.PageSize - 3, 3), (1, 0, 7)], calls);
    }

    [Fact]
    public void A_listener_can_keep_watching_by_watching_again_during_the_call()
    {
        var ram = CleanRam();
        int calls = 0;
        ram.WatchedPageWritten = (page, _, _) => { calls++; ram.WatchPage(page); };
        ram.WatchPage(0);
        ram.NoteWrite(8);
        ram.NoteWrite(16);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Watched_page_callback_fires_even_when_the_page_is_already_dirty()
    {
        var ram = new PhysicalMemory(Base, 2 * PhysicalMemory.PageSize); // all pages dirty
        int calls = 0;
        ram.WatchedPageWritten = (_, _, _) => calls++;
        ram.WatchPage(0);
        ram.NoteWrite(0);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Writes_to_unwatched_pages_do_not_call_back()
    {
        var ram = CleanRam();
        int calls = 0;
        ram.WatchedPageWritten = (_, _, _) => calls++;
        ram.WatchPage(3);
        ram.Write(0, new byte[2 * PhysicalMemory.PageSize]);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void ClearDirty_keeps_watches()
    {
        var ram = CleanRam();
        int calls = 0;
        ram.WatchedPageWritten = (_, _, _) => calls++;
        ram.WatchPage(0);
        ram.ClearDirty();
        ram.NoteWrite(1);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Contains_checks_both_ends_and_rejects_addresses_below_base()
    {
        var ram = CleanRam(1);
        Assert.True(ram.Contains(Base, 8));
        Assert.True(ram.Contains(Base + PhysicalMemory.PageSize - 8, 8));
        Assert.False(ram.Contains(Base + PhysicalMemory.PageSize - 4, 8));
        Assert.False(ram.Contains(Base - 1, 1));
        Assert.False(ram.Contains(Base + PhysicalMemory.PageSize, 1));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(100UL)]
    [InlineData(4097UL)]
    public void Sizes_that_are_not_positive_page_multiples_are_rejected(ulong size)
    {
        Assert.Throws<ArgumentException>(() => new PhysicalMemory(Base, size));
    }

    /// <summary>
    /// A page a CPU maps for stores that skip the flags test is revoked once, before it is watched; clearing the
    /// dirty set revokes every page (-1), once, and only when some page was so mapped.
    /// </summary>
    [Fact]
    public void Pages_mapped_for_fast_stores_are_revoked_before_they_are_watched_or_cleaned()
    {
        var ram = new PhysicalMemory(Base, 4 * PhysicalMemory.PageSize);
        var heard = new List<int>();
        ram.FastWritesRevoked += heard.Add;
        ram.WatchPage(1);
        ram.ClearDirty();
        Assert.Empty(heard);
        ram.NoteWriteRange(2 * PhysicalMemory.PageSize, 8);
        ram.NoteFastWrites(2);
        ram.WatchPage(2);
        ram.WatchPage(2);
        Assert.Equal([2], heard);
        ram.NoteFastWrites(3);
        ram.ClearDirty();
        ram.ClearDirty();
        Assert.Equal([2, -1], heard);
        ram.WatchPage(3);
        Assert.Equal([2, -1], heard);
    }
}
