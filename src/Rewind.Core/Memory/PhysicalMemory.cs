using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rewind.Core.Memory;

/// <summary>
/// Guest RAM: one pinned block so harts can address it through a stable pointer, with a flag byte per
/// 4 KiB page. The flags let snapshots copy only pages written since the previous snapshot and let the
/// decode cache learn, at the cost of one compare on the store path, that code it cached was overwritten.
/// </summary>
/// <summary>A watched page was written: <paramref name="start"/> and <paramref name="length"/> bound the bytes that may have changed.</summary>
public delegate void PageWriteHandler(int page, int start, int length);

public sealed unsafe class PhysicalMemory
{
    public const int PageShift = 12;
    public const int PageSize = 1 << PageShift;

    /// <summary>Written since the dirty set was last cleared.</summary>
    public const byte DirtyFlag = 1;
    /// <summary>Someone (the decode cache) holds derived data for this page and must hear of writes.</summary>
    public const byte WatchedFlag = 2;

    private readonly byte[] _bytes;
    private readonly byte* _base;
    private readonly byte[] _pageFlags;

    public PhysicalMemory(ulong baseAddress, ulong size)
    {
        if (size == 0 || size % PageSize != 0 || size > int.MaxValue)
            throw new ArgumentException($"RAM size must be a positive multiple of 4 KiB below 2 GiB, not {size}");
        BaseAddress = baseAddress;
        Size = size;
        _bytes = GC.AllocateArray<byte>((int)size, pinned: true);
        _base = (byte*)Unsafe.AsPointer(ref _bytes[0]);
        // Pinned: native code (the RISC-V block compiler's first tier) reads a page's flags through a pointer.
        _pageFlags = GC.AllocateArray<byte>((int)(size >> PageShift), pinned: true);
        PageFlagsPointer = (byte*)Unsafe.AsPointer(ref _pageFlags[0]);
        // Every page counts as changed before the first snapshot, which therefore copies it all.
        Array.Fill(_pageFlags, DirtyFlag);
        _fastWrites = new byte[_pageFlags.Length];
    }

    public ulong BaseAddress { get; }
    public ulong Size { get; }
    public int PageCount => _pageFlags.Length;

    /// <summary>The page flags (<see cref="DirtyFlag"/>, <see cref="WatchedFlag"/>), one byte per page, at a fixed address.</summary>
    public byte* PageFlagsPointer { get; }
    public byte* Pointer => _base;
    public Span<byte> Bytes => _bytes;

    /// <summary>
    /// Called when a watched page is written, with the page and the byte range within it that may have
    /// changed. The watch is dropped before the call: a listener that still cares watches the page again.
    /// </summary>
    public PageWriteHandler? WatchedPageWritten { get; set; }

    /// <summary>
    /// The code caches (<see cref="PageCodeCache{TSlot}"/>) made over this RAM: one on a board, whose CPUs share it.
    /// A store that skips reporting because its lines hold no code (the Arm native tier) may do so only while
    /// there is one, whose line map then covers everything decoded from this RAM.
    /// </summary>
    public int CodeCaches { get; internal set; }

    // Pages some CPU maps for stores that skip the flags test (the Arm native tier's write TLB holds them only
    // while the page is dirty and unwatched), so that leaving that state can revoke those mappings first.
    private readonly byte[] _fastWrites;
    private bool _anyFastWrites;

    /// <summary>
    /// Called with a page (or -1 for every page) whose stores may no longer skip the flags test: it is being
    /// watched, or the dirty set is being cleared. A CPU that mapped it through <see cref="NoteFastWrites"/>
    /// makes its stores there look at the flags again before the change takes effect.
    /// </summary>
    public event Action<int>? FastWritesRevoked;

    /// <summary>
    /// A CPU now maps <paramref name="page"/>, which is dirty and unwatched, for stores that will not test its
    /// flags: it hears of the page's leaving that state through <see cref="FastWritesRevoked"/>.
    /// </summary>
    public void NoteFastWrites(int page)
    {
        _fastWrites[page] = 1;
        _anyFastWrites = true;
    }

    /// <summary>The debugger's watchpoints as physical ranges, which devices' writes into RAM are checked against.</summary>
    public DeviceWriteWatch DeviceWrites { get; } = new();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(ulong address, int length) =>
        address - BaseAddress < Size && address - BaseAddress + (ulong)length <= Size;

    /// <summary>A store of at most 8 bytes touched the byte at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NoteWrite(ulong offset)
    {
        int page = (int)(offset >> PageShift);
        if (_pageFlags[page] != DirtyFlag)
        {
            // The store may start up to 7 bytes before this byte and end up to 7 after it.
            int at = (int)(offset & (PageSize - 1));
            int start = Math.Max(0, at - 7);
            NoteWriteSlow(page, start, Math.Min(PageSize, at + 8) - start);
        }
    }

    private void NoteWriteSlow(int page, int start, int length)
    {
        byte flags = _pageFlags[page];
        _pageFlags[page] = DirtyFlag;
        if ((flags & WatchedFlag) != 0)
            WatchedPageWritten?.Invoke(page, start, length);
    }

    public void NoteWriteRange(ulong offset, int length)
    {
        if (length <= 0) return;
        ulong end = offset + (ulong)length;
        for (ulong p = offset >> PageShift; p <= (end - 1) >> PageShift; p++)
        {
            if (_pageFlags[p] == DirtyFlag) continue;
            ulong from = Math.Max(offset, p << PageShift), to = Math.Min(end, (p + 1) << PageShift);
            NoteWriteSlow((int)p, (int)(from & (PageSize - 1)), (int)(to - from));
        }
    }

    public void WatchPage(int page)
    {
        if (_fastWrites[page] != 0)
        {
            _fastWrites[page] = 0;
            FastWritesRevoked?.Invoke(page);
        }
        _pageFlags[page] |= WatchedFlag;
    }

    public bool IsDirty(int page) => (_pageFlags[page] & DirtyFlag) != 0;

    /// <summary>
    /// The first dirty page at or after <paramref name="from"/>, or -1: a vectorised scan, so that a
    /// snapshot of a guest that changed a few pages does not test every page's flags one by one.
    /// </summary>
    public int NextDirty(int from)
    {
        if (from >= _pageFlags.Length) return -1;
        int i = _pageFlags.AsSpan(from).IndexOfAny(DirtyFlag, (byte)(DirtyFlag | WatchedFlag));
        return i < 0 ? -1 : from + i;
    }

    public void ClearDirty()
    {
        if (_anyFastWrites)
        {
            Array.Clear(_fastWrites);
            _anyFastWrites = false;
            FastWritesRevoked?.Invoke(-1);
        }
        // Eight pages' flags at a time: snapshots clear them all every few hundred thousand instructions.
        var words = MemoryMarshal.Cast<byte, ulong>(_pageFlags.AsSpan());
        const ulong keep = ~(0x0101_0101_0101_0101UL * DirtyFlag);
        for (int i = 0; i < words.Length; i++) words[i] &= keep;
        for (int i = words.Length * 8; i < _pageFlags.Length; i++)
            _pageFlags[i] &= unchecked((byte)~DirtyFlag);
    }

    public Span<byte> Page(int page) => _bytes.AsSpan(page << PageShift, PageSize);

    /// <summary>Copies into RAM from outside the guest (loader, debugger, snapshot restore).</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        data.CopyTo(_bytes.AsSpan((int)offset, data.Length));
        NoteWriteRange(offset, data.Length);
    }

    public void Read(ulong offset, Span<byte> destination) =>
        _bytes.AsSpan((int)offset, destination.Length).CopyTo(destination);
}
