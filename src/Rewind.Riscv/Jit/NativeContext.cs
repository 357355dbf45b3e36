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
}
