using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>
/// The TLB's fast path (RAM offsets cached per page for reads, writes and fetches, PMP checked at fill)
/// must behave exactly as a walk and a PMP check on every access would. Code runs in S-mode under Sv39,
/// from 4 KiB pages the tests remap; traps go to M-mode at <see cref="Vector"/>, untranslated.
/// </summary>
public class TlbFastPathTests
{
    private const ulong Base = HartRig.RamBase;
    private const ulong Vector = Base + 0x800;
    private const ulong Root = Base + 0x1000, L1 = Base + 0x2000, L0 = Base + 0x3000;
    private const ulong Code0 = Base + 0x8000, Code1 = Base + 0x9000, Code2 = Base + 0xa000;
    private const ulong Data = Base + 0xb000, Data2 = Base + 0xc000;
    private const ulong DeviceBase = 0x1000_0000;

    // Virtual pages: L0[i] maps Va + i * 4 KiB.
    private const ulong Va = 0x4000_0000;
    private const ulong VaCode1 = Va + 0x1000, VaData = Va + 0x3000, VaL0 = Va + 0x4000;
    private const ulong VaCode0Alias = Va + 0x5000, VaDevice = Va + 0x6000, VaSplit = Va + 0x7000;
    private const ulong V = 1, R = 2, W = 4, X = 8, U = 0x10, A = 0x40, D = 0x80;
    private const byte PmpR = 1, PmpNapot = 3 << 3;
    private const int A6 = 16, A7 = 17;

    private static ulong Pointer(ulong table) => ((table >> 12) << 10) | V;
    private static ulong Leaf(ulong page, ulong flags) => ((page >> 12) << 10) | flags | V;
    private static uint AmoaddD(int rd, int rs2, int rs1) => R(0, rs2, rs1, 3, rd, 0x2f);

    /// <summary>A hart in S-mode at <see cref="Va"/> running <paramref name="program"/> from <see cref="Code0"/>.</summary>
    private static HartRig Supervisor(params uint[] program)
    {
        var rig = new HartRig();
        Store64(rig, Root + 8 * 1, Pointer(L1));
        Store64(rig, L1, Pointer(L0));
        Store64(rig, L0 + 8 * 0, Leaf(Code0, R | X | A));
        Store64(rig, L0 + 8 * 1, Leaf(Code1, R | X | A));
        Store64(rig, L0 + 8 * 3, Leaf(Data, R | W | A | D));
        Store64(rig, L0 + 8 * 4, Leaf(L0, R | W | A | D));
        Store64(rig, L0 + 8 * 5, Leaf(Code0, R | W | A | D));
        Store64(rig, L0 + 8 * 6, Leaf(DeviceBase, R | W | A | D));
        // Two virtual pages in a row, backed by physical pages in the opposite order.
        Store64(rig, L0 + 8 * 7, Leaf(Data2, R | W | A | D));
        Store64(rig, L0 + 8 * 8, Leaf(Data, R | W | A | D));
        rig.Load(Vector, JumpSelf);
        rig.SetCsr(Csr.Mtvec, Vector);
        rig.SetCsr(Csr.Satp, (8UL << 60) | (Root >> 12));
        rig.Load(Code0, program);
        rig.Load(Code1, Addi(A0, Zero, 1), Jalr(Zero, Ra, 0));
        rig.Load(Code2, Addi(A0, Zero, 2), Jalr(Zero, Ra, 0));
        rig.Hart.SetX(S1, VaCode1);
        rig.Hart.SetX(A3, VaCode0Alias);
        rig.Hart.SetX(A4, VaData);
        rig.Hart.SetX(A5, VaL0);
        rig.Hart.SetX(A6, VaDevice);
        rig.Hart.SetX(A7, VaSplit + 0xffc);
        rig.Hart.Privilege = PrivilegeLevel.Supervisor;
        rig.Hart.Pc = Va;
        rig.Hart.InvalidateTranslation();
        return rig;
    }

    private static void Store64(HartRig rig, ulong address, ulong value) =>
        rig.Load(address, (uint)value, (uint)(value >> 32));

    private static void AssertTrapped(HartRig rig, ExceptionCause cause, ulong tval)
    {
        Assert.Equal(Vector, rig.Hart.Pc);
        Assert.Equal((ulong)cause, rig.Csr(Csr.Mcause));
        Assert.Equal(tval, rig.Csr(Csr.Mtval));
    }

    [Fact]
    public void A_store_through_a_cached_page_into_code_changes_what_runs_next()
    {
        var rig = Supervisor(
            Sw(Zero, A3, 64),      // 0: caches the writable alias of this code page
            Addi(A0, Zero, 1),     // 4: rewritten below
            Sw(A2, A3, 4),         // 8
            Jal(Zero, -8));        // 12
        rig.Hart.SetX(A2, Addi(A0, Zero, 2));
        rig.Step(2);
        Assert.Equal(1UL, rig.X(A0));
        rig.Step(3);
        Assert.Equal(2UL, rig.X(A0));
    }

    [Fact]
    public void A_store_through_a_cached_page_marks_the_page_dirty_again()
    {
        var rig = Supervisor(Sd(A1, A4, 0), Sd(A1, A4, 8), JumpSelf);
        rig.Hart.SetX(A1, 0x5a);
        rig.Step();
        rig.Ram.ClearDirty();
        rig.Step();
        Assert.True(rig.Ram.IsDirty((int)((Data - Base) >> 12)));
        Assert.Equal(0x5aUL, rig.Read64(Data + 8));
    }

    [Fact]
    public void A_watchpoint_set_on_a_cached_page_stops_the_store_and_the_load()
    {
        var rig = Supervisor(Sd(A1, A4, 0), Ld(A2, A4, 0), Sd(A1, A4, 8), Ld(A2, A4, 8), JumpSelf);
        rig.Hart.SetX(A1, 0x77);
        rig.Step(2);
        rig.Hart.AddWatchpoint(new Watchpoint(VaData + 8, 8, WatchKind.Write));
        Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(100));
        Assert.Equal(Va + 8, rig.Hart.Pc);
        Assert.Equal(0UL, rig.Read64(Data + 8));
        rig.Hart.RemoveWatchpoint(rig.Hart.Watchpoints[0]);
        rig.Hart.AddWatchpoint(new Watchpoint(VaData + 8, 8, WatchKind.Read));
        Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(100));
        Assert.Equal(Va + 12, rig.Hart.Pc);
        Assert.Equal(0x77UL, rig.Read64(Data + 8));
    }

    /// <summary>Calls the code at <see cref="VaCode1"/>, writes <c>a2</c> into its PTE, calls it again.</summary>
    private static HartRig CallRemapCall() => Supervisor(
        Jalr(Ra, S1, 0),           // 0
        Sd(A2, A5, 8),             // 4: L0[1]
        Jalr(Ra, S1, 0),           // 8
        JumpSelf);                 // 12

    [Fact]
    public void A_code_pte_rewritten_without_sfence_takes_effect_at_the_next_entry_to_the_page()
    {
        var rig = CallRemapCall();
        rig.Hart.SetX(A2, Leaf(Code2, R | X | A));
        rig.Step(3);
        Assert.Equal(1UL, rig.X(A0));
        rig.Step(3);
        Assert.Equal(2UL, rig.X(A0));
        Assert.Equal(Va + 12, rig.Hart.GetX(Ra));
    }

    [Fact]
    public void A_cleared_accessed_bit_of_a_code_page_is_set_again_at_the_next_entry()
    {
        var rig = CallRemapCall();
        rig.Hart.SetX(A2, Leaf(Code1, R | X));
        rig.Step(4);
        Assert.Equal(0UL, rig.Read64(L0 + 8) & A);
        rig.Step(2);
        Assert.Equal(A, rig.Read64(L0 + 8) & A);
    }

    [Fact]
    public void A_pmp_change_applies_to_the_next_entry_to_a_code_page_already_run()
    {
        var rig = Supervisor(Jalr(Ra, S1, 0), Jal(Zero, -4));
        rig.Step(4);
        Assert.Equal(Va, rig.Hart.Pc);
        rig.SetCsr(Csr.Pmpaddr0, (Code1 >> 2) | ((0x1000 >> 3) - 1));
        rig.SetCsr(Csr.Pmpaddr0 + 1, ulong.MaxValue);
        rig.SetCsr(Csr.Pmpcfg0, (0x1fUL << 8) | PmpNapot | PmpR);
        rig.Step(2);
        AssertTrapped(rig, ExceptionCause.InstructionAccessFault, VaCode1);
    }

    [Fact]
    public void A_code_page_cached_in_supervisor_mode_faults_when_user_mode_fetches_it()
    {
        var rig = Supervisor(Addi(A0, Zero, 1), Jal(Zero, -4));
        rig.Step(2);
        rig.Hart.Privilege = PrivilegeLevel.User;
        rig.Hart.InvalidateTranslation();
        rig.Step();
        AssertTrapped(rig, ExceptionCause.InstructionPageFault, Va);
    }

    [Fact]
    public void An_amo_on_a_cached_page_made_read_only_is_a_store_page_fault()
    {
        var rig = Supervisor(AmoaddD(A0, A1, A4), AmoaddD(A0, A1, A4), Sd(A2, A5, 8 * 3), AmoaddD(A0, A1, A4), JumpSelf);
        rig.Hart.SetX(A1, 1);
        rig.Hart.SetX(A2, Leaf(Data, R | A | D));
        rig.Step(3);
        Assert.Equal(2UL, rig.Read64(Data));
        rig.Step();
        AssertTrapped(rig, ExceptionCause.StorePageFault, VaData);
        Assert.Equal(2UL, rig.Read64(Data));
    }

    private sealed class CountingDevice : IMmioDevice
    {
        public int Reads, Writes;
        public ulong Last;
        public string Name => "counter";
        public ulong Read(ulong offset, int size) => 0x100 + (ulong)++Reads;
        public void Write(ulong offset, int size, ulong value)
        {
            Writes++;
            Last = value;
        }
    }

    [Fact]
    public void A_device_page_mapped_under_paging_is_reached_through_the_bus_on_every_access()
    {
        var rig = Supervisor(Ld(A0, A6, 0), Ld(A1, A6, 0), Sd(A1, A6, 8), Sd(A0, A6, 8), JumpSelf);
        var device = new CountingDevice();
        rig.Bus.Map(DeviceBase, 0x1000, device);
        rig.Step(4);
        Assert.Equal((0x101UL, 0x102UL), (rig.X(A0), rig.X(A1)));
        Assert.Equal((2, 2, 0x101UL), (device.Reads, device.Writes, device.Last));
    }

    [Fact]
    public void Accesses_crossing_into_a_page_mapped_elsewhere_use_both_physical_pages_every_time()
    {
        var rig = Supervisor(Ld(A0, A7, 0), Ld(A1, A7, 0), Sd(A2, A7, 0), JumpSelf);
        rig.Load(Data2 + 0xffc, 0x11223344);
        rig.Load(Data, 0x55667788);
        rig.Hart.SetX(A2, 0x0102030405060708);
        rig.Step(3);
        Assert.Equal(0x55667788_11223344UL, rig.X(A0));
        Assert.Equal(rig.X(A0), rig.X(A1));
        Assert.Equal(0x05060708UL, rig.Read64(Data2 + 0xff8) >> 32);
        Assert.Equal(0x01020304UL, rig.Read64(Data) & 0xffffffff);
    }
}
