using Rewind.Core.Memory;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// Decoded instructions per physical RAM page, filled lazily as code runs. A write to the page (by the
/// guest, a debugger, loader or snapshot restore) forgets the decoded slots it may overlap, so
/// self-modifying code and fence.i behave as on hardware with a coherent instruction cache, while data
/// that shares a page with code (common in small bare-metal programs) costs only the slots it touches.
/// </summary>
public sealed class DecodeCache
{
    public const int SlotsPerPage = PhysicalMemory.PageSize / 2;

    private readonly PhysicalMemory _ram;
    private readonly DecodedInsn[]?[] _pages;
    private readonly Stack<DecodedInsn[]> _free = new();

    public DecodeCache(PhysicalMemory ram)
    {
        _ram = ram;
        _pages = new DecodedInsn[]?[ram.PageCount];
        var previous = ram.WatchedPageWritten;
        ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            Forget(page, start, length);
        };
    }

    /// <summary>Bumped whenever any page is dropped, so holders of a page array know to look again.</summary>
    public int Generation { get; private set; }

    /// <summary>Told when a page is dropped, so a hart fetching from it looks the page up again.</summary>
    public Action? Dropped { get; set; }

    public DecodedInsn[] PageFor(int page)
    {
        var p = _pages[page];
        if (p != null) return p;
        p = _free.Count > 0 ? _free.Pop() : new DecodedInsn[SlotsPerPage];
        _pages[page] = p;
        _ram.WatchPage(page);
        return p;
    }

    /// <summary>Forgets the slots whose instruction (2 or 4 bytes) may overlap the written bytes; keeps watching the page.</summary>
    private void Forget(int page, int start, int length)
    {
        var p = _pages[page];
        if (p == null) return;
        if (length >= PhysicalMemory.PageSize)
        {
            Drop(page);
            return;
        }
        int first = Math.Max(0, (start - 3) >> 1);
        int last = Math.Min(SlotsPerPage - 1, (start + length - 1) >> 1);
        Array.Clear(p, first, last - first + 1);
        _ram.WatchPage(page);
    }

    public void Drop(int page)
    {
        var p = _pages[page];
        if (p == null) return;
        _pages[page] = null;
        Array.Clear(p);
        _free.Push(p);
        Generation++;
        Dropped?.Invoke();
    }

    public void Clear()
    {
        for (int i = 0; i < _pages.Length; i++) Drop(i);
    }
}
