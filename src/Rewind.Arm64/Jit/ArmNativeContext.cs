namespace Rewind.Arm64.Jit;

/// <summary>
/// What native Arm code (<see cref="ArmNativeCompiler"/>) reads and writes besides the general registers:
/// one pinned array of 64-bit words per CPU, at fixed offsets, as ARMeilleure's NativeContext is. The CPU
/// fills it before each call (the stack pointer, NZCV, and the memory fast path's values, which cannot
/// change while native code runs: whatever changes them is an instruction native code leaves before) and
/// reads the pc, the stack pointer and NZCV back after.
/// </summary>
internal static class ArmNativeContext
{
    public const int Pc = 0;
    public const int Sp = 8;
    /// <summary>
    /// NZCV in the host's form (<see cref="HostFlags"/>): what LAHF and SETO leave after the operation that set
    /// it, so setting it costs native code three instructions and testing it (SAHF) four, or none right after.
    /// </summary>
    public const int Nzcv = 16;
    public const int RamBase = 24;
    /// <summary>Untranslated accesses with a RAM offset below this are served inline (0 while the MMU is on).</summary>
    public const int FastLimit = 32;
    public const int RamPtr = 40;
    /// <summary>Unused: the data TLB is inside the context (<see cref="TlbReadAt"/>), where native code reaches it without loading a pointer.</summary>
    public const int Unused48 = 48, Unused56 = 56;
    /// <summary>The low bits every data TLB key carries (valid, exception level), or a bit none carries.</summary>
    public const int DataContext = 64;
    public const int PageFlags = 72;
    /// <summary>The pinned slots of the fetch window's page: a body goes on to another placed on the same page through them.</summary>
    public const int Slots = 80;
    /// <summary>The virtual page of those slots, or a value no page has (no chaining: breakpoints are set).</summary>
    public const int SlotsPage = 88;
    /// <summary>The cache's table of native entries (<see cref="ArmNativeEntry"/>), indexed by placement id.</summary>
    public const int Entries = 96;
    /// <summary>The CPU's fetch TLB (virtual page | epoch, slots), and the epoch its live entries carry (0: no chaining).</summary>
    public const int FetchTlb = 104;
    public const int FetchEpoch = 112;
    /// <summary>1 where DC ZVA may run: at EL1, or at EL0 with SCTLR_EL1.DZE set (else it traps, in the interpreter).</summary>
    public const int ZeroBlockAllowed = 120;
    /// <summary>1 at EL1 (the system instructions native code runs are EL1's; at EL0 it leaves them to the interpreter).</summary>
    public const int AtEl1 = 128;
    public const int TpidrEl1 = 136;
    /// <summary>SP_EL0 when MRS may read it (EL1 with SPSel = 1), else a value <see cref="SpEl0Readable"/> says not to use.</summary>
    public const int SpEl0 = 144;
    public const int SpEl0Readable = 152;
    /// <summary>PSTATE.DAIF as the CPU keeps it (bits 3..0): MSR DAIFSet ORs into it, and the CPU takes it back.</summary>
    public const int Daif = 160;

    /// <summary>The pc and the count where the running body was entered (set by its prologue, or by the body that chained to it).</summary>
    public const int EntryPc = 168;
    public const int EntryCount = 176;

    /// <summary>The CPU's exclusive monitor (LDXR, STXR): 1 when it holds an address, the address, its size in bytes. Taken back.</summary>
    public const int ExclusiveValid = 184;
    public const int ExclusiveAddress = 192;
    public const int ExclusiveSize = 200;

    /// <summary>
    /// The code cache's line map (<see cref="Core.Memory.PageCodeCache{TSlot}.CodeLines"/>) as a bit offset from this
    /// context's own address: (map - context) * 8, so that BT [context], (offset >> 6) + this tests a RAM line.
    /// </summary>
    public const int CodeLineBits = 208;

    /// <summary>
    /// 1 while the CPU's code cache is the only one over its RAM (<see cref="Core.Memory.PhysicalMemory.CodeCaches"/>),
    /// so its line map covers all decoded code: else stores into watched pages always leave for the interpreter.
    /// </summary>
    public const int LinesComplete = 216;

    /// <summary>
    /// The CPU's data TLB itself, read entries then write entries (<see cref="Arm64Cpu.DataTlbEntries"/> of
    /// <see cref="TlbEntryBytes"/> each), inside the context's block after its words: an entry's address is one LEA from the context
    /// register, where a pointer loaded from the context would add a load's latency to every access's lookup.
    /// </summary>
    public const int TlbReadAt = 256;
    public const int TlbWriteAt = TlbReadAt + Arm64Cpu.DataTlbEntries * TlbEntryBytes;

    /// <summary>A data TLB entry: key, RAM offset minus va (the interpreter's), host address minus va (native code's), padding.</summary>
    public const int TlbEntryBytes = 32, TlbEntryShift = 5, TlbEntryHost = 16;

    /// <summary>The words (28 of them, then room) and the two TLB arrays, in 64-bit words.</summary>
    public const int Words = (TlbWriteAt + Arm64Cpu.DataTlbEntries * TlbEntryBytes) / 8;

    /// <summary>
    /// NZCV (bits 31..28, as the CPU keeps it) in the host's form: bits 15..8 as LAHF leaves AH (SF = N, ZF = Z,
    /// CF = C: Arm's carry, the complement of the host's after a subtraction; bit 9 always set) and bit 0 = V,
    /// as SETO leaves AL. Native code restores the host's flags from it with ADD AL, 0x7f (OF) and SAHF.
    /// </summary>
    public static ulong HostFlags(uint nzcv) =>
        ((nzcv >> 31) & 1) << 15 | ((nzcv >> 30) & 1) << 14 | ((nzcv >> 29) & 1) << 8 | ((nzcv >> 28) & 1) | 0x200;

    /// <summary>NZCV (bits 31..28) from the host's form.</summary>
    public static uint FromHostFlags(ulong host) =>
        (uint)(((host >> 15) & 1) << 31 | ((host >> 14) & 1) << 30 | ((host >> 8) & 1) << 29 | (host & 1) << 28);
}

/// <summary>A placement's native entry, as chained code reads it: 0 code for a region the runtime compiled.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct ArmNativeEntry
{
    public nint Code;
    /// <summary>Instructions of the entry block: the room a slice must have.</summary>
    public int Length;
    private readonly int _padding;

    public const int CodeOffset = 0, LengthOffset = 8, Size = 16;
}
