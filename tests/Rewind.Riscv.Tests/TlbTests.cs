using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>
/// The data TLB must be invisible: every paged access behaves as if the page tables were walked
/// again, even when the guest rewrites a PTE without sfence.vma (replay depends on it).
/// Data accesses are translated from M-mode with MPRV=1, MPP=S; code runs untranslated.
/// </summary>
public class TlbTests
{
    private const ulong Base = HartRig.RamBase;
    private const ulong Root = Base + 0x1000, L1 = Base + 0x2000, L0 = Base + 0x3000;
    private const ulong PageA = Base + 0x8000, PageB = Base + 0x9000;
    private const ulong Va = 0x4000_0000;          // VPN2 1, VPN1 0, VPN0 0
    private const ulong VaOfL0 = Va + 0x2000;      // L0[2] maps the L0 table itself
    private const ulong V = 1, R = 2, W = 4, A = 0x40, D = 0x80;

    private static ulong Pointer(ulong table) => ((table >> 12) << 10) | V;
    private static ulong Leaf(ulong page, ulong flags) => ((page >> 12) << 10) | flags | V;

    private static HartRig PagedRig(params uint[] program)
    {
        var rig = new HartRig();
        Store64(rig, Root + 8 * 1, Pointer(L1));
        Store64(rig, L1, Pointer(L0));
        Store64(rig, L0, Leaf(PageA, R | W | A | D));
        Store64(rig, L0 + 16, Leaf(L0, R | W | A | D));
        Store64(rig, PageA, 0x1111);
        Store64(rig, PageB, 0x2222);
        rig.SetCsr(Csr.Satp, (8UL << 60) | (Root >> 12));
        rig.SetCsr(Csr.Mstatus, rig.Csr(Csr.Mstatus) | Mstatus.Mprv | (1UL << Mstatus.MppShift));
        rig.Program(program);
        rig.Hart.SetX(A1, Va);
        rig.Hart.SetX(A3, VaOfL0);
        return rig;
    }

    private static void Store64(HartRig rig, ulong address, ulong value) =>
        rig.Load(address, (uint)value, (uint)(value >> 32));

    [Fact]
    public void A_PTE_rewritten_without_sfence_takes_effect_at_the_next_access()
    {
        var rig = PagedRig(Ld(A0, A1, 0), Sd(A2, A3, 0), Ld(A4, A1, 0));
        rig.Hart.SetX(A2, Leaf(PageB, R | W | A | D));
        rig.Step(3);
        Assert.Equal(0x1111UL, rig.X(A0));
        Assert.Equal(0x2222UL, rig.X(A4));
    }

    [Fact]
    public void A_cleared_accessed_bit_is_set_again_by_the_next_access()
    {
        var rig = PagedRig(Ld(A0, A1, 0), Sd(A2, A3, 0), Ld(A4, A1, 0));
        rig.Hart.SetX(A2, Leaf(PageA, R | W));
        rig.Step(2);
        Assert.Equal(0UL, rig.Read64(L0) & A);
        rig.Step();
        Assert.Equal(0x1111UL, rig.X(A4));
        Assert.Equal(A, rig.Read64(L0) & (A | D));
    }

    [Fact]
    public void A_store_after_loads_sets_dirty_and_a_removed_write_permission_faults()
    {
        var rig = PagedRig(Ld(A0, A1, 0), Sd(A0, A1, 8), Sd(A2, A3, 0), Sd(A0, A1, 16));
        rig.SetCsr(Csr.Mtvec, Base + 0x800);
        Store64(rig, L0, Leaf(PageA, R | W | A));
        rig.Hart.SetX(A2, Leaf(PageA, R | A | D));
        rig.Step(2);
        Assert.Equal(D, rig.Read64(L0) & D);
        Assert.Equal(0x1111UL, rig.Read64(PageA + 8));
        rig.Step(2);
        Assert.Equal((ulong)ExceptionCause.StorePageFault, rig.Csr(Csr.Mcause));
        Assert.Equal(Va + 16, rig.Csr(Csr.Mtval));
    }

    [Fact]
    public void Clearing_SUM_or_changing_privilege_is_honoured_for_a_cached_user_page()
    {
        var rig = PagedRig(Ld(A0, A1, 0), Csrrw(0, Csr.Mstatus, A5), Ld(A4, A1, 0));
        rig.SetCsr(Csr.Mtvec, Base + 0x800);
        Store64(rig, L0, Leaf(PageA, R | W | A | D | 0x10)); // a U page
        rig.SetCsr(Csr.Mstatus, rig.Csr(Csr.Mstatus) | Mstatus.Sum);
        rig.Hart.SetX(A5, rig.Csr(Csr.Mstatus) & ~Mstatus.Sum);
        rig.Step(2);
        Assert.Equal(0x1111UL, rig.X(A0));
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.LoadPageFault, rig.Csr(Csr.Mcause));
    }
}
