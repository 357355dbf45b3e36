namespace Rewind.Arm64;

/// <summary>
/// Stage 1 translation of the EL1&amp;0 regime with the 4 KiB granule (TTBR0 for the low half, TTBR1 for
/// the high half, 39- to 48-bit input sizes), no hardware access-flag update (an access with AF clear
/// faults, as QEMU without FEAT_HAFDBS), and a small direct-mapped TLB that TLBI and register writes flush.
/// </summary>
public sealed partial class Arm64Cpu
{
    private const int TlbSize = 256;
    private const ulong NoTag = ulong.MaxValue;
    private readonly ulong[] _tlbTag = new ulong[TlbSize];
    private readonly ulong[] _tlbPage = new ulong[TlbSize];
    // Per entry: bit 0 EL1 read, 1 EL1 write, 2 EL1 execute, 3 EL0 read, 4 EL0 write, 5 EL0 execute.
    private readonly byte[] _tlbPerm = new byte[TlbSize];

    internal readonly record struct WalkResult(ulong Pa, byte Perm, uint Fault);

    public void FlushTlb()
    {
        Array.Fill(_tlbTag, NoTag);
        FlushDataTlb();
    }

    private ulong TranslateWithTlb(ulong va, Access access, int el)
    {
        ulong vpn = va >> 12;
        int slot = (int)(vpn & (TlbSize - 1));
        byte perm;
        ulong page;
        if (_tlbTag[slot] == vpn)
        {
            perm = _tlbPerm[slot];
            page = _tlbPage[slot];
        }
        else
        {
            var r = Walk(va);
            if (r.Fault != 0) throw Abort(access, r.Fault, va);
            _tlbTag[slot] = vpn;
            _tlbPage[slot] = page = r.Pa & ~0xfffUL;
            _tlbPerm[slot] = perm = r.Perm;
        }
        int bit = (access == Access.Read ? 0 : access == Access.Write ? 1 : 2) + (el == 0 ? 3 : 0);
        if ((perm & (1 << bit)) == 0)
        {
            // Permission fault, reported at level 3 (the walk's level is not kept in the TLB).
            throw Abort(access, 0x0f, va);
        }
        return page | (va & 0xfff);
    }

    private static ArmFault Abort(Access access, uint fsc, ulong va) => access == Access.Fetch
        ? ArmFault.Exception(ExceptionClass.InstructionAbort, fsc, va)
        : ArmFault.Exception(ExceptionClass.DataAbort, fsc | (access == Access.Write ? 1u << 6 : 0), va);

    /// <summary>Walks the tables for <paramref name="va"/>; Fault is a fault status code (0: none).</summary>
    internal WalkResult Walk(ulong va)
    {
        bool upper = (va >> 63) != 0;
        int tsz = (int)(upper ? (_tcr >> 16) & 63 : _tcr & 63);
        bool disabled = upper ? (_tcr & (1UL << 23)) != 0 : (_tcr & (1UL << 7)) != 0;
        ulong tg = upper ? (_tcr >> 30) & 3 : (_tcr >> 14) & 3;
        bool fourK = upper ? tg == 2 : tg == 0;
        if (tsz < 16) tsz = 16;
        if (tsz > 39) tsz = 39;
        int inputBits = 64 - tsz;
        // The bits above the input size must all equal bit 63 (all ones for TTBR1, zeros for TTBR0).
        ulong top = inputBits == 64 ? 0 : va >> inputBits;
        ulong expect = upper ? (inputBits == 64 ? 0 : ulong.MaxValue >> inputBits) : 0;
        if (disabled || !fourK || top != expect) return new WalkResult(0, 0, 0x04);
        int level = 4 - (inputBits - 12 + 8) / 9;
        ulong table = (upper ? _ttbr1 : _ttbr0) & 0x0000_ffff_ffff_fffeUL;
        bool apTableNoEl0 = false, apTableReadOnly = false, xnTable = false, pxnTable = false;
        while (true)
        {
            int shift = 12 + 9 * (3 - level);
            ulong index = (va >> shift) & 0x1ff;
            ulong descAddr = (table & ~0xfffUL) + index * 8;
            if (!_bus.TryRead(descAddr, 8, out ulong desc)) return new WalkResult(0, 0, 0x14 + (uint)level);
            ulong type = desc & 3;
            if ((type & 1) == 0 || (level == 3 && type != 3) || (level == 0 && type == 1))
                return new WalkResult(0, 0, 0x04 + (uint)level);
            if (level < 3 && type == 3)
            {
                apTableNoEl0 |= (desc & (1UL << 61)) != 0;
                apTableReadOnly |= (desc & (1UL << 62)) != 0;
                xnTable |= (desc & (1UL << 60)) != 0;
                pxnTable |= (desc & (1UL << 59)) != 0;
                table = desc & 0x0000_ffff_ffff_f000UL;
                level++;
                continue;
            }
            if ((desc & (1UL << 10)) == 0) return new WalkResult(0, 0, 0x08 + (uint)level);
            ulong mask = (1UL << shift) - 1;
            ulong pa = (desc & 0x0000_ffff_ffff_f000UL & ~mask) | (va & mask);
            ulong ap = (desc >> 6) & 3;
            bool readOnly = (ap & 2) != 0 || apTableReadOnly;
            bool el0 = (ap & 1) != 0 && !apTableNoEl0;
            bool uxn = (desc & (1UL << 54)) != 0 || xnTable;
            bool pxn = (desc & (1UL << 53)) != 0 || pxnTable;
            // A page EL0 may write is never executable at EL1 (WXN aside, as the architecture requires).
            bool el0Writable = el0 && !readOnly;
            bool wxn = (_sctlr & (1UL << 19)) != 0;
            byte perm = 1;
            if (!readOnly) perm |= 2;
            if (!pxn && !el0Writable && !(wxn && !readOnly)) perm |= 4;
            if (el0) perm |= 8;
            if (el0 && !readOnly) perm |= 16;
            if (el0 && !uxn && !(wxn && !readOnly)) perm |= 32;
            return new WalkResult(pa, perm, 0);
        }
    }
}
