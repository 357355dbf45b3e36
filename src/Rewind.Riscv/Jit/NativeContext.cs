using System.Runtime.InteropServices;

namespace Rewind.Riscv.Jit;

/// <summary>
/// What native code (<see cref="NativeCompiler"/>) reads of the hart, at fixed offsets, as ARMeilleure's
/// NativeContext: copies of the hart's memory fast-path fields, refreshed before every call (the hart is
/// a managed object and may move, so native code never holds it), and the next pc written back on every
/// exit. It lives in unmanaged memory owned by the hart.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeContext
{
    /// <summary>Out: the pc the run stopped at.</summary>
    public ulong Pc;
    public ulong RamBase;
    public byte* RamPtr;
    /// <summary>RAM offsets below these are served untranslated (0 while paging, PMP or watchpoints apply).</summary>
    public ulong FastLoadLimit, FastStoreLimit;
    /// <summary>The read and write TLBs (16-byte entries: key, then RAM offset minus virtual address).</summary>
    public void* TlbRead, TlbWrite;
    /// <summary>The context bits a hit's key carries for loads and for stores.</summary>
    public ulong LoadContext, StoreContext;
    /// <summary>One byte per RAM page: a store is native only when its page's is exactly DirtyFlag.</summary>
    public byte* PageFlags;
    /// <summary>Out: nonzero when the run stopped before an access it could not make (the interpreter makes it).</summary>
    public ulong Missed;
    /// <summary>
    /// The routines bodies share (<see cref="NativeRoutines"/>), called or jumped to through these fields
    /// so that a body holds no absolute address and stays small.
    /// </summary>
    public NativeRoutineTable Routines;
    /// <summary>
    /// For going from one body to the next without returning (<see cref="NativeRoutineTable.Chain"/>): the
    /// decoded slots of the page the run is on (pinned), and the cache's table of bodies by placement id
    /// (<see cref="NativeEntry"/>).
    /// </summary>
    public void* Slots;
    public NativeEntry* Entries;
    /// <summary>The virtual page (address) <see cref="Slots"/> belong to; a jump elsewhere looks its page up.</summary>
    public ulong SlotsPage;
    /// <summary>For a jump to another page: the fetch TLB, its context bits, and the code cache's slots by RAM page.</summary>
    public void* TlbFetch;
    public ulong FetchContext;
    public nint* PageSlots;

    public const int PcOffset = 0;
    public const int RamBaseOffset = 8;
    public const int RamPtrOffset = 16;
    public const int FastLoadLimitOffset = 24;
    public const int FastStoreLimitOffset = 32;
    public const int TlbReadOffset = 40;
    public const int TlbWriteOffset = 48;
    public const int LoadContextOffset = 56;
    public const int StoreContextOffset = 64;
    public const int PageFlagsOffset = 72;
    public const int MissedOffset = 80;
    public const int LoadRoutineOffset = 88;
    public const int StoreRoutineOffset = 96;
    public const int ExitRoutineOffset = 104;
    public const int MissRoutineOffset = 112;
    public const int ChainRoutineOffset = 120;
    public const int Load1RoutineOffset = 128;
    public const int Load2RoutineOffset = 136;
    public const int Load4RoutineOffset = 144;
    public const int Store1RoutineOffset = 152;
    public const int Store2RoutineOffset = 160;
    public const int Store4RoutineOffset = 168;
    public const int SlotsOffset = 176;
    public const int EntriesOffset = 184;
    public const int SlotsPageOffset = 192;
    public const int TlbFetchOffset = 200;
    public const int FetchContextOffset = 208;
    public const int PageSlotsOffset = 216;

    /// <summary>
    /// True when the offsets above are where the runtime lays the fields out. Emitted code trusts them;
    /// the code cache checks this once before it emits any.
    /// </summary>
    public static bool OffsetsMatchLayout()
    {
        static int At(string field) => (int)Marshal.OffsetOf<NativeContext>(field);
        static int Routine(string field) => At(nameof(Routines)) + (int)Marshal.OffsetOf<NativeRoutineTable>(field);
        return At(nameof(Pc)) == PcOffset && At(nameof(RamBase)) == RamBaseOffset && At(nameof(RamPtr)) == RamPtrOffset
            && At(nameof(FastLoadLimit)) == FastLoadLimitOffset && At(nameof(FastStoreLimit)) == FastStoreLimitOffset
            && At(nameof(TlbRead)) == TlbReadOffset && At(nameof(TlbWrite)) == TlbWriteOffset
            && At(nameof(LoadContext)) == LoadContextOffset && At(nameof(StoreContext)) == StoreContextOffset
            && At(nameof(PageFlags)) == PageFlagsOffset && At(nameof(Missed)) == MissedOffset
            && Routine(nameof(NativeRoutineTable.Load)) == LoadRoutineOffset
            && Routine(nameof(NativeRoutineTable.Store)) == StoreRoutineOffset
            && Routine(nameof(NativeRoutineTable.Exit)) == ExitRoutineOffset
            && Routine(nameof(NativeRoutineTable.Miss)) == MissRoutineOffset
            && Routine(nameof(NativeRoutineTable.Chain)) == ChainRoutineOffset
            && Routine(nameof(NativeRoutineTable.Load1)) == Load1RoutineOffset
            && Routine(nameof(NativeRoutineTable.Load2)) == Load2RoutineOffset
            && Routine(nameof(NativeRoutineTable.Load4)) == Load4RoutineOffset
            && Routine(nameof(NativeRoutineTable.Store1)) == Store1RoutineOffset
            && Routine(nameof(NativeRoutineTable.Store2)) == Store2RoutineOffset
            && Routine(nameof(NativeRoutineTable.Store4)) == Store4RoutineOffset
            && At(nameof(Slots)) == SlotsOffset && At(nameof(Entries)) == EntriesOffset
            && At(nameof(SlotsPage)) == SlotsPageOffset && At(nameof(TlbFetch)) == TlbFetchOffset
            && At(nameof(FetchContext)) == FetchContextOffset && At(nameof(PageSlots)) == PageSlotsOffset;
    }

    /// <summary>The offset of the routine for a load of <paramref name="size"/> bytes.</summary>
    public static int LoadRoutineOffsetFor(int size) => size switch
    {
        1 => Load1RoutineOffset,
        2 => Load2RoutineOffset,
        4 => Load4RoutineOffset,
        _ => LoadRoutineOffset,
    };

    /// <summary>The offset of the routine for a store of <paramref name="size"/> bytes.</summary>
    public static int StoreRoutineOffsetFor(int size) => size switch
    {
        1 => Store1RoutineOffset,
        2 => Store2RoutineOffset,
        4 => Store4RoutineOffset,
        _ => StoreRoutineOffset,
    };
}

/// <summary>
/// What native code needs of a placed body to enter it from another: its code past the prologue (0 for
/// an IL body or a free id) and the instructions in its entry block (the slice must have room for them);
/// and its runs, counted by the hart and by native code entering it, towards its IL region.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeEntry
{
    public nint Code;
    public int Length;
    public int Runs;

    public const int Size = 16;
    public const int LengthOffset = 8;
    public const int RunsOffset = 12;
}
