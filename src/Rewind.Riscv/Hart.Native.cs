using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rewind.Core.Memory;
using Rewind.Riscv.Jit;

namespace Rewind.Riscv;

/// <summary>
/// The hart's side of native code (<see cref="NativeCompiler"/>): the context it reads at fixed offsets,
/// kept equal to the hart's fast-path fields, and the call itself.
/// </summary>
public sealed unsafe partial class Hart
{
    // Pinned, one element: native code reaches it through a pointer that never moves.
    private readonly NativeContext[] _nativeContext = GC.AllocateArray<NativeContext>(1, pinned: true);

    private NativeContext* NativeContextPointer => (NativeContext*)Unsafe.AsPointer(ref _nativeContext[0]);

    /// <summary>
    /// Copies the fast-path fields into the native context. They change only where translation is
    /// invalidated (privilege, satp, mstatus, watchpoints) and when the TLB is set up, which call this.
    /// </summary>
    private void SyncNativeContext()
    {
        var c = NativeContextPointer;
        c->RamBase = _ramBase;
        c->RamPtr = _ramPtr;
        c->FastLoadLimit = _fastLoadLimit;
        c->FastStoreLimit = _fastStoreLimit;
        c->TlbRead = _tlbRead;
        c->TlbWrite = _tlbWrite;
        c->LoadContext = _tlbLoadContext;
        c->StoreContext = _tlbStoreContext;
        c->PageFlags = _ram.PageFlagsPointer;
        c->TlbFetch = _tlbFetch;
        c->FetchContext = _tlbFetchContext;
        // Null while SetUpTlb runs from the constructor, before the code cache is assigned.
        if (_codeCache != null) c->PageSlots = _codeCache.PageAddresses;
    }

    // The cache whose routines the context holds: they keep their addresses for the cache's life (an arena
    // that starts over emits them at the same place), so they are copied once, not before every run.
    private BlockCache? _nativeRoutinesOf;

    /// <summary>Points the native context at <paramref name="blocks"/>' shared routines (before native code runs).</summary>
    private void UseNativeRoutines(BlockCache blocks)
    {
        if (_nativeRoutinesOf == blocks) return;
        var c = NativeContextPointer;
        c->Routines = blocks.Routines;
        c->Entries = blocks.Entries;
        _nativeRoutinesOf = blocks;
    }

    /// <summary>
    /// Runs a native body from <see cref="Pc"/> with the count at <paramref name="start"/>; returns its
    /// steps and leaves the next pc in <see cref="Pc"/>. No GC transition: the code is short, never
    /// blocks and never calls back into .NET.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong RunNative(nint native, ulong* x, ulong start)
    {
        var code = (delegate* unmanaged[SuppressGCTransition]<NativeContext*, ulong*, ulong, ulong, ulong, ulong>)native;
        var c = NativeContextPointer;
        c->Missed = 0;
        // The fetch page's slots: bodies go on to others placed on the same page through them.
        c->Slots = Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_fetchPage));
        c->SlotsPage = _fetchVpn << PhysicalMemory.PageShift;
        ulong steps = code(c, x, Pc, start, _sliceEnd);
        Pc = c->Pc;
        // The instruction at the pc is the interpreter's: a body starting there would stop at once again.
        if (c->Missed != 0) JitExit = JitNativeMiss;
        return steps;
    }
}
