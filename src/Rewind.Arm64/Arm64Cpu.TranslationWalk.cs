namespace Rewind.Arm64;

/// <summary>
/// The stage 1 table walk of the EL1&amp;0 regime (VMSAv8-64): TTBR0_EL1 for the low half, TTBR1_EL1 for
/// the high half, each with its own granule (TCR_EL1.TG0/TG1: 4, 16 or 64 KiB) and input size
/// (T0SZ/T1SZ, 25 to 48 bits), so 39-, 42- and 48-bit VAs with any granule the CPU model offers. Each
/// level resolves granule - 3 bits; the walk starts at the level that leaves the fewest bits for the
/// first table, which is aligned to its own size. Blocks map at levels 0 to 2, pages at level 3. There is no hardware access-flag update (an access with AF clear faults, as QEMU
/// without FEAT_HAFDBS) and no 52-bit addressing (FEAT_LPA/LPA2/LVA).
/// </summary>
public sealed partial class Arm64Cpu
{
    /// <summary>FEAT_TGran16K: QEMU's -cpu max has the 16 KiB granule; its Cortex-A53/A57/A72 do not.</summary>
    private bool Has16KGranule => Model == ArmCpuModel.Max;

    /// <summary>
    /// log2 of the granule TG0 (or TG1) selects. A reserved or unimplemented choice behaves as a granule
    /// the CPU has (the Arm ARM leaves which to the implementation): 4 KiB, the smallest, as QEMU picks.
    /// </summary>
    private int GranuleShift(bool upper)
    {
        ulong tg = upper ? (_tcr >> 30) & 3 : (_tcr >> 14) & 3;
        int shift = upper
            ? tg switch { 1 => 14, 2 => 12, 3 => 16, _ => 12 }
            : tg switch { 0 => 12, 1 => 16, 2 => 14, _ => 12 };
        return shift == 14 && !Has16KGranule ? 12 : shift;
    }

    /// <summary>Walks the tables for <paramref name="va"/>; Fault is a fault status code (0: none).</summary>
    internal WalkResult Walk(ulong va)
    {
        bool upper = (va >> 63) != 0;
        int tsz = (int)(upper ? (_tcr >> 16) & 63 : _tcr & 63);
        bool disabled = upper ? (_tcr & (1UL << 23)) != 0 : (_tcr & (1UL << 7)) != 0;
        if (tsz < 16) tsz = 16;
        if (tsz > 39) tsz = 39;
        int inputBits = 64 - tsz;
        // The bits above the input size must all equal bit 63 (all ones for TTBR1, zeros for TTBR0).
        ulong top = inputBits == 64 ? 0 : va >> inputBits;
        ulong expect = upper ? (inputBits == 64 ? 0 : ulong.MaxValue >> inputBits) : 0;
        if (disabled || top != expect) return new WalkResult(0, 0, 0x04);
        int granule = GranuleShift(upper), stride = granule - 3;
        int startLevel = 4 - (inputBits - granule + stride - 1) / stride, level = startLevel;
        int firstBits = inputBits - granule - stride * (3 - level);
        ulong table = (upper ? _ttbr1 : _ttbr0) & 0x0000_ffff_ffff_fffeUL & ~((8UL << firstBits) - 1);
        ulong tableMask = 0x0000_ffff_ffff_ffffUL & ~((1UL << granule) - 1);
        bool apTableNoEl0 = false, apTableReadOnly = false, xnTable = false, pxnTable = false;
        while (true)
        {
            int shift = granule + stride * (3 - level);
            int bits = level == startLevel ? firstBits : stride;
            ulong index = (va >> shift) & ((1UL << bits) - 1);
            if (!_bus.TryRead(table + index * 8, 8, out ulong desc)) return new WalkResult(0, 0, 0x14 + (uint)level);
            ulong type = desc & 3;
            // Invalid, or the reserved level 3 encoding. A block at a level the Arm ARM reserves (level 0,
            // level 1 above 4 KiB) maps as QEMU 7.2 maps it, as a block of that level's size.
            if ((type & 1) == 0 || (level == 3 && type != 3))
                return new WalkResult(0, 0, 0x04 + (uint)level);
            if (level < 3 && type == 3)
            {
                apTableNoEl0 |= (desc & (1UL << 61)) != 0;
                apTableReadOnly |= (desc & (1UL << 62)) != 0;
                xnTable |= (desc & (1UL << 60)) != 0;
                pxnTable |= (desc & (1UL << 59)) != 0;
                table = desc & tableMask;
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
            return new WalkResult(pa, perm, 0, level);
        }
    }
}
