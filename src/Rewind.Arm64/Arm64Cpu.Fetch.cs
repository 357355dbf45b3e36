using Rewind.Arm64.Decode;
using Rewind.Core.Memory;

namespace Rewind.Arm64;

/// <summary>
/// Instruction fetch through the code cache: the CPU keeps a window on the page it executes from (its
/// virtual page, the slots of the physical page behind it, and where its bytes are in host memory), so
/// staying in the page costs one compare, and an instruction is decoded once until its bytes change.
/// The window is derived state: it is dropped whenever a fetch could translate or be permitted
/// differently (TLB flushes, which translation register writes and restores do, and exception level
/// changes), and when the code cache drops a page array.
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    private readonly Arm64CodeCache _code;
    /// <summary>The virtual page base of the fetch window; NoPc (not page aligned, so never equal to a pc with bits 2..11 cleared) when there is none.</summary>
    private ulong _fetchPage = NoPc;
    private A64Op[] _fetchSlots = new A64Op[1];
    private byte* _fetchHost;
    /// <summary>The fetch window's word of the code cache's line map (<see cref="PageCodeCache{TSlot}.CodeLines"/>): a decode marks its line there.</summary>
    private ulong* _fetchLines;
    /// <summary>An instruction fetched from outside RAM (a flash or ROM), decoded each time: its bytes change without notice.</summary>
    private A64Op _uncachedOp;

    /// <summary>The machine's code cache this CPU fetches through.</summary>
    public Arm64CodeCache CodeCache => _code;

    /// <summary>
    /// Drops the fetch window, and with it every page the fetch TLB remembers: their keys carry an epoch, which
    /// moves here (the array is cleared when it wraps).
    /// </summary>
    private void ForgetFetchPage()
    {
        _fetchPage = NoPc;
        if (++_fetchEpoch == 0x1000)
        {
            Array.Clear(_fetchTlb);
            _fetchEpoch = 1;
        }
    }

    /// <summary>
    /// Virtual pages the fetch window has been on since it was last dropped, with their slots: native code
    /// (<see cref="Jit.ArmNativeCompiler"/>) follows a branch to another page through it, as the window would.
    /// </summary>
    private struct FetchTlbEntry
    {
        /// <summary>The virtual page | the epoch it was made in (0 never matches: no epoch is 0).</summary>
        public ulong Key;
        /// <summary>The address of the page's pinned slots.</summary>
        public ulong Slots;
    }

    internal const int FetchTlbEntries = 256;

    private readonly FetchTlbEntry[] _fetchTlb = GC.AllocateArray<FetchTlbEntry>(FetchTlbEntries, pinned: true);
    private ulong _fetchEpoch = 1;

    /// <summary>
    /// Points the fetch window at pc's page, or, for a pc outside RAM, leaves it off and decodes the
    /// instruction into <see cref="_uncachedOp"/>. Faults as <see cref="Fetch"/> does.
    /// </summary>
    private void RefillFetch(ulong pc)
    {
        _fetchPage = NoPc;
        if ((pc & 3) != 0) throw ArmFault.Exception(ExceptionClass.PcAlignment, 0, pc);
        ulong pa = MmuOn ? TranslateWithTlb(pc, Access.Fetch, El) : pc;
        ulong off = pa - _ramBase;
        if (off >= _ramSize)
        {
            if (!_bus.TryRead(pa, 4, out ulong v)) throw ArmFault.Exception(ExceptionClass.InstructionAbort, 0x10, pc);
            _uncachedOp = Decode((uint)v);
            return;
        }
        _fetchSlots = _code.PageFor((int)(off >> PhysicalMemory.PageShift));
        _fetchLines = _code.CodeLines + (off >> PhysicalMemory.PageShift);
        _fetchHost = _ramPtr + (off & ~0xfffUL);
        _fetchPage = pc & ~0xfffUL;
        ref FetchTlbEntry e = ref _fetchTlb[(int)(pc >> PhysicalMemory.PageShift) & (FetchTlbEntries - 1)];
        e.Key = _fetchPage | _fetchEpoch;
        e.Slots = (ulong)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_fetchSlots));
    }
}
