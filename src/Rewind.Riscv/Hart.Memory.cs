using Rewind.Core.Cpu;
using Rewind.Core.Memory;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

public enum AccessKind : byte { Read, Write, Execute }

/// <summary>Sv39/Sv48 page-table entry fields (privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System").</summary>
internal static class Pte
{
    public const ulong V = 1UL << 0, R = 1UL << 1, W = 1UL << 2, X = 1UL << 3;
    public const ulong U = 1UL << 4, G = 1UL << 5, A = 1UL << 6, D = 1UL << 7;
    public const int PpnShift = 10;
    public const ulong PpnMask = (1UL << 44) - 1;
}

/// <summary>
/// Data and instruction access off the fast path: address translation (Sv39/Sv48 with hardware A/D
/// updates, MPRV, SUM, MXR), devices, watchpoints and page-crossing accesses.
/// </summary>
public sealed unsafe partial class Hart
{
    /// <summary>
    /// RAM offsets below these take the untranslated pointer fast path for loads and stores (M-mode without
    /// MPRV or locked PMP entries); 0 sends every access to the TLB (<see cref="TlbLoadHit"/>), then here.
    /// </summary>
    private ulong _fastLoadLimit, _fastStoreLimit;
    private ulong _fetchVpn = ulong.MaxValue;
    private DecodedInsn[] _fetchPage = [];
    private ulong _fetchPhysPage;
    private readonly CodeCache _codeCache;

    private PrivilegeLevel DataPrivilege =>
        (_mstatus & Riscv.Mstatus.Mprv) != 0 && Privilege == PrivilegeLevel.Machine
            ? (PrivilegeLevel)((_mstatus & Riscv.Mstatus.Mpp) >> Riscv.Mstatus.MppShift)
            : Privilege;

    private bool TranslationOn(PrivilegeLevel p) => p != PrivilegeLevel.Machine && (_satp >> 60) != 0;

    /// <summary>Forget cached translations: privilege, satp, mstatus or watchpoints changed.</summary>
    public void InvalidateTranslation()
    {
        _fetchVpn = ulong.MaxValue;
        // A write watchpoint (GDB's `watch`) needs only stores checked, a read watchpoint only loads.
        bool direct = !TranslationOn(DataPrivilege) && !PmpApplies(DataPrivilege) && _ram.Size >= 8;
        bool watchLoads = false, watchStores = false;
        if (_watchpoints != null)
            foreach (var w in _watchpoints)
            {
                watchLoads |= w.Kind != WatchKind.Write;
                watchStores |= w.Kind != WatchKind.Read;
            }
        UpdateTlbContext(watchLoads, watchStores);
        _fastLoadLimit = direct && !watchLoads ? _ram.Size - 8 : 0;
        _fastStoreLimit = direct && !watchStores ? _ram.Size - 8 : 0;
        SyncNativeContext();
    }

    /// <summary>
    /// Translates a virtual address; returns the exception to raise, or null. Not cached: loads and
    /// stores go through <see cref="TranslateData"/>, fetches through <see cref="TranslateFetch"/>.
    /// </summary>
    public ExceptionCause? Translate(ulong va, AccessKind kind, out ulong pa, bool updateAccessed = true)
    {
        var priv = kind == AccessKind.Execute ? Privilege : DataPrivilege;
        if (!TranslationOn(priv))
        {
            pa = va;
            return null;
        }
        return Walk(va, kind, priv, out pa, updateAccessed);
    }

    private ExceptionCause? Walk(ulong va, AccessKind kind, PrivilegeLevel priv, out ulong pa, bool updateAccessed)
    {
        pa = 0;
        var pageFault = kind switch
        {
            AccessKind.Execute => ExceptionCause.InstructionPageFault,
            AccessKind.Write => ExceptionCause.StorePageFault,
            _ => ExceptionCause.LoadPageFault,
        };
        var accessFault = kind switch
        {
            AccessKind.Execute => ExceptionCause.InstructionAccessFault,
            AccessKind.Write => ExceptionCause.StoreAccessFault,
            _ => ExceptionCause.LoadAccessFault,
        };
        int levels = (_satp >> 60) == 9 ? 4 : 3;
        int vaBits = 12 + 9 * levels;
        if ((ulong)((long)(va << (64 - vaBits)) >> (64 - vaBits)) != va) return pageFault;
        ulong table = (_satp & ((1UL << 44) - 1)) << 12;
        for (int level = levels - 1; level >= 0; level--)
        {
            ulong pteAddr = table + ((va >> (12 + 9 * level)) & 511) * 8;
            if (!PmpAllows(pteAddr, 8, AccessKind.Read, PrivilegeLevel.Supervisor) || !_bus.TryRead(pteAddr, 8, out ulong pte))
                return accessFault;
            _walkPtes[_walkPteCount++ & 3] = pteAddr;
            if ((pte & Pte.V) == 0 || ((pte & Pte.R) == 0 && (pte & Pte.W) != 0)) return pageFault;
            ulong ppn = (pte >> Pte.PpnShift) & Pte.PpnMask;
            if ((pte & (Pte.R | Pte.X)) == 0)
            {
                table = ppn << 12;
                continue;
            }
            bool user = (pte & Pte.U) != 0;
            if (priv == PrivilegeLevel.User && !user) return pageFault;
            if (priv == PrivilegeLevel.Supervisor && user && (kind == AccessKind.Execute || (_mstatus & Riscv.Mstatus.Sum) == 0))
                return pageFault;
            bool ok = kind switch
            {
                AccessKind.Execute => (pte & Pte.X) != 0,
                AccessKind.Write => (pte & Pte.W) != 0,
                _ => (pte & Pte.R) != 0 || ((pte & Pte.X) != 0 && (_mstatus & Riscv.Mstatus.Mxr) != 0),
            };
            if (!ok) return pageFault;
            ulong lowMask = (1UL << (9 * level)) - 1;
            if ((ppn & lowMask) != 0) return pageFault;
            ulong want = pte | Pte.A | (kind == AccessKind.Write ? Pte.D : 0);
            if (updateAccessed && want != pte
                && (!PmpAllows(pteAddr, 8, AccessKind.Write, PrivilegeLevel.Supervisor) || !_bus.TryWrite(pteAddr, 8, want)))
                return accessFault;
            pa = ((ppn & ~lowMask) << 12) | (va & ((1UL << (12 + 9 * level)) - 1));
            return null;
        }
        return pageFault;
    }

    private static ExceptionCause AccessFaultFor(AccessKind kind) => kind switch
    {
        AccessKind.Execute => ExceptionCause.InstructionAccessFault,
        AccessKind.Write => ExceptionCause.StoreAccessFault,
        _ => ExceptionCause.LoadAccessFault,
    };

    /// <summary>Load off the fast path; false means a trap was taken and Pc now points at its handler.</summary>
    private bool LoadSlow(ulong va, int size, out ulong value)
    {
        value = 0;
        if (WatchStops(va, size, AccessKind.Read)) return false;
        if (((va & 0xfff) + (ulong)size) > 0x1000 && TranslationOn(DataPrivilege))
        {
            for (int i = 0; i < size; i++)
            {
                if (!LoadSlow(va + (ulong)i, 1, out ulong b)) return false;
                value |= b << (8 * i);
            }
            return true;
        }
        var fault = TranslateData(va, size, AccessKind.Read, out ulong pa);
        if (fault != null)
        {
            RaiseException(fault.Value, va);
            return false;
        }
        if (!_bus.TryRead(pa, size, out value))
        {
            RaiseException(ExceptionCause.LoadAccessFault, va);
            return false;
        }
        return true;
    }

    private bool StoreSlow(ulong va, int size, ulong value)
    {
        if (WatchStops(va, size, AccessKind.Write)) return false;
        if (((va & 0xfff) + (ulong)size) > 0x1000 && TranslationOn(DataPrivilege))
        {
            // Translate every byte before writing any, so a fault leaves memory untouched.
            for (int i = 0; i < size; i++)
            {
                var f = TranslateData(va + (ulong)i, 1, AccessKind.Write, out _);
                if (f != null)
                {
                    RaiseException(f.Value, va);
                    return false;
                }
            }
            for (int i = 0; i < size; i++)
                if (!StoreSlow(va + (ulong)i, 1, value >> (8 * i))) return false;
            return true;
        }
        var fault = TranslateData(va, size, AccessKind.Write, out ulong pa);
        if (fault != null)
        {
            RaiseException(fault.Value, va);
            return false;
        }
        if (!_bus.TryWrite(pa, size, value))
        {
            RaiseException(ExceptionCause.StoreAccessFault, va);
            return false;
        }
        return true;
    }

    /// <summary>Points the fetch window at pc's page; false means a fetch fault was raised.</summary>
    private bool RefillFetch(ulong pc)
    {
        Counters.FetchRefills++;
        if (!TranslateFetch(pc, out ulong pa)) return false;
        ulong ppage = pa >> PhysicalMemory.PageShift;
        if (_ram.Contains(pa, 2))
        {
            _fetchPage = _codeCache.PageFor((int)((pa - _ramBase) >> PhysicalMemory.PageShift));
        }
        else
        {
            if (!_bus.TryRead(pa, 2, out _))
            {
                RaiseException(ExceptionCause.InstructionAccessFault, pc);
                return false;
            }
            _fetchPage = _codeCache.PageOutsideRam(ppage);
        }
        _fetchPhysPage = ppage << PhysicalMemory.PageShift;
        _fetchVpn = pc >> PhysicalMemory.PageShift;
        return true;
    }

    /// <summary>Fills a decode slot from memory at pc, which lies in the current fetch page.</summary>
    private void DecodeSlot(ref DecodedInsn slot, ulong pc)
    {
        ulong pa = _fetchPhysPage | (pc & 0xfff);
        _bus.TryRead(pa, 2, out ulong low);
        if ((low & 3) == 3 && (pc & 0xfff) == 0xffe)
        {
            // Runs through FetchUncached, as a breakpoint does when stepped over; it may hold one too.
            slot = new DecodedInsn { Op = Op.CrossPage, Length = 4 };
        }
        else
        {
            uint raw = (uint)low;
            if ((low & 3) == 3)
            {
                _bus.TryRead(pa, 4, out ulong whole);
                raw = (uint)whole;
            }
            slot = Decoder.Decode(raw);
        }
        if (_codeCache.IsBreakpoint(pc)) slot.Op = Op.Breakpoint;
    }

    /// <summary>Fetches and decodes an instruction at pc without the cache; false means a fetch fault was raised.</summary>
    private bool FetchUncached(ulong pc, out DecodedInsn insn)
    {
        insn = default;
        uint raw = 0;
        for (int half = 0; half < 2; half++)
        {
            ulong va = pc + (ulong)(2 * half);
            var fault = Translate(va, AccessKind.Execute, out ulong pa);
            if (fault != null)
            {
                RaiseException(fault.Value, va);
                return false;
            }
            if (!PmpAllows(pa, 2, AccessKind.Execute, Privilege) || !_bus.TryRead(pa, 2, out ulong h))
            {
                RaiseException(ExceptionCause.InstructionAccessFault, va);
                return false;
            }
            raw |= (uint)h << (16 * half);
            if (half == 0 && (h & 3) != 3) break;
        }
        insn = Decoder.Decode(raw);
        return true;
    }

    /// <summary>Reads guest memory as the hart would see it at its current privilege, for debuggers.</summary>
    public int DebugRead(ulong address, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (Translate(a, AccessKind.Read, out ulong pa, updateAccessed: false) != null) return i;
            if (_bus.ReadBytes(pa, destination.Slice(i, 1)) != 1) return i;
        }
        return destination.Length;
    }

    public bool TryTranslate(ulong address, out ulong physical) =>
        Translate(address, AccessKind.Read, out physical, updateAccessed: false) == null;

    public int DebugWrite(ulong address, ReadOnlySpan<byte> source)
    {
        for (int i = 0; i < source.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (Translate(a, AccessKind.Write, out ulong pa, updateAccessed: false) != null) return i;
            if (_bus.WriteBytes(pa, source.Slice(i, 1)) != 1) return i;
        }
        // RAM heard of the write; a patched ROM did not.
        _codeCache.ForgetOutsideRam();
        _fetchVpn = ulong.MaxValue;
        return source.Length;
    }
}
