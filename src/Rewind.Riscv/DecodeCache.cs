using Rewind.Core.Memory;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// Decoded instructions per physical RAM page, filled lazily as code runs. A page's entry is dropped
/// when the guest (or a debugger, loader or snapshot restore) writes that page, so self-modifying code
/// and fence.i behave as on hardware with a coherent instruction cache.
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
        ram.WatchedPageWritten = page =>
        {
            previous?.Invoke(page);
            Drop(page);
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
