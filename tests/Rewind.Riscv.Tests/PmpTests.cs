using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>
/// PMP as QEMU 7.2 enforces it. Data accesses are made from M-mode with MPRV=1, MPP=S, so the code
/// (fetched in M-mode) runs whatever PMP says, and the loads and stores are checked as S-mode's.
/// </summary>
public class PmpTests
{
    private const ulong Base = HartRig.RamBase;
    private const ulong Guarded = Base + 0x8000;      // a 4 KiB region the tests protect
    private const byte R = 1, W = 2, X = 4, Tor = 1 << 3, Na4 = 2 << 3, Napot = 3 << 3, Lock = 0x80;

    private static ulong NapotAddr(ulong start, ulong size) => (start >> 2) | ((size >> 3) - 1);

    /// <summary>Entry 0 = <paramref name="cfg0"/> over the guarded page, entry 1 allows everything else.</summary>
    private static HartRig Rig(byte cfg0, params uint[] program)
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Pmpaddr0, NapotAddr(Guarded, 0x1000));
        rig.SetCsr(Csr.Pmpaddr0 + 1, ulong.MaxValue);
        rig.SetCsr(Csr.Pmpcfg0, (ulong)(Napot | R | W | X) << 8 | cfg0);
        rig.SetCsr(Csr.Mtvec, Base + 0x800);
        rig.Program(program);
        rig.Hart.SetX(A1, Guarded);
        rig.Hart.SetX(A2, Guarded + 0x1000);
        return rig;
    }

    private static void AsSupervisorData(HartRig rig) =>
        rig.SetCsr(Csr.Mstatus, rig.Csr(Csr.Mstatus) | Mstatus.Mprv | (1UL << Mstatus.MppShift));

    [Fact]
    public void A_supervisor_load_from_a_region_without_R_is_an_access_fault_and_beside_it_succeeds()
    {
        var rig = Rig(Napot | W, Ld(A0, A2, 0), Ld(A0, A1, 0));
        AsSupervisorData(rig);
        rig.Step();
        Assert.Equal(0UL, rig.Csr(Csr.Mcause));
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.LoadAccessFault, rig.Csr(Csr.Mcause));
        Assert.Equal(Guarded, rig.Csr(Csr.Mtval));
    }

    [Fact]
    public void A_supervisor_store_to_a_read_only_region_is_a_store_access_fault_and_leaves_memory_alone()
    {
        var rig = Rig(Napot | R, Sd(A3, A1, 8));
        AsSupervisorData(rig);
        rig.Hart.SetX(A3, 0x55);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.StoreAccessFault, rig.Csr(Csr.Mcause));
        Assert.Equal(0UL, rig.Read64(Guarded + 8));
    }

    [Fact]
    public void Machine_mode_ignores_unlocked_entries_but_obeys_locked_ones()
    {
        var open = Rig(Napot, Ld(A0, A1, 0));
        open.Step();
        Assert.Equal(0UL, open.Csr(Csr.Mcause));

        var locked = Rig(Napot | Lock, Ld(A0, A1, 0));
        locked.Step();
        Assert.Equal((ulong)ExceptionCause.LoadAccessFault, locked.Csr(Csr.Mcause));
    }

    [Fact]
    public void With_no_entry_enabled_supervisor_mode_can_fetch_nothing()
    {
        var rig = new HartRig();
        rig.ClosePmp();
        rig.SetCsr(Csr.Mtvec, Base + 0x800);
        rig.SetCsr(Csr.Mepc, Base + 0x40);
        rig.SetCsr(Csr.Mstatus, (rig.Csr(Csr.Mstatus) & ~Mstatus.Mpp) | (1UL << Mstatus.MppShift));
        rig.Program(Mret);
        rig.Load(Base + 0x40, Nop);
        rig.Step(2);
        Assert.Equal((ulong)ExceptionCause.InstructionAccessFault, rig.Csr(Csr.Mcause));
        Assert.Equal(Base + 0x40, rig.Csr(Csr.Mepc));
        Assert.Equal(PrivilegeLevel.Machine, rig.Hart.Privilege);
    }

    [Fact]
    public void An_access_only_partly_inside_an_entry_fails_even_if_both_entries_allow_it()
    {
        // Entry 0: NA4 over the guarded word, read-only; an 8-byte load across it is partly matched.
        var rig = Rig(Na4 | R, Ld(A0, A1, 0), Lw(A0, A1, 0));
        rig.SetCsr(Csr.Pmpaddr0, Guarded >> 2);
        AsSupervisorData(rig);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.LoadAccessFault, rig.Csr(Csr.Mcause));
        rig.SetCsr(Csr.Mcause, 0);
        rig.Hart.Pc = Base + 4;
        rig.Step();
        Assert.Equal(0UL, rig.Csr(Csr.Mcause));
    }

    [Fact]
    public void A_top_of_range_entry_covers_from_the_previous_address_up()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Pmpaddr0, Guarded >> 2);
        rig.SetCsr(Csr.Pmpaddr0 + 1, (Guarded + 0x100) >> 2);
        rig.SetCsr(Csr.Pmpaddr0 + 2, ulong.MaxValue);
        rig.SetCsr(Csr.Pmpcfg0, (ulong)(Napot | R | W | X) << 16 | (ulong)Tor << 8 | (Tor | R | W | X));
        rig.SetCsr(Csr.Mtvec, Base + 0x800);
        rig.Program(Ld(A0, A1, 0xf8), Ld(A0, A1, 0x100));
        rig.Hart.SetX(A1, Guarded);
        AsSupervisorData(rig);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.LoadAccessFault, rig.Csr(Csr.Mcause)); // entry 1: no permission
        rig.SetCsr(Csr.Mcause, 0);
        rig.Hart.Pc = Base + 4;
        rig.Step();
        Assert.Equal(0UL, rig.Csr(Csr.Mcause));                                       // entry 2
    }

    [Fact]
    public void A_pmp_change_applies_to_the_next_access_of_a_page_already_used()
    {
        var rig = Rig(Napot | R | W, Ld(A0, A1, 0), Csrrw(0, Csr.Pmpcfg0, A3), Ld(A0, A1, 0));
        AsSupervisorData(rig);
        rig.Hart.SetX(A3, (ulong)(Napot | R | W | X) << 8 | (Napot | W));
        rig.Step(2);
        Assert.Equal(0UL, rig.Csr(Csr.Mcause));
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.LoadAccessFault, rig.Csr(Csr.Mcause));
    }

    [Fact]
    public void Addresses_of_locked_entries_cannot_change()
    {
        var rig = Rig(Napot | Lock | R);
        rig.SetCsr(Csr.Pmpaddr0, 0x1234);
        Assert.Equal(NapotAddr(Guarded, 0x1000), rig.Csr(Csr.Pmpaddr0));
    }
}
