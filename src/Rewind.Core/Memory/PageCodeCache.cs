using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rewind.Core.Memory;

/// <summary>
/// The architecture-neutral part of a machine's code cache: per physical page, an array of slots derived
/// from that page's bytes alone (decoded instructions; later, compiled blocks), filled lazily by the CPUs.
/// One instance serves every CPU of a machine, which is safe because a slot depends on nothing but the
/// bytes at its physical address; per-CPU fetch state (current page, translation) stays in each CPU.
/// <para>
/// Invalidation is precise: the cache hears every write to a RAM page it holds through
/// <see cref="PhysicalMemory.WatchedPageWritten"/> (guest stores, debugger, devices, loaders and snapshot
/// restores all report their writes there) and forgets only the slots whose instruction may overlap the
/// written bytes; a write of a whole page drops the page and raises <see cref="Dropped"/>. Pages outside
/// RAM (a boot ROM) have no such notification and are forgotten as a whole by <see cref="ForgetOutsideRam"/>.
/// </para>
/// </summary>
/// <para>
/// A page whose slots are all empty again (code that ran once, such as a kernel's freed init text, whose
/// page now holds data) is dropped and no longer watched, so its stores take the fast path again instead
/// of reporting every write: see <see cref="QuietWritesBeforeScan"/>.
/// </para>
/// <typeparam name="TSlot">What a slot holds; all-zero bytes (default(TSlot)) mean "not filled yet".</typeparam>
public class PageCodeCache<TSlot> where TSlot : unmanaged
{
    private readonly PhysicalMemory _ram;
    private readonly int _slotShift;
    private readonly int _maxInstructionBytes;
    private readonly TSlot[]?[] _pages;
    private readonly Stack<TSlot[]> _free = new();
    private readonly Dictionary<ulong, TSlot[]> _outsideRam = [];
    private readonly int[] _quietWrites;
    private readonly byte[] _scanBackoff;
    private readonly ulong[] _codeLines;

    /// <summary>
    /// Writes to a page that forget no filled slot before the page is scanned for any filled slot left.
    /// A watched page reports every write, not just the first, so a data page that once held code costs
    /// each store a call; scanning after this many quiet writes (and twice as many after each scan that
    /// finds code, up to 1024 times as many) bounds the scans on pages that mix code and data.
    /// </summary>
    public const int QuietWritesBeforeScan = 64;
    private const int MaxScanBackoff = 10;

    /// <param name="ram">The machine's RAM; the cache subscribes to its writes once.</param>
    /// <param name="slotShift">log2 of the instruction alignment (1 for 2-byte, 2 for 4-byte instructions).</param>
    /// <param name="maxInstructionBytes">The longest instruction, which bounds the slots a write may overlap.</param>
    protected PageCodeCache(PhysicalMemory ram, int slotShift, int maxInstructionBytes)
    {
        _ram = ram;
        _slotShift = slotShift;
        _maxInstructionBytes = maxInstructionBytes;
        SlotsPerPage = PhysicalMemory.PageSize >> slotShift;
        _pages = new TSlot[]?[ram.PageCount];
        _quietWrites = new int[ram.PageCount];
        _scanBackoff = new byte[ram.PageCount];
        _codeLines = GC.AllocateArray<ulong>(ram.PageCount, pinned: true);
        ram.CodeCaches++;
        var previous = ram.WatchedPageWritten;
        ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            Forget(page, start, length);
        };
    }

    public int SlotsPerPage { get; }

    /// <summary>log2 of the bytes of a code line: the grain of <see cref="CodeLines"/>.</summary>
    public const int LineShift = 6;

    /// <summary>
    /// One bit per 64-byte line of RAM (bit <c>offset >> 6</c> of the string, a word per page): set where a
    /// slot of the line has been filled or a compiled region was read from it, since the page last had its
    /// slots dropped. A line whose bit is clear holds nothing derived, so a store into it forgets nothing:
    /// native code (the Arm tier's stores into a page that mixes code and data) goes on without reporting it.
    /// Bits are only ever set while a page keeps its slots (clearing slots leaves them set): an extra bit
    /// costs a report, a missing one would leave stale code, so only dropping the whole page clears them.
    /// </summary>
    public unsafe ulong* CodeLines => (ulong*)Unsafe.AsPointer(ref _codeLines[0]);

    /// <summary>Marks the lines of RAM page <paramref name="page"/> that bytes [<paramref name="start"/>, <paramref name="end"/>) fall in as holding code.</summary>
    public void MarkCode(int page, int start, int end)
    {
        if (end <= start) return;
        int first = start >> LineShift, last = (end - 1) >> LineShift;
        ulong bits = last - first == 63 ? ulong.MaxValue : ((1UL << (last - first + 1)) - 1) << first;
        _codeLines[page] |= bits;
    }

    public PhysicalMemory Ram => _ram;

    /// <summary>Bumped whenever a page array is dropped, so holders of one know to look again.</summary>
    public int Generation { get; private set; }

    /// <summary>
    /// Raised when a page array is dropped (its slots may then serve another page): every CPU fetching
    /// through the cache subscribes and looks its fetch page up again.
    /// </summary>
    public event Action? Dropped;

    /// <summary>The slots of RAM page <paramref name="page"/> (index from the start of RAM), created empty on first use.</summary>
    /// <summary>
    /// A page of slots, pinned: native code (the RISC-V block compiler's first tier) reads the slots of
    /// the page it runs on through a pointer, to go from one compiled body to the next.
    /// </summary>
    private TSlot[] NewPage() => GC.AllocateArray<TSlot>(SlotsPerPage, pinned: true);

    // Beside _pages, the address of each RAM page's (pinned) slots, or 0: native code follows a jump to
    // another page through it.
    private nint[]? _pageAddresses;

    /// <summary>The address of each RAM page's slots (0 where it has none), by RAM page number, at a fixed address.</summary>
    public unsafe nint* PageAddresses
    {
        get
        {
            if (_pageAddresses == null)
            {
                // Made on first use, then kept in step by SetPage.
                _pageAddresses = GC.AllocateArray<nint>(_pages.Length, pinned: true);
                for (int i = 0; i < _pages.Length; i++) _pageAddresses[i] = Address(_pages[i]);
            }
            return (nint*)Unsafe.AsPointer(ref _pageAddresses[0]);
        }
    }

    private static unsafe nint Address(TSlot[]? slots) =>
        slots == null ? 0 : (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slots));

    private void SetPage(int page, TSlot[]? slots)
    {
        _pages[page] = slots;
        if (_pageAddresses != null) _pageAddresses[page] = Address(slots);
    }

    // Optimised at once: it runs on every fetch-page change, and as an instantiation over another
    // assembly's slot type it has no precompiled code, so it ran unoptimised for much of a Linux boot.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public TSlot[] PageFor(int page)
    {
        var p = _pages[page];
        if (p != null) return p;
        p = _free.Count > 0 ? _free.Pop() : NewPage();
        SetPage(page, p);
        _ram.WatchPage(page);
        return p;
    }

    /// <summary>The slots of a page outside RAM, by physical page number (address >> 12).</summary>
    public TSlot[] PageOutsideRam(ulong physicalPage)
    {
        if (!_outsideRam.TryGetValue(physicalPage, out var p))
            _outsideRam[physicalPage] = p = NewPage();
        return p;
    }

    /// <summary>The slots of RAM page <paramref name="page"/> if it has any now, else null (nothing is created).</summary>
    public TSlot[]? Current(int page) => _pages[page];

    /// <summary>True when RAM page <paramref name="page"/> has slots (filled or not).</summary>
    public bool Holds(int page) => _pages[page] != null;

    /// <summary>Forgets the slots whose instruction may overlap the written bytes; keeps watching the page.</summary>
    // Optimised at once, as PageFor: stores to data beside code (compiled Arm code's too) call it on every
    // write, and as an instantiation over another assembly's slot type it would start unoptimised.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forget(int page, int start, int length)
    {
        var p = _pages[page];
        if (p == null) return;
        if (length >= PhysicalMemory.PageSize)
        {
            Drop(page);
            return;
        }
        int first = Math.Max(0, (start - (_maxInstructionBytes - 1)) >> _slotShift);
        int last = Math.Min(SlotsPerPage - 1, (start + length - 1) >> _slotShift);
        var written = p.AsSpan(first, last - first + 1);
        if (Filled(written))
        {
            written.Clear();
            _quietWrites[page] = 0;
        }
        else if (++_quietWrites[page] >= QuietWritesBeforeScan << _scanBackoff[page])
        {
            _quietWrites[page] = 0;
            if (!Filled(p))
            {
                // Nothing decoded is left: stop watching (the write cleared the flag) until code runs here again.
                Drop(page);
                return;
            }
            if (_scanBackoff[page] < MaxScanBackoff) _scanBackoff[page]++;
        }
        _ram.WatchPage(page);
    }

    /// <summary>Whether any of <paramref name="slots"/> is filled (has a non-zero byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Filled(Span<TSlot> slots) => MemoryMarshal.AsBytes(slots).IndexOfAnyExcept((byte)0) >= 0;

    /// <summary>Forgets every slot of RAM page <paramref name="page"/>.</summary>
    public void Drop(int page)
    {
        var p = _pages[page];
        if (p == null) return;
        SetPage(page, null);
        Array.Clear(p);
        _free.Push(p);
        _codeLines[page] = 0;
        _quietWrites[page] = 0;
        _scanBackoff[page] = 0;
        Generation++;
        Dropped?.Invoke();
    }

    /// <summary>
    /// Forgets the pages outside RAM: their bytes (a patched boot ROM) change without a write notification,
    /// through a debugger or a restored device state.
    /// </summary>
    public void ForgetOutsideRam()
    {
        if (_outsideRam.Count == 0) return;
        _outsideRam.Clear();
        Generation++;
        Dropped?.Invoke();
    }

    /// <summary>Forgets everything (the derivation itself changed, e.g. breakpoints marked in slots).</summary>
    public void Clear()
    {
        for (int i = 0; i < _pages.Length; i++)
        {
            var p = _pages[i];
            if (p == null) continue;
            SetPage(i, null);
            Array.Clear(p);
            _free.Push(p);
        }
        Array.Clear(_codeLines);
        _outsideRam.Clear();
        Generation++;
        Dropped?.Invoke();
    }
}
