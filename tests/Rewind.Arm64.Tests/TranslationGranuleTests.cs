namespace Rewind.Arm64.Tests;

/// <summary>
/// Stage 1 translation with the 4, 16 and 64 KiB granules and 39-, 42- and 48-bit inputs, from tables
/// built here as a kernel builds them. The fault syndromes are the Arm ARM's and the ones QEMU gives:
/// guests/aarch64/mmu64k.c checks the same kinds of fault with 64 KiB pages on qemu-system-aarch64
/// (`make -C guests/aarch64 test-qemu`), and an end-to-end test runs it on Rewind.
/// </summary>
public class TranslationGranuleTests
{
    private const ulong Data = QemuProbe.Buffer; // 64 KiB aligned
    private const uint LoadX0 = 0xf9400020; // ldr x0, [x1]

    /// <summary>A rig running <paramref name="program"/> with its code identity-mapped by the given granule.</summary>
    private static (CpuRig Rig, TranslationTables Tables) Mapped(int granuleShift, int vaBits, params uint[] program)
    {
        var rig = new CpuRig(program);
        var tables = new TranslationTables(rig, granuleShift, vaBits);
        for (ulong off = 0; off < 0x10000; off += 1UL << granuleShift) tables.Map(CpuRig.Ram + off, CpuRig.Ram + off);
        return (rig, tables);
    }

    [Theory]
    [InlineData(12, 39)]
    [InlineData(12, 48)]
    [InlineData(14, 39)]
    [InlineData(14, 42)]
    [InlineData(14, 48)]
    [InlineData(16, 39)]
    [InlineData(16, 42)]
    [InlineData(16, 48)]
    public void A_page_of_the_granule_maps_its_whole_size_and_its_neighbour_faults_at_level_3(int granuleShift, int vaBits)
    {
        ulong page = 1UL << granuleShift;
        ulong va = (1UL << (vaBits - 1)) + 5 * page; // the top half of the range: every level's index is used
        var (rig, tables) = Mapped(granuleShift, vaBits, LoadX0, LoadX0);
        tables.Map(va, Data);
        tables.Map(va + 2 * page, Data); // the neighbour's last-level table exists, its entry is invalid
        tables.Enable();
        rig.Bus.TryWrite(Data + page - 8, 8, 0x1122_3344_5566_7788);
        rig.Cpu.SetX(1, va + page - 8);
        rig.Step();
        Assert.Equal(0x1122_3344_5566_7788UL, rig.Cpu.GetX(0));
        rig.Cpu.SetX(1, va + page + 16);
        rig.Step();
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(0x9600_0007UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr)); // translation fault, level 3
        Assert.Equal(va + page + 16, rig.SystemRegister(Arm64Cpu.SysReg.Far));
    }

    [Theory]
    [InlineData(12, 39, 1)]
    [InlineData(12, 48, 0)]
    [InlineData(14, 42, 1)]
    [InlineData(14, 48, 0)]
    [InlineData(16, 39, 2)]
    [InlineData(16, 42, 2)]
    [InlineData(16, 48, 1)]
    public void An_invalid_first_level_entry_faults_at_the_level_the_walk_starts(int granuleShift, int vaBits, int startLevel)
    {
        var (rig, tables) = Mapped(granuleShift, vaBits, LoadX0);
        Assert.Equal(startLevel, tables.StartLevel);
        tables.Enable();
        rig.Cpu.SetX(1, (1UL << vaBits) - 8); // the last entry of the first table: nothing there
        rig.Step();
        Assert.Equal(0x9600_0004UL + (ulong)startLevel, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        Assert.Equal((1UL << vaBits) - 8, rig.SystemRegister(Arm64Cpu.SysReg.Far));
    }

    [Theory]
    [InlineData(16, 39)]
    [InlineData(12, 48)]
    public void An_address_beyond_t0sz_faults_at_level_0(int granuleShift, int vaBits)
    {
        var (rig, tables) = Mapped(granuleShift, vaBits, LoadX0);
        tables.Enable();
        rig.Cpu.SetX(1, 1UL << vaBits);
        rig.Step();
        Assert.Equal(0x9600_0004UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
    }

    [Fact]
    public void Store_to_a_read_only_64k_page_is_a_level_3_permission_fault_and_af_clear_an_access_flag_fault()
    {
        const ulong va = 0x1234_0000;
        var (rig, tables) = Mapped(16, 42, 0xf9000022, LoadX0); // str x2, [x1]; ldr x0, [x1]
        tables.Map(va, Data, TranslationTables.ReadOnly);
        tables.Enable();
        rig.Cpu.SetX(1, va + 0xff00);
        rig.Cpu.SetX(2, 7);
        rig.Step();
        Assert.Equal(0x9600_004fUL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        Assert.Equal(0UL, rig.Read64(Data + 0xff00));
        rig.Bus.TryWrite(tables.LeafAddress(va), 8, Data | 3); // AF clear
        rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Ttbr0, tables.Root); // a TTBR write flushes the TLB
        rig.Cpu.Pc = CpuRig.Ram + 4;
        rig.Step();
        Assert.Equal(0x9600_000bUL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
    }

    [Fact]
    public void Store_to_a_read_only_64k_granule_block_is_a_permission_fault_at_the_blocks_level()
    {
        // A 512 MiB block at level 2 (39-bit VAs start there), read-only: the fault names level 2, as
        // on qemu-system-aarch64 (guests/aarch64/mmu64k.c checks the same).
        const ulong va = 0x8000_0000;
        var (rig, tables) = Mapped(16, 39, 0xf9000022, 0xf9000022); // str x2, [x1] twice (the second from the TLB)
        rig.Bus.TryWrite(tables.Root + 8 * 4, 8, CpuRig.Ram | 1 | TranslationTables.AccessFlag | TranslationTables.ReadOnly);
        tables.Enable();
        rig.Cpu.SetX(1, va + 0x12_3450);
        for (int i = 0; i < 2; i++)
        {
            rig.Cpu.Pc = CpuRig.Ram + 4 * (ulong)i;
            rig.Step();
            Assert.Equal(0x9600_004eUL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
            Assert.Equal(va + 0x12_3450, rig.SystemRegister(Arm64Cpu.SysReg.Far));
        }
    }

    [Fact]
    public void Tlbi_vae1_makes_a_changed_64k_descriptor_take_effect()
    {
        const ulong va = 0x2000_0000;
        // ldr x0, [x1]; tlbi vae1, x3; ldr x4, [x1]
        var (rig, tables) = Mapped(16, 39, LoadX0, 0xd5088723, 0xf9400024);
        tables.Map(va, Data);
        tables.Enable();
        rig.Bus.TryWrite(Data + 0x8000, 8, 1);
        rig.Bus.TryWrite(Data + 0x1_8000, 8, 2);
        rig.Cpu.SetX(1, va + 0x8000);
        rig.Cpu.SetX(3, va >> 12);
        rig.Step();
        rig.Bus.TryWrite(tables.LeafAddress(va), 8, (Data + 0x1_0000) | 3 | TranslationTables.AccessFlag);
        rig.Step(2);
        Assert.Equal((1UL, 2UL), (rig.Cpu.GetX(0), rig.Cpu.GetX(4)));
    }

    [Theory]
    [InlineData(16, 3UL)]
    [InlineData(14, 1UL)]
    [InlineData(12, 2UL)]
    public void Ttbr1_walks_with_its_own_granule_from_tg1(int granuleShift, ulong tg1)
    {
        const int vaBits = 42;
        ulong va = ulong.MaxValue - (1UL << vaBits) + 1 + 0x30_0000; // near the bottom of the high range
        var (rig, low) = Mapped(12, 39, LoadX0);
        var high = new TranslationTables(rig, granuleShift, vaBits, tablesBelow: CpuRig.Ram + 0xc_0000);
        high.Map(va, Data);
        rig.Bus.TryWrite(Data + 0x10, 8, 0xfeed);
        Assert.True(rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Ttbr1, high.Root));
        // T1SZ and TG1 for the high half, the low half 4 KiB with 39 bits; EPD1 clear.
        low.Enable(extraTcr: (ulong)(64 - vaBits) << 16 | tg1 << 30, upperWalks: true);
        rig.Cpu.SetX(1, va + 0x10);
        rig.Step();
        Assert.Equal(0xfeedUL, rig.Cpu.GetX(0));
    }

    [Fact]
    public void A_16k_granule_on_a_cortex_model_without_it_walks_as_4k()
    {
        var rig = CpuRig.ForModel(ArmCpuModel.CortexA57, LoadX0);
        var tables = new TranslationTables(rig, 12, 39);
        tables.Map(CpuRig.Ram, CpuRig.Ram);
        tables.Map(0x5000, Data);
        rig.Bus.TryWrite(Data + 8, 8, 0xabc);
        tables.Enable(extraTcr: 2UL << 14); // TG0 = 10: 16 KiB, which the A57 lacks
        rig.Cpu.SetX(1, 0x5008);
        rig.Step();
        Assert.Equal(0xabcUL, rig.Cpu.GetX(0));
    }

    [Theory]
    [InlineData(ArmCpuModel.Max, 0UL, 1UL, 0UL)]
    [InlineData(ArmCpuModel.CortexA57, 0UL, 0UL, 0UL)]
    [InlineData(ArmCpuModel.CortexA53, 0UL, 0UL, 0UL)]
    [InlineData(ArmCpuModel.CortexA72, 0UL, 0UL, 0UL)]
    public void Id_aa64mmfr0_reports_the_granules_of_qemus_model(ArmCpuModel model, ulong tgran4, ulong tgran16, ulong tgran64)
    {
        ulong mmfr0 = CpuRig.ForModel(model, LoadX0).SystemRegister(Arm64Cpu.SysReg.Mmfr0);
        Assert.Equal((tgran4, tgran16, tgran64), ((mmfr0 >> 28) & 15, (mmfr0 >> 20) & 15, (mmfr0 >> 24) & 15));
    }
}
