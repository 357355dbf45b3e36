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
    public nint LoadRoutine, StoreRoutine, ExitRoutine, MissRoutine;
    /// <summary>
    /// For going from one body to the next without returning: the routine, the decoded slots of the
    /// page the run is on (pinned), and the cache's table of bodies by placement id (<see cref="NativeEntry"/>).
    /// </summary>
    public nint ChainRoutine;
    public void* Slots;
    public NativeEntry* Entries;
    /// <summary>The virtual page (address) <see cref="Slots"/> belong to; a jump elsewhere looks its page up.</summary>
    public ulong SlotsPage;
    /// <summary>For a jump to another page: the fetch TLB, its context bits, and the code cache's slots by RAM page.</summary>
    public void* TlbFetch;
    public ulong FetchContext;
    public nint* PageSlots;
    /// <summary>
    /// The load and store routines for 1, 2 and 4 bytes (<see cref="LoadRoutine"/> and
    /// <see cref="StoreRoutine"/> are the 8-byte ones): each serves an access that ends by the page's end,
    /// so a byte near it is served too (a Linux copy's tail bytes left native code at every page's end).
    /// </summary>
    public nint Load1Routine, Load2Routine, Load4Routine, Store1Routine, Store2Routine, Store4Routine;

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
    public const int SlotsOffset = 128;
    public const int EntriesOffset = 136;
    public const int SlotsPageOffset = 144;
    public const int TlbFetchOffset = 152;
    public const int FetchContextOffset = 160;
    public const int PageSlotsOffset = 168;
    public const int Load1RoutineOffset = 176;
    public const int Load2RoutineOffset = 184;
    public const int Load4RoutineOffset = 192;
    public const int Store1RoutineOffset = 200;
    public const int Store2RoutineOffset = 208;
    public const int Store4RoutineOffset = 216;

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
