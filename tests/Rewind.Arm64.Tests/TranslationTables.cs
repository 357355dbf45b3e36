namespace Rewind.Arm64.Tests;

/// <summary>
/// Builds stage 1 translation tables in a rig's RAM, as a guest kernel would: any granule (4, 16 or
/// 64 KiB) and input size, tables allocated downwards from the top of RAM, last-level page descriptors.
/// Descriptor formats and level arithmetic are the Arm ARM's (VMSAv8-64).
/// </summary>
internal sealed class TranslationTables
{
    public const ulong AccessFlag = 1UL << 10, ReadOnly = 1UL << 7, El0 = 1UL << 6, Pxn = 1UL << 53, Uxn = 1UL << 54;

    private readonly CpuRig _rig;
    private readonly int _granuleShift, _vaBits;
    private ulong _next;

    public TranslationTables(CpuRig rig, int granuleShift, int vaBits, ulong tablesBelow = CpuRig.Ram + (1UL << 20))
    {
        _rig = rig;
        _granuleShift = granuleShift;
        _vaBits = vaBits;
        _next = tablesBelow;
        Root = NewTable();
    }

    public ulong Root { get; }

    /// <summary>The level the walk starts at: each level resolves granuleShift - 3 bits above the page offset.</summary>
    public int StartLevel => 4 - (_vaBits - _granuleShift + _granuleShift - 4) / (_granuleShift - 3);

    private ulong NewTable()
    {
        _next -= 1UL << _granuleShift;
        ulong table = _next;
        for (ulong i = 0; i < 1UL << _granuleShift; i += 8) _rig.Bus.TryWrite(table + i, 8, 0);
        return table;
    }

    /// <summary>Maps one page of the granule's size at <paramref name="va"/> to <paramref name="pa"/> with AF set.</summary>
    public void Map(ulong va, ulong pa, ulong attributes = 0)
    {
        ulong table = Root;
        for (int level = StartLevel; level < 3; level++)
        {
            ulong slot = table + 8 * Index(va, level);
            _rig.Bus.TryRead(slot, 8, out ulong desc);
            if ((desc & 3) != 3)
            {
                desc = NewTable() | 3;
                _rig.Bus.TryWrite(slot, 8, desc);
            }
            table = desc & 0x0000_ffff_ffff_f000UL & ~((1UL << _granuleShift) - 1);
        }
        _rig.Bus.TryWrite(table + 8 * Index(va, 3), 8, pa | 3 | AccessFlag | attributes);
    }

    /// <summary>Clears the last-level descriptor of <paramref name="va"/> (the tables above stay).</summary>
    public void Unmap(ulong va) => _rig.Bus.TryWrite(LeafAddress(va), 8, 0);

    public ulong LeafAddress(ulong va)
    {
        ulong table = Root;
        for (int level = StartLevel; level < 3; level++)
        {
            _rig.Bus.TryRead(table + 8 * Index(va, level), 8, out ulong desc);
            table = desc & 0x0000_ffff_ffff_f000UL & ~((1UL << _granuleShift) - 1);
        }
        return table + 8 * Index(va, 3);
    }

    private ulong Index(ulong va, int level)
    {
        int shift = _granuleShift + (_granuleShift - 3) * (3 - level);
        int bits = Math.Min(_granuleShift - 3, _vaBits - shift);
        return (va >> shift) & ((1UL << bits) - 1);
    }

    /// <summary>TCR_EL1 for TTBR0 walks with this granule and input size (TG0: 0 = 4K, 1 = 64K, 2 = 16K), TTBR1 walks disabled.</summary>
    public ulong Tcr => (ulong)(uint)(64 - _vaBits) | (_granuleShift switch { 12 => 0UL, 16 => 1UL, _ => 2UL }) << 14 | 1UL << 23;

    /// <summary>Loads TTBR0_EL1, TCR_EL1 (with <paramref name="extraTcr"/> or'ed in), and turns on the MMU.</summary>
    public void Enable(ulong extraTcr = 0, bool upperWalks = false)
    {
        Assert.True(_rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Ttbr0, Root));
        ulong tcr = (Tcr | extraTcr) & ~(upperWalks ? 1UL << 23 : 0);
        if ((extraTcr & (3UL << 14)) != 0) tcr = (tcr & ~(3UL << 14)) | (extraTcr & (3UL << 14));
        Assert.True(_rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Tcr, tcr));
        Assert.True(_rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Sctlr, 0x30d0_0801));
    }
}
