namespace Rewind.Arm64.Tests;

/// <summary>Synchronous exceptions and interrupts through VBAR_EL1, and the return from them.</summary>
public class ExceptionTests
{
    [Fact]
    public void Undefined_instruction_enters_the_current_el_sync_vector_with_ec_0()
    {
        var rig = new CpuRig(0x00000000); // udf #0
        rig.Step();
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(0x0200_0000UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr)); // EC 0, IL 1
        Assert.Equal(CpuRig.Ram, rig.SystemRegister(Arm64Cpu.SysReg.Elr));
        Assert.Equal(0x3c5UL, rig.SystemRegister(Arm64Cpu.SysReg.Spsr)); // EL1h, DAIF masked
    }

    [Fact]
    public void Svc_reports_its_immediate_and_eret_returns_after_it()
    {
        var rig = new CpuRig(0xd40000a1); // svc #5
        rig.Load(CpuRig.Vbar + 0x200, 0xd69f03e0); // eret
        rig.Step();
        Assert.Equal((0x15UL << 26) | (1UL << 25) | 5, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        Assert.Equal(CpuRig.Ram + 4, rig.SystemRegister(Arm64Cpu.SysReg.Elr));
        rig.Step();
        Assert.Equal(CpuRig.Ram + 4, rig.Cpu.Pc);
    }

    [Fact]
    public void Load_from_an_address_nothing_answers_is_a_synchronous_external_abort()
    {
        var rig = new CpuRig(0xf940016a); // ldr x10, [x11]
        rig.Cpu.SetX(11, 0x1000_0000);
        rig.Step();
        ulong esr = rig.SystemRegister(Arm64Cpu.SysReg.Esr);
        Assert.Equal(0x25UL, esr >> 26);
        Assert.Equal(0x10UL, esr & 0x3f);
        Assert.Equal(0x1000_0000UL, rig.SystemRegister(Arm64Cpu.SysReg.Far));
    }

    [Fact]
    public void Semihosting_hlt_without_firmware_is_undefined()
    {
        var rig = new CpuRig(0xd45e0000); // hlt #0xf000
        rig.Step();
        Assert.Equal(0UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr) >> 26);
    }

    [Fact]
    public void Wfi_idles_until_the_irq_line_rises_then_the_unmasked_irq_is_taken()
    {
        var rig = new CpuRig(0xd50342ff, 0xd503207f, 0xd503201f); // msr daifclr, #2; wfi; nop
        Assert.Equal(Core.Cpu.CpuStop.Idle, rig.Cpu.Run(100));
        Assert.True(rig.Cpu.IsIdle);
        rig.Cpu.SetIrq(true);
        Assert.False(rig.Cpu.IsIdle);
        rig.Cpu.Run(rig.Cpu.Icount + 1);
        Assert.Equal(CpuRig.Vbar + 0x200 + 0x80, rig.Cpu.Pc);
        Assert.Equal(CpuRig.Ram + 8, rig.SystemRegister(Arm64Cpu.SysReg.Elr));
    }

    [Fact]
    public void A_masked_irq_is_not_taken()
    {
        var rig = new CpuRig(0xd503201f, 0xd503201f); // nop; nop (DAIF masked from reset)
        rig.Cpu.SetIrq(true);
        rig.Step(2);
        Assert.Equal(CpuRig.Ram + 8, rig.Cpu.Pc);
    }
}
