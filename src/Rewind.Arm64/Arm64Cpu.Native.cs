using Rewind.Arm64.Jit;

namespace Rewind.Arm64;

/// <summary>
/// The CPU's side of the native first tier (<see cref="ArmNativeCompiler"/>): translating the region at a warm
/// address, and calling native bodies with the context they read.
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    /// <summary>The native context (<see cref="ArmNativeContext"/>), pinned so native code reaches it by address.</summary>
    private readonly ulong[] _nativeWords = GC.AllocateArray<ulong>(ArmNativeContext.Words, pinned: true);

    private ulong* NativeContextPointer => (ulong*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _nativeWords[0]);

    /// <summary>
    /// The context's words that hold for the CPU's life (RAM, its page flags, the data and fetch TLB arrays, all
    /// at fixed addresses): written once, from the constructor, rather than before every call.
    /// </summary>
    private void SetUpNativeContext()
    {
        ulong* c = NativeContextPointer;
        c[ArmNativeContext.RamBase / 8] = _ramBase;
        c[ArmNativeContext.RamPtr / 8] = (ulong)_ramPtr;
        c[ArmNativeContext.PageFlags / 8] = (ulong)_pageFlags;
        c[ArmNativeContext.FetchTlb / 8] = (ulong)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _fetchTlb[0]);
        c[ArmNativeContext.CodeLineBits / 8] = (ulong)(((byte*)_code.CodeLines - (byte*)c) * 8);
    }

    /// <summary>
    /// Translates the region entered at pc (in the fetch window) to native code and places it; false when its
    /// first instruction is not one native code runs.
    /// </summary>
    private bool CompileNative(ulong pc, ArmBlockCache cache)
    {
        byte* page = _fetchHost;
        var region = ArmRegion.Discover((int)(pc & 0xfff), at => *(uint*)(page + at), ArmNativeCompiler.Supports);
        if (region == null) return false;
        region.Translated = MmuOn;
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        int ramPage = (int)((ulong)(page - _ramPtr) >> 12);
        bool placed = cache.PlaceNative(region, _fetchSlots, (int)((pc >> 2) & 1023), ramPage);
        CompileTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        return placed;
    }

    /// <summary>
    /// Runs a native body from pc with the count at ic, never past sliceEnd: fills the context, calls it, and
    /// takes back the pc, the stack pointer and NZCV. Returns the steps it took (0: it ran nothing).
    /// </summary>
    /// <param name="chain">Whether the body may go on to others without returning: not while breakpoints are set, so every body is entered through the interpreter's check for them.</param>
    internal ulong RunNative(nint code, ulong* x, ulong pc, ulong ic, ulong sliceEnd, bool chain = true)
    {
        ulong* c = NativeContextPointer;
        c[ArmNativeContext.Sp / 8] = Sp;
        c[ArmNativeContext.Nzcv / 8] = ArmNativeContext.HostFlags(_nzcv);
        c[ArmNativeContext.FastLimit / 8] = _fastAccessLimit;
        c[ArmNativeContext.DataContext / 8] = _dataContext;
        // The fetch window's slots and the fetch TLB, for chaining between bodies.
        c[ArmNativeContext.Slots / 8] = (ulong)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_fetchSlots));
        c[ArmNativeContext.SlotsPage / 8] = chain ? _fetchPage : NoPc;
        c[ArmNativeContext.Entries / 8] = (ulong)_jit!.Entries;
        c[ArmNativeContext.FetchEpoch / 8] = chain ? _fetchEpoch : 0;
        c[ArmNativeContext.AtEl1 / 8] = El == 1 ? 1UL : 0;
        c[ArmNativeContext.ZeroBlockAllowed / 8] = ZeroBlockAllowed ? 1UL : 0;
        c[ArmNativeContext.TpidrEl1 / 8] = _tpidrEl1;
        c[ArmNativeContext.SpEl0 / 8] = _spEl0;
        c[ArmNativeContext.SpEl0Readable / 8] = SpSel ? 1UL : 0;
        c[ArmNativeContext.Daif / 8] = _daif;
        c[ArmNativeContext.ExclusiveValid / 8] = _exclusiveValid ? 1UL : 0;
        c[ArmNativeContext.ExclusiveAddress / 8] = _exclusiveAddress;
        c[ArmNativeContext.ExclusiveSize / 8] = (ulong)_exclusiveSize;
        c[ArmNativeContext.LinesComplete / 8] = _ram.CodeCaches == 1 ? 1UL : 0;
        var body = (delegate* unmanaged[SuppressGCTransition]<ulong*, ulong*, ulong, ulong, ulong, ulong>)code;
        ulong steps = body(c, x, pc, ic, sliceEnd);
        Sp = c[ArmNativeContext.Sp / 8];
        _nzcv = ArmNativeContext.FromHostFlags(c[ArmNativeContext.Nzcv / 8]);
        // MSR DAIFSet only masks more: nothing becomes deliverable, as in the interpreter's.
        _daif = (uint)c[ArmNativeContext.Daif / 8];
        Pc = c[ArmNativeContext.Pc / 8];
        _exclusiveValid = c[ArmNativeContext.ExclusiveValid / 8] != 0;
        _exclusiveAddress = c[ArmNativeContext.ExclusiveAddress / 8];
        _exclusiveSize = (int)c[ArmNativeContext.ExclusiveSize / 8];
        return steps;
    }
}
