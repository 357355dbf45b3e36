namespace Rewind.Riscv;

/// <summary>
/// Physical memory protection, enforced as QEMU 7.2 does with 16 entries and 4-byte granularity:
/// the first entry matching an access decides; an access only partly inside an entry fails; with no
/// match M-mode succeeds and S/U-mode fail; locked entries bind M-mode too. Data accesses are checked
/// exactly; an instruction fetch is checked where it enters a page (entries smaller than a page that
/// split a code page are not enforced for the rest of it).
/// </summary>
public sealed partial class Hart
{
    private const int PmpOff = 0, PmpTor = 1, PmpNa4 = 2, PmpNapot = 3;
    private bool _pmpAnyLocked;

    /// <summary>Whether accesses at <paramref name="priv"/> must be checked at all.</summary>
    private bool PmpApplies(PrivilegeLevel priv) => priv != PrivilegeLevel.Machine || _pmpAnyLocked;

    private byte PmpCfg(int entry) => (byte)(_pmpcfg[entry >> 3] >> (8 * (entry & 7)));

    /// <summary>pmpcfg or pmpaddr changed: cached permissions (fast path, TLB) are stale.</summary>
    private void PmpChanged()
    {
        RecomputePmp();
        FlushTlb();
        InvalidateTranslation();
    }

    /// <summary>Derived from pmpcfg: call after anything replaces it (reset, restore).</summary>
    private void RecomputePmp()
    {
        _pmpAnyLocked = false;
        for (int i = 0; i < PmpEntries; i++) _pmpAnyLocked |= (PmpCfg(i) & 0x80) != 0;
    }

    /// <summary>A locked entry's address is fixed, and so is the one below a locked TOR entry.</summary>
    private bool PmpaddrLocked(int i) =>
        (PmpCfg(i) & 0x80) != 0
        || (i + 1 < PmpEntries && (PmpCfg(i + 1) & 0x80) != 0 && ((PmpCfg(i + 1) >> 3) & 3) == PmpTor);

    /// <summary>The bytes [lo, hi) entry <paramref name="i"/> covers, or false if it is off.</summary>
    private bool PmpRange(int i, out ulong lo, out ulong hi)
    {
        lo = hi = 0;
        int mode = (PmpCfg(i) >> 3) & 3;
        ulong addr = _pmpaddr[i];
        switch (mode)
        {
            case PmpTor:
                lo = i == 0 ? 0 : _pmpaddr[i - 1] << 2;
                hi = addr << 2;
                return lo < hi;
            case PmpNa4:
                lo = addr << 2;
                hi = lo + 4;
                return true;
            case PmpNapot:
                {
                    int ones = System.Numerics.BitOperations.TrailingZeroCount(~addr);
                    lo = (addr & ~((1UL << ones) - 1)) << 2;
                    hi = lo + (1UL << (ones + 3));
                    return true;
                }
            default:
                return false;
        }
    }

    private static bool PmpPermits(byte cfg, AccessKind kind, PrivilegeLevel priv)
    {
        if (priv == PrivilegeLevel.Machine && (cfg & 0x80) == 0) return true;
        return kind switch
        {
            AccessKind.Read => (cfg & 1) != 0,
            AccessKind.Write => (cfg & 2) != 0,
            _ => (cfg & 4) != 0,
        };
    }

    /// <summary>Whether an access of <paramref name="size"/> bytes at physical <paramref name="pa"/> is allowed.</summary>
    private bool PmpAllows(ulong pa, int size, AccessKind kind, PrivilegeLevel priv)
    {
        if (!PmpApplies(priv)) return true;
        ulong last = pa + (ulong)size - 1;
        for (int i = 0; i < PmpEntries; i++)
        {
            if (!PmpRange(i, out ulong lo, out ulong hi)) continue;
            bool first = pa >= lo && pa < hi, end = last >= lo && last < hi;
            if (!first && !end) continue;
            return first && end && PmpPermits(PmpCfg(i), kind, priv);
        }
        return priv == PrivilegeLevel.Machine;
    }

    /// <summary>True when every byte of the 4 KiB page at <paramref name="page"/> gets the same answer, so it may be cached.</summary>
    private bool PmpUniformOverPage(ulong page)
    {
        ulong end = page + 4096;
        for (int i = 0; i < PmpEntries; i++)
        {
            if (!PmpRange(i, out ulong lo, out ulong hi)) continue;
            if (hi <= page || lo >= end) continue;
            return lo <= page && hi >= end;
        }
        return true;
    }
}
