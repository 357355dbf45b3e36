using Rewind.Arm64;

namespace Rewind.Arm64.Tests;

/// <summary>
/// The GICv3 CPU interface's system registers: MRS and MSR of ICC_* reach the board's GIC through
/// <see cref="IArmGicCpuInterface"/> with the CPU's index; without one they are undefined, and
/// ID_AA64PFR0_EL1.GIC says which.
/// </summary>
public sealed class GicSystemRegisterTests
{
    private sealed class RecordingGic : IArmGicCpuInterface
    {
        public readonly List<string> Calls = [];

        public bool TryReadIcc(int cpu, int key, out ulong value)
        {
            Calls.Add($"read cpu{cpu} {key:x}");
            value = 0x1b;
            return key != Arm64Cpu.SysReg.IccSgi1r; // write-only
        }

        public bool TryWriteIcc(int cpu, int key, ulong value)
        {
            Calls.Add($"write cpu{cpu} {key:x} {value:x}");
            return true;
        }
    }

    private static uint Mrs(int key, int rt) => 0xd520_0000u | (uint)key << 5 | (uint)rt;
    private static uint Msr(int key, int rt) => 0xd500_0000u | (uint)key << 5 | (uint)rt;

    [Fact]
    public void Icc_registers_are_the_gics_and_carry_the_cpu_index()
    {
        var rig = new CpuRig(Mrs(Arm64Cpu.SysReg.IccIar1, 0), Msr(Arm64Cpu.SysReg.IccEoir1, 0), Msr(Arm64Cpu.SysReg.IccSgi1r, 1));
        var gic = new RecordingGic();
        rig.Cpu.Gic = gic;
        rig.Cpu.SetX(1, 0x0100_0002);
        rig.Step(3);
        Assert.Equal(CpuRig.Ram + 12, rig.Cpu.Pc);
        Assert.Equal(0x1bUL, rig.Cpu.GetX(0));
        Assert.Equal(
            [$"read cpu0 {Arm64Cpu.SysReg.IccIar1:x}", $"write cpu0 {Arm64Cpu.SysReg.IccEoir1:x} 1b", $"write cpu0 {Arm64Cpu.SysReg.IccSgi1r:x} 1000002"],
            gic.Calls);
    }

    [Fact]
    public void Icc_pmr_and_the_crn_12_block_are_gic_registers_and_the_vbar_beside_them_is_not()
    {
        Assert.True(Arm64Cpu.IsGicSystemRegister(Arm64Cpu.SysReg.IccPmr));
        Assert.True(Arm64Cpu.IsGicSystemRegister(Arm64Cpu.SysReg.IccSre));
        Assert.True(Arm64Cpu.IsGicSystemRegister(Arm64Cpu.SysReg.IccAp1r0));
        Assert.False(Arm64Cpu.IsGicSystemRegister(Arm64Cpu.SysReg.Vbar));
        Assert.False(Arm64Cpu.IsGicSystemRegister(Arm64Cpu.SysReg.Isr));
    }

    [Fact]
    public void Without_a_gic_icc_registers_are_undefined_and_pfr0_has_no_gic()
    {
        var rig = new CpuRig(Mrs(Arm64Cpu.SysReg.IccSre, 0));
        Assert.False(rig.Cpu.TryReadSystemRegister(Arm64Cpu.SysReg.IccSre, out _));
        Assert.False(rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.IccPmr, 0xf0));
        Assert.Equal(0UL, rig.SystemRegister(Arm64Cpu.SysReg.Pfr0) >> 24 & 0xf);
        rig.Step();
        // An undefined instruction: the synchronous exception vector at VBAR_EL1 + 0x200, EC 0.
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(0UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr) >> 26);
    }

    [Fact]
    public void With_a_gic_pfr0_says_gic_system_registers_are_implemented()
    {
        var rig = new CpuRig();
        rig.Cpu.Gic = new RecordingGic();
        Assert.Equal(1UL, rig.SystemRegister(Arm64Cpu.SysReg.Pfr0) >> 24 & 0xf);
        Assert.Equal(0x11UL, rig.SystemRegister(Arm64Cpu.SysReg.Pfr0) & 0xff);
    }

    [Fact]
    public void A_write_only_icc_register_read_is_undefined()
    {
        var rig = new CpuRig();
        rig.Cpu.Gic = new RecordingGic();
        Assert.False(rig.Cpu.TryReadSystemRegister(Arm64Cpu.SysReg.IccSgi1r, out _));
    }
}
