using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>mcycle/minstret with mcountinhibit, and the Sstc CSRs (stimecmp, menvcfg.STCE).</summary>
public class CounterTests
{
    private const ulong Base = HartRig.RamBase;
    private const ulong Stce = 1UL << 63;

    private static HartRig Nops(int n)
    {
        var rig = new HartRig();
        rig.Program(Enumerable.Repeat(Nop, n).ToArray());
        return rig;
    }

    [Fact]
    public void Mcountinhibit_CY_freezes_mcycle_and_clearing_it_resumes_counting_from_the_frozen_value()
    {
        var rig = Nops(32);
        rig.SetCsr(Csr.Mcycle, 1000);
        rig.Step(3);
        Assert.Equal(1003UL, rig.Csr(Csr.Mcycle));
        rig.SetCsr(Csr.Mcountinhibit, 1);
        rig.Step(5);
        Assert.Equal(1003UL, rig.Csr(Csr.Mcycle));
        Assert.Equal(8UL, rig.Csr(Csr.Minstret)); // IR not inhibited
        rig.SetCsr(Csr.Mcycle, 50); // a write while frozen sets the frozen value
        rig.Step(2);
        Assert.Equal(50UL, rig.Csr(Csr.Mcycle));
        rig.SetCsr(Csr.Mcountinhibit, 0);
        rig.Step(4);
        Assert.Equal(54UL, rig.Csr(Csr.Mcycle));
    }

    [Fact]
    public void Mcountinhibit_IR_freezes_minstret_and_instret_and_bit_1_is_read_only_zero()
    {
        var rig = Nops(32);
        rig.Step(2);
        rig.SetCsr(Csr.Mcountinhibit, 0b111);
        Assert.Equal(0b101UL, rig.Csr(Csr.Mcountinhibit));
        rig.Step(6);
        Assert.Equal(2UL, rig.Csr(Csr.Minstret));
        Assert.Equal(2UL, rig.Csr(Csr.Instret));
        Assert.Equal(2UL, rig.Csr(Csr.Cycle));
    }

    [Fact]
    public void Menvcfg_keeps_STCE_and_FIOM_only()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Menvcfg, ulong.MaxValue);
        Assert.Equal(Stce | 1, rig.Csr(Csr.Menvcfg));
        Assert.True(rig.Hart.SstcEnabled);
    }

    [Fact]
    public void Writing_stimecmp_or_menvcfg_tells_the_supervisor_timer()
    {
        var rig = new HartRig();
        int calls = 0;
        rig.Hart.SupervisorTimerChanged = () => calls++;
        rig.SetCsr(Csr.Stimecmp, 12345);
        rig.SetCsr(Csr.Menvcfg, Stce);
        Assert.Equal(2, calls);
        Assert.Equal(12345UL, rig.Hart.Stimecmp);
    }

    /// <summary>Puts the hart in S-mode at Base + 0x40 with traps to M-mode at Base + 0x800.</summary>
    private static HartRig EnterSupervisor(ulong mcounteren, ulong menvcfg, uint insn)
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Mtvec, Base + 0x800);
        rig.SetCsr(Csr.Mepc, Base + 0x40);
        rig.SetCsr(Csr.Mcounteren, mcounteren);
        rig.SetCsr(Csr.Menvcfg, menvcfg);
        rig.SetCsr(Csr.Mstatus, (rig.Csr(Csr.Mstatus) & ~Mstatus.Mpp) | (1UL << Mstatus.MppShift));
        rig.Program(Mret);
        rig.Load(Base + 0x40, insn);
        rig.Step();
        Assert.Equal(PrivilegeLevel.Supervisor, rig.Hart.Privilege);
        return rig;
    }

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(2UL, 0UL)]      // TM without STCE
    [InlineData(0UL, Stce)]     // STCE without TM
    public void Stimecmp_from_S_mode_needs_mcounteren_TM_and_menvcfg_STCE(ulong mcounteren, ulong menvcfg)
    {
        var rig = EnterSupervisor(mcounteren, menvcfg, Csrr(A0, Csr.Stimecmp));
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Csr(Csr.Mcause));
        Assert.Equal(PrivilegeLevel.Machine, rig.Hart.Privilege);
    }

    [Fact]
    public void Stimecmp_from_S_mode_with_TM_and_STCE_reads_and_writes()
    {
        var rig = EnterSupervisor(2, Stce, Csrrw(A0, Csr.Stimecmp, A1));
        rig.SetCsr(Csr.Stimecmp, 7);
        rig.Hart.SetX(A1, 99);
        rig.Step();
        Assert.Equal(PrivilegeLevel.Supervisor, rig.Hart.Privilege);
        Assert.Equal(7UL, rig.X(A0));
        Assert.Equal(99UL, rig.Hart.Stimecmp);
    }

    [Fact]
    public void With_STCE_set_mip_STIP_is_not_writable_by_software()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Mip, 1UL << Irq.Sti);
        Assert.Equal(1UL << Irq.Sti, rig.Csr(Csr.Mip));
        rig.SetCsr(Csr.Mip, 0);
        rig.SetCsr(Csr.Menvcfg, Stce);
        rig.SetCsr(Csr.Mip, 1UL << Irq.Sti);
        Assert.Equal(0UL, rig.Csr(Csr.Mip));
    }

    [Fact]
    public void Mhpmcounters_3_to_18_hold_what_is_written_and_the_rest_read_zero()
    {
        var rig = Nops(8);
        rig.SetCsr(Csr.Mhpmcounter3, 42);
        rig.SetCsr(Csr.Mhpmcounter3 + 15, 43);
        rig.SetCsr(Csr.Mhpmcounter3 + 16, 44);
        rig.SetCsr(Csr.Mhpmevent3 + 2, 7);
        rig.Step(4);
        Assert.Equal(42UL, rig.Csr(Csr.Mhpmcounter3));
        Assert.Equal(43UL, rig.Csr(Csr.Mhpmcounter3 + 15));
        Assert.Equal(0UL, rig.Csr(Csr.Mhpmcounter3 + 16));
        Assert.Equal(7UL, rig.Csr(Csr.Mhpmevent3 + 2));
        Assert.Equal(42UL, rig.Csr(Csr.HpmCounter3));
    }

    [Fact]
    public void Sixteen_PMP_entries_exist_as_in_QEMU_and_pmpaddr16_is_illegal()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Pmpaddr0 + 15, 0x1234);
        Assert.Equal(0x1234UL, rig.Csr(Csr.Pmpaddr0 + 15));
        Assert.False(rig.Hart.TryReadCsr((ushort)(Csr.Pmpaddr0 + 16), out _));
        rig.SetCsr(Csr.Pmpcfg0 + 2, 0x0f);
        Assert.Equal(0x0fUL, rig.Csr(Csr.Pmpcfg0 + 2));
        Assert.False(rig.Hart.TryReadCsr((ushort)(Csr.Pmpcfg0 + 4), out _));
        Assert.False(rig.Hart.TryReadCsr((ushort)(Csr.Pmpcfg0 + 1), out _));
    }
}
