using Rewind.Core.Memory;

namespace Rewind.Riscv;

/// <summary>
/// A data TLB for paged loads and stores: direct-mapped, one array for reads and one for writes
/// (a write entry exists only once the walk has set D). It is invisible to the guest, which keeps
/// replay exact without snapshotting it: an entry is only kept while the page-table pages its walk
/// read are unchanged (they are watched in RAM, and any write to one flushes the TLB), and the key
/// carries everything else a walk depends on (privilege, SUM, MXR); satp writes and sfence.vma flush.
/// It also caches PMP's verdict for pages PMP treats uniformly; PMP writes flush it.
/// </summary>
public sealed unsafe partial class Hart
{
    private const int TlbBits = 8;
    private const int TlbMask = (1 << TlbBits) - 1;

    private struct TlbEntry
    {
        /// <summary>Page-aligned virtual address | context bits; 0 is never a valid key.</summary>
        public ulong Key;
        public ulong PhysPage;
    }

    private readonly TlbEntry[] _tlbRead = new TlbEntry[1 << TlbBits];
    private readonly TlbEntry[] _tlbWrite = new TlbEntry[1 << TlbBits];
    private readonly HashSet<int> _tlbTablePages = [];
    private readonly ulong[] _walkPtes = new ulong[4];
    private int _walkPteCount;
    /// <summary>Low bits of every key: valid, data privilege, SUM, MXR (recomputed with the fast-path limit).</summary>
    private ulong _tlbContext = 1;

    private void HookTlbToRam()
    {
        var previous = _ram.WatchedPageWritten;
        _ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            if (_tlbTablePages.Contains(page)) FlushTlb();
        };
    }

    private void UpdateTlbContext()
    {
        _tlbContext = 1
            | ((ulong)DataPrivilege << 1)
            | ((_mstatus & Riscv.Mstatus.Sum) != 0 ? 8UL : 0)
            | ((_mstatus & Riscv.Mstatus.Mxr) != 0 ? 16UL : 0);
    }

    /// <summary>Forgets every cached translation (satp write, sfence.vma, page table written, state restored).</summary>
    public void FlushTlb()
    {
        Array.Clear(_tlbRead);
        Array.Clear(_tlbWrite);
        _tlbTablePages.Clear();
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
        var tlb = kind == AccessKind.Write ? _tlbWrite : _tlbRead;
        ulong key = (va & ~0xfffUL) | _tlbContext;
        ref TlbEntry e = ref tlb[(int)(va >> 12) & TlbMask];
        if (e.Key == key && ((va & 0xfff) + (ulong)size) <= 0x1000)
        {
            pa = e.PhysPage | (va & 0xfff);
            return null;
        }
        if (paging)
        {
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
            e.Key = key;
            e.PhysPage = pa & ~0xfffUL;
        }
        return null;
    }

    /// <summary>Watches the pages holding the PTEs the last walk read; false if one is outside RAM (not cacheable).</summary>
    private bool WatchWalkedTables()
    {
        for (int i = 0; i < _walkPteCount; i++)
            if (!_ram.Contains(_walkPtes[i], 8)) return false;
        for (int i = 0; i < _walkPteCount; i++)
        {
            int page = (int)((_walkPtes[i] - _ramBase) >> PhysicalMemory.PageShift);
            _tlbTablePages.Add(page);
            _ram.WatchPage(page);
        }
        return true;
    }
}
