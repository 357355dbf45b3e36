using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>
/// mip reads as the software-writable bits OR'd with the interrupt lines, but a CSRRS or CSRRC
/// modifies the software bits only: a line that is up while M-mode sets or clears another bit must
/// not stay pending once the device lowers it.
/// </summary>
public class InterruptPendingCsrTests
{
    private const ulong Ssip = 1UL << Irq.Ssi, Stip = 1UL << Irq.Sti, Seip = 1UL << Irq.Sei;

    /// <summary>M-mode, interrupts off (nothing is taken), the PLIC driving SEIP, x11 = <paramref name="operand"/>.</summary>
    private static HartRig WithSeipLineUp(uint instruction, ulong operand)
    {
        var rig = new HartRig();
        rig.Program(instruction);
        rig.Hart.SetX(11, operand);
        rig.Hart.SetInterruptPending(Irq.Sei, true);
        return rig;
    }

    [Fact]
    public void Csrrs_on_mip_while_the_SEIP_line_is_up_does_not_latch_it()
    {
        // OpenSBI's IPI to S-mode: csrs mip, SSIP, on a hart whose PLIC context is asserting SEIP.
        var rig = WithSeipLineUp(Csrrs(10, Csr.Mip, 11), Ssip);
        rig.Step();
        Assert.Equal(Seip, rig.X(10)); // the read shows the line
        Assert.Equal(Ssip | Seip, rig.Csr(Csr.Mip));
        rig.Hart.SetInterruptPending(Irq.Sei, false);
        Assert.Equal(Ssip, rig.Csr(Csr.Mip));
    }

    [Fact]
    public void Csrrc_on_mip_while_the_SEIP_line_is_up_does_not_latch_it()
    {
        // OpenSBI's timer: csrc mip, STIP.
        var rig = WithSeipLineUp(Csrrc(10, Csr.Mip, 11), Stip);
        rig.SetCsr(Csr.Mip, Stip);
        rig.Step();
        Assert.Equal(Stip | Seip, rig.X(10));
        rig.Hart.SetInterruptPending(Irq.Sei, false);
        Assert.Equal(0UL, rig.Csr(Csr.Mip));
    }

    [Fact]
    public void A_software_SEIP_still_reads_with_the_line_down_and_clears_with_csrrc()
    {
        var rig = WithSeipLineUp(Csrrc(10, Csr.Mip, 11), Seip);
        rig.SetCsr(Csr.Mip, Seip);
        rig.Hart.SetInterruptPending(Irq.Sei, false);
        Assert.Equal(Seip, rig.Csr(Csr.Mip));
        rig.Step();
        Assert.Equal(Seip, rig.X(10));
        Assert.Equal(0UL, rig.Csr(Csr.Mip));
    }
}
