using System.Runtime.CompilerServices;
using Rewind.Core.Memory;

namespace Rewind.Riscv;

/// <summary>
/// The TLB, used wherever paging or PMP applies (all of S and U mode): direct-mapped arrays for reads,
/// writes and fetches whose entries map a virtual page straight to its RAM offset, so a load or store
/// that hits costs a compare and an add, inline in the interpreter (<see cref="TlbLoadHit"/>,
/// <see cref="TlbStoreHit"/>). Pages outside RAM (devices) have their own small arrays, used off the
/// fast path. A write entry exists only once the walk has set D, and PMP is checked when an entry is
/// filled: only pages that PMP treats alike throughout are cached, so a hit needs no further check.
/// <para>
/// It is invisible to the guest, which keeps replay exact without snapshotting it: an entry is only
/// kept while the page-table pages its walk read are unchanged (they are watched in RAM, and any write
/// to one flushes the TLB), and the key carries everything else a walk depends on (privilege, SUM,
/// MXR); satp writes, sfence.vma, PMP writes and restores flush. Stores that hit still report to
/// <see cref="PhysicalMemory.NoteWrite"/> (dirty pages for snapshots, decoded code, watched tables),
/// and while a watchpoint needs loads or stores checked, the inline lookup for them always misses.
/// </para>
/// </summary>
public sealed unsafe partial class Hart
{
    // 4,096 entries: a Linux boot walked 98 K times with 256 (its direct map touches many pages), 48 K
    // with 1,024, 35 K with 4,096; every walk is also a way out of native code. A flush clears 192 KiB.
    private const int TlbBits = 12;
    private const int TlbMask = (1 << TlbBits) - 1;
    /// <summary>Entries in each of the read, write and fetch TLBs (native code indexes them as the interpreter does).</summary>
    internal const int TlbEntries = 1 << TlbBits;
    private const int IoTlbMask = 15;
    /// <summary>A context bit no filled entry carries: an inline lookup made with it always misses.</summary>
    private const ulong TlbNever = 32;

    private struct TlbEntry
    {
        /// <summary>Page-aligned virtual address | context bits; 0 is never a valid key.</summary>
        public ulong Key;
        /// <summary>RAM entries: RAM offset minus virtual address. Device entries: physical minus virtual address.</summary>
        public ulong Offset;
    }

    // Pinned, so the interpreter indexes them through pointers without bounds checks.
    private readonly TlbEntry[] _tlbArrays = GC.AllocateArray<TlbEntry>(3 << TlbBits, pinned: true);
    private TlbEntry* _tlbRead, _tlbWrite, _tlbFetch;
    private readonly TlbEntry[] _tlbIoRead = new TlbEntry[IoTlbMask + 1];
    private readonly TlbEntry[] _tlbIoWrite = new TlbEntry[IoTlbMask + 1];
    private bool _tlbFilled;
    private readonly HashSet<int> _tlbTablePages = [];
    private readonly ulong[] _walkPtes = new ulong[4];
    private int _walkPteCount;
    /// <summary>Low bits of every data key: valid, data privilege, SUM, MXR (recomputed with the fast-path limit).</summary>
    private ulong _tlbContext = 1;
    /// <summary>Low bits of fetch keys: valid and privilege (SUM and MXR do not change what may be executed).</summary>
    private ulong _tlbFetchContext = 1;
    /// <summary>What the inline lookups use: <see cref="_tlbContext"/>, or <see cref="TlbNever"/> while watchpoints need the slow path.</summary>
    private ulong _tlbLoadContext = 1, _tlbStoreContext = 1;

    private void SetUpTlb()
    {
        var all = (TlbEntry*)Unsafe.AsPointer(ref _tlbArrays[0]);
        _tlbRead = all;
        _tlbWrite = all + (1 << TlbBits);
        _tlbFetch = all + (2 << TlbBits);
        SyncNativeContext();

        var previous = _ram.WatchedPageWritten;
        _ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            if (_tlbTablePages.Contains(page)) FlushTlb();
        };
    }

    private void UpdateTlbContext(bool watchLoads, bool watchStores)
    {
        _tlbContext = 1
            | ((ulong)DataPrivilege << 1)
            | ((_mstatus & Riscv.Mstatus.Sum) != 0 ? 8UL : 0)
            | ((_mstatus & Riscv.Mstatus.Mxr) != 0 ? 16UL : 0);
        _tlbFetchContext = 1 | ((ulong)Privilege << 1);
        _tlbLoadContext = watchLoads ? TlbNever : _tlbContext;
        _tlbStoreContext = watchStores ? TlbNever : _tlbContext;
    }

    /// <summary>Forgets every cached translation (satp write, sfence.vma, page table written, state restored).</summary>
    public void FlushTlb()
    {
        // The fetch window (_fetchVpn) is kept, as it always was: it is re-translated at the next page change.
        if (!_tlbFilled) return;
        _tlbFilled = false;
        Counters.TlbFlushes++;
        Array.Clear(_tlbArrays);
        Array.Clear(_tlbIoRead);
        Array.Clear(_tlbIoWrite);
        _tlbTablePages.Clear();
    }

    /// <summary>
    /// The inline load path past the untranslated one: true, with <paramref name="off"/> set to the RAM
    /// offset, when the read TLB maps <paramref name="va"/>'s page to RAM and an access of up to 8 bytes
    /// there stays in the page. A miss goes to <see cref="LoadSlow"/>, which fills the entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TlbLoadHit(ulong va, ref ulong off)
    {
        TlbEntry* e = _tlbRead + ((int)(va >> 12) & TlbMask);
        if (e->Key != ((va & ~0xfffUL) | _tlbLoadContext) || (va & 0xfff) > 0xff8) return false;
        off = va + e->Offset;
        return true;
    }

    /// <summary>
    /// As <see cref="TlbLoadHit"/> for stores. The caller writes RAM at <paramref name="off"/> and then
    /// calls <see cref="PhysicalMemory.NoteWrite"/>, as on the untranslated path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TlbStoreHit(ulong va, ref ulong off)
    {
        TlbEntry* e = _tlbWrite + ((int)(va >> 12) & TlbMask);
        if (e->Key != ((va & ~0xfffUL) | _tlbStoreContext) || (va & 0xfff) > 0xff8) return false;
        off = va + e->Offset;
        return true;
    }

    /// <summary>
    /// True when a write TLB entry (RAM or device) holds <paramref name="va"/>'s page in the current context:
    /// a walk for a write there would succeed, as the page tables have not changed since it was filled.
    /// </summary>
    private bool WriteTranslationCached(ulong va)
    {
        if (!TranslationOn(DataPrivilege)) return false;
        ulong key = (va & ~0xfffUL) | _tlbContext;
        return _tlbWrite[(int)(va >> 12) & TlbMask].Key == key || _tlbIoWrite[(int)(va >> 12) & IoTlbMask].Key == key;
    }

    /// <summary>
    /// Translation and PMP check for loads and stores, through the TLB when either applies. An entry
    /// is made only for a page that PMP treats alike throughout, so a hit needs no further check.
    /// </summary>
    private ExceptionCause? TranslateData(ulong va, int size, AccessKind kind, out ulong pa)
    {
        var priv = DataPrivilege;
        bool paging = TranslationOn(priv), pmp = PmpApplies(priv);
        if (!paging && !pmp)
        {
            pa = va;
            return null;
        }
        bool write = kind == AccessKind.Write;
        ulong key = (va & ~0xfffUL) | _tlbContext;
        bool inPage = ((va & 0xfff) + (ulong)size) <= 0x1000;
        TlbEntry* e = (write ? _tlbWrite : _tlbRead) + ((int)(va >> 12) & TlbMask);
        if (e->Key == key && inPage)
        {
            pa = va + e->Offset + _ramBase;
            return null;
        }
        ref TlbEntry io = ref (write ? _tlbIoWrite : _tlbIoRead)[(int)(va >> 12) & IoTlbMask];
        if (io.Key == key && inPage)
        {
            pa = va + io.Offset;
            return null;
        }
        if (paging)
        {
            Counters.Walks++;
            _walkPteCount = 0;
            var fault = Walk(va, kind, priv, out pa, updateAccessed: true);
            if (fault != null) return fault;
        }
        else
        {
            pa = va;
        }
        if (pmp)
        {
            if (!PmpAllows(pa, size, kind, priv)) return AccessFaultFor(kind);
            if (!PmpUniformOverPage(pa & ~0xfffUL)) return null;
        }
        if (!paging || WatchWalkedTables())
        {
            ulong paPage = pa & ~0xfffUL, vaPage = va & ~0xfffUL;
            _tlbFilled = true;
            if (_ram.Contains(paPage, PhysicalMemory.PageSize))
            {
                e->Key = key;
                e->Offset = paPage - _ramBase - vaPage;
            }
            else
            {
                io.Key = key;
                io.Offset = paPage - vaPage;
            }
        }
        return null;
    }

    /// <summary>
    /// The physical address of an instruction fetch at <paramref name="pc"/> (a page the hart enters), through
    /// the fetch TLB: a hit needs no walk and no PMP check. False means a fetch fault was raised.
    /// </summary>
    private bool TranslateFetch(ulong pc, out ulong pa)
    {
        ulong key = (pc & ~0xfffUL) | _tlbFetchContext;
        TlbEntry* e = _tlbFetch + ((int)(pc >> 12) & TlbMask);
        if (e->Key == key)
        {
            pa = pc + e->Offset + _ramBase;
            return true;
        }
        _walkPteCount = 0;
        Counters.Walks++;
        var fault = Translate(pc, AccessKind.Execute, out pa);
        if (fault != null)
        {
            RaiseException(fault.Value, pc);
            return false;
        }
        if (!PmpAllows(pa, 2, AccessKind.Execute, Privilege))
        {
            RaiseException(ExceptionCause.InstructionAccessFault, pc);
            return false;
        }
        ulong paPage = pa & ~0xfffUL;
        if (_ram.Contains(paPage, PhysicalMemory.PageSize)
            && (!PmpApplies(Privilege) || PmpUniformOverPage(paPage))
            && (!TranslationOn(Privilege) || WatchWalkedTables()))
        {
            _tlbFilled = true;
            e->Key = key;
            e->Offset = paPage - _ramBase - (pc & ~0xfffUL);
        }
        return true;
    }

    /// <summary>Watches the pages holding the PTEs the last walk read; false if one is outside RAM (not cacheable).</summary>
    private bool WatchWalkedTables()
    {
        int n = Math.Min(_walkPteCount, _walkPtes.Length);
        for (int i = 0; i < n; i++)
            if (!_ram.Contains(_walkPtes[i], 8)) return false;
        for (int i = 0; i < n; i++)
        {
            int page = (int)((_walkPtes[i] - _ramBase) >> PhysicalMemory.PageShift);
            _tlbTablePages.Add(page);
            _ram.WatchPage(page);
        }
        return true;
    }
}
