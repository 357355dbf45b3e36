using Rewind.Core.Cpu;
using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>Single instructions and short programs placed in RAM and run on a bare hart.</summary>
public class ExecutionTests
{
    private const ulong Base = HartRig.RamBase;
    private const ulong IntMin = 0x8000_0000_0000_0000;

    private static ulong RunOne(uint insn, ulong a1, ulong a2)
    {
        var rig = new HartRig();
        rig.Program(insn);
        rig.Hart.SetX(A1, a1);
        rig.Hart.SetX(A2, a2);
        rig.Step();
        Assert.Equal(Base + 4, rig.Hart.Pc);
        return rig.X(A0);
    }

    public static TheoryData<string, uint, ulong, ulong, ulong> DivisionCases => new()
    {
        { "div by zero", Div(A0, A1, A2), 7, 0, ulong.MaxValue },
        { "divu by zero", Divu(A0, A1, A2), 7, 0, ulong.MaxValue },
        { "rem by zero", Rem(A0, A1, A2), unchecked((ulong)-7L), 0, unchecked((ulong)-7L) },
        { "remu by zero", Remu(A0, A1, A2), 7, 0, 7 },
        { "div overflow", Div(A0, A1, A2), IntMin, ulong.MaxValue, IntMin },
        { "rem overflow", Rem(A0, A1, A2), IntMin, ulong.MaxValue, 0 },
        { "div rounds toward zero", Div(A0, A1, A2), unchecked((ulong)-7L), 2, unchecked((ulong)-3L) },
        { "rem takes the dividend's sign", Rem(A0, A1, A2), unchecked((ulong)-7L), 2, unchecked((ulong)-1L) },
        { "divw by zero", Divw(A0, A1, A2), 7, 0xffff_ffff_0000_0000, ulong.MaxValue },
        { "divuw by zero", Divuw(A0, A1, A2), 7, 0, ulong.MaxValue },
        { "remw by zero sign-extends the dividend", Remw(A0, A1, A2), 0x8000_0001, 0, 0xffff_ffff_8000_0001 },
        { "remuw by zero sign-extends the dividend", Remuw(A0, A1, A2), 0x1_8000_0000, 0, 0xffff_ffff_8000_0000 },
        { "divw overflow", Divw(A0, A1, A2), 0x8000_0000, 0xffff_ffff, 0xffff_ffff_8000_0000 },
        { "remw overflow", Remw(A0, A1, A2), 0x8000_0000, 0xffff_ffff, 0 },
        { "divuw result sign-extends", Divuw(A0, A1, A2), 0xffff_fffe, 1, 0xffff_ffff_ffff_fffe },
    };

    [Theory]
    [MemberData(nameof(DivisionCases))]
    public void Division_edge_cases_follow_the_spec_table(string what, uint insn, ulong a1, ulong a2, ulong expected)
    {
        Assert.True(expected == RunOne(insn, a1, a2), what);
    }

    public static TheoryData<string, uint, ulong, ulong, ulong> MultiplyCases => new()
    {
        { "mul wraps", Mul(A0, A1, A2), ulong.MaxValue, ulong.MaxValue, 1 },
        { "mulh of -1 * -1", Mulh(A0, A1, A2), ulong.MaxValue, ulong.MaxValue, 0 },
        { "mulhu of max * max", Mulhu(A0, A1, A2), ulong.MaxValue, ulong.MaxValue, ulong.MaxValue - 1 },
        { "mulhsu of -1 * max", Mulhsu(A0, A1, A2), ulong.MaxValue, ulong.MaxValue, ulong.MaxValue },
        { "mulh of INT_MIN * INT_MIN", Mulh(A0, A1, A2), IntMin, IntMin, 0x4000_0000_0000_0000 },
        { "mulw sign-extends", Mulw(A0, A1, A2), 0x10000, 0x8000, 0xffff_ffff_8000_0000 },
    };

    [Theory]
    [MemberData(nameof(MultiplyCases))]
    public void Multiplies_give_the_right_half(string what, uint insn, ulong a1, ulong a2, ulong expected)
    {
        Assert.True(expected == RunOne(insn, a1, a2), what);
    }

    public static TheoryData<string, uint, ulong, ulong, ulong> WordCases => new()
    {
        { "addw overflow", Addw(A0, A1, A2), 0x7fff_ffff, 1, 0xffff_ffff_8000_0000 },
        { "addw ignores upper bits", Addw(A0, A1, A2), 0x1234_5678_0000_0001, 0xffff_0000_0000_0001, 2 },
        { "subw", Subw(A0, A1, A2), 0, 1, ulong.MaxValue },
        { "addiw", Addiw(A0, A1, 1), 0x7fff_ffff, 0, 0xffff_ffff_8000_0000 },
        { "addiw 0 is sext.w", Addiw(A0, A1, 0), 0x0000_0001_8000_0000, 0, 0xffff_ffff_8000_0000 },
        { "sllw", Sllw(A0, A1, A2), 1, 31, 0xffff_ffff_8000_0000 },
        { "sllw masks the shift to 5 bits", Sllw(A0, A1, A2), 1, 33, 2 },
        { "srlw by 0 sign-extends bit 31", Srlw(A0, A1, A2), 0x8000_0000, 0, 0xffff_ffff_8000_0000 },
        { "srlw shifts in zeros", Srlw(A0, A1, A2), 0xffff_ffff_8000_0000, 4, 0x0800_0000 },
        { "sraw", Sraw(A0, A1, A2), 0x8000_0000, 4, 0xffff_ffff_f800_0000 },
        { "slliw", Slliw(A0, A1, 31), 3, 0, 0xffff_ffff_8000_0000 },
        { "srliw", Srliw(A0, A1, 1), 0xffff_ffff, 0, 0x7fff_ffff },
        { "sraiw", Sraiw(A0, A1, 31), 0x8000_0000, 0, ulong.MaxValue },
    };

    [Theory]
    [MemberData(nameof(WordCases))]
    public void W_operations_sign_extend_their_32_bit_result(string what, uint insn, ulong a1, ulong a2, ulong expected)
    {
        Assert.True(expected == RunOne(insn, a1, a2), $"{what}: got 0x{RunOne(insn, a1, a2):x}");
    }

    [Fact]
    public void Writes_to_x0_are_discarded()
    {
        var rig = new HartRig();
        rig.Program(Addi(Zero, Zero, 5), Add(A0, Zero, Zero));
        rig.Hart.SetX(Zero, 99);
        rig.Step(2);
        Assert.Equal(0UL, rig.X(Zero));
        Assert.Equal(0UL, rig.X(A0));
    }

    [Fact]
    public void Loads_sign_or_zero_extend_and_stores_reach_ram()
    {
        var rig = new HartRig();
        rig.Program(
            Auipc(T0, 0),
            Addi(A1, Zero, -2),
            Sd(A1, T0, 256),
            Lw(A2, T0, 256),
            Ld(A3, T0, 256),
            Sw(Zero, T0, 260),
            Ld(A4, T0, 256));
        rig.Step(7);
        Assert.Equal(ulong.MaxValue - 1, rig.X(A2));
        Assert.Equal(ulong.MaxValue - 1, rig.X(A3));
        Assert.Equal(0xffff_fffeUL, rig.X(A4));
        Assert.Equal(0xffff_fffeUL, rig.Read64(Base + 256));
    }

    [Fact]
    public void A_load_from_nowhere_traps_with_load_access_fault()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Mtvec, Base + 0x100);
        rig.Program(Ld(A0, Zero, 0x10));
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.LoadAccessFault, rig.Csr(Csr.Mcause));
        Assert.Equal(0x10UL, rig.Csr(Csr.Mtval));
        Assert.Equal(Base, rig.Csr(Csr.Mepc));
        Assert.Equal(Base + 0x100, rig.Hart.Pc);
    }

    /// <summary>Drops the hart to U-mode at <paramref name="userPc"/> by executing mret at the reset pc.</summary>
    private static HartRig EnterUserMode(ulong userPc, ulong handler = Base + 0x800)
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Mtvec, handler);
        rig.SetCsr(Csr.Mepc, userPc);
        rig.SetCsr(Csr.Mstatus, (rig.Csr(Csr.Mstatus) & ~Mstatus.Mpp) | Mstatus.Mpie); // MPP = U
        rig.Program(Mret);
        rig.Step();
        return rig;
    }

    [Fact]
    public void Mret_to_U_mode_switches_privilege_jumps_to_mepc_and_pops_MIE()
    {
        var rig = EnterUserMode(Base + 0x40);
        Assert.Equal(PrivilegeLevel.User, rig.Hart.Privilege);
        Assert.Equal(Base + 0x40, rig.Hart.Pc);
        ulong s = rig.Csr(Csr.Mstatus);
        Assert.NotEqual(0UL, s & Mstatus.Mie);
        Assert.NotEqual(0UL, s & Mstatus.Mpie);
        Assert.Equal(0UL, s & Mstatus.Mpp);
    }

    [Theory]
    [InlineData(Csr.Mstatus)]
    [InlineData(Csr.Mscratch)]
    [InlineData(Csr.Sstatus)]
    [InlineData(Csr.Satp)]
    public void Csr_access_above_U_mode_from_U_mode_is_an_illegal_instruction(ushort csr)
    {
        uint insn = Csrr(A0, csr);
        var rig = EnterUserMode(Base + 0x40);
        rig.Load(Base + 0x40, insn);
        rig.Hart.SetX(A0, 0x1234);
        rig.Step();
        Assert.Equal(PrivilegeLevel.Machine, rig.Hart.Privilege);
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Csr(Csr.Mcause));
        Assert.Equal(insn, rig.Csr(Csr.Mtval));
        Assert.Equal(Base + 0x40, rig.Csr(Csr.Mepc));
        Assert.Equal(Base + 0x800, rig.Hart.Pc);
        Assert.Equal(0UL, rig.Csr(Csr.Mstatus) & Mstatus.Mpp); // came from U
        Assert.Equal(0x1234UL, rig.X(A0));
    }

    [Fact]
    public void Ecall_from_U_mode_traps_with_cause_8()
    {
        var rig = EnterUserMode(Base + 0x40);
        rig.Load(Base + 0x40, Ecall);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.EcallFromU, rig.Csr(Csr.Mcause));
        Assert.Equal(PrivilegeLevel.Machine, rig.Hart.Privilege);
    }

    [Fact]
    public void Mret_from_U_mode_is_illegal()
    {
        var rig = EnterUserMode(Base + 0x40);
        rig.Load(Base + 0x40, Mret);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Csr(Csr.Mcause));
        Assert.Equal(Mret, rig.Csr(Csr.Mtval));
    }

    [Fact]
    public void An_illegal_compressed_instruction_reports_its_16_bits_in_mtval()
    {
        // c.lui ra, 0 is reserved; the half after it must not show in mtval.
        var rig = new HartRig();
        rig.LoadHalves(Base, 0x6081, 0xdead);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Csr(Csr.Mcause));
        Assert.Equal(0x6081UL, rig.Csr(Csr.Mtval));
        Assert.Equal(Base, rig.Csr(Csr.Mepc));
    }

    [Fact]
    public void An_illegal_instruction_reports_its_bits_after_its_slot_was_decoded_before()
    {
        // The second run takes the decoded slot from the code cache, which keeps no copy of the bits.
        var rig = new HartRig();
        rig.Program(0xffff_ffff);
        rig.Step();
        rig.Hart.Pc = Base;
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Csr(Csr.Mcause));
        Assert.Equal(0xffff_ffffUL, rig.Csr(Csr.Mtval));
    }

    private static HartRig WithInterruptsEnabled()
    {
        var rig = new HartRig();
        rig.Program(Nop, Nop, Nop, Nop);
        rig.SetCsr(Csr.Mtvec, Base + 0x100);
        rig.Load(Base + 0x100, JumpSelf);
        rig.SetCsr(Csr.Mie, Irq.AllMask);
        rig.SetCsr(Csr.Mstatus, rig.Csr(Csr.Mstatus) | Mstatus.Mie);
        return rig;
    }

    [Theory]
    [InlineData(new[] { Irq.Mti, Irq.Mei }, Irq.Mei)]
    [InlineData(new[] { Irq.Mti, Irq.Msi }, Irq.Msi)]
    [InlineData(new[] { Irq.Sei, Irq.Mti }, Irq.Mti)]
    [InlineData(new[] { Irq.Sti, Irq.Ssi, Irq.Sei }, Irq.Sei)]
    [InlineData(new[] { Irq.Sti, Irq.Ssi }, Irq.Ssi)]
    [InlineData(new[] { Irq.Sti }, Irq.Sti)]
    public void The_highest_priority_pending_interrupt_is_taken_first(int[] pending, int expected)
    {
        var rig = WithInterruptsEnabled();
        foreach (int irq in pending) rig.Hart.SetInterruptPending(irq, true);
        rig.Step();
        Assert.Equal((1UL << 63) | (uint)expected, rig.Csr(Csr.Mcause));
        Assert.Equal(Base, rig.Csr(Csr.Mepc));
        Assert.Equal(Base + 0x100, rig.Hart.Pc);
        Assert.Equal(0UL, rig.Csr(Csr.Mstatus) & Mstatus.Mie);
        Assert.NotEqual(0UL, rig.Csr(Csr.Mstatus) & Mstatus.Mpie);
    }

    [Fact]
    public void Vectored_mtvec_sends_interrupts_to_base_plus_4_times_cause()
    {
        var rig = WithInterruptsEnabled();
        rig.SetCsr(Csr.Mtvec, (Base + 0x100) | 1);
        rig.Hart.SetInterruptPending(Irq.Mti, true);
        rig.Step();
        Assert.Equal(Base + 0x100 + 4 * (ulong)Irq.Mti, rig.Hart.Pc);
    }

    [Fact]
    public void A_pending_interrupt_is_not_taken_while_MIE_is_clear_in_M_mode()
    {
        var rig = WithInterruptsEnabled();
        rig.SetCsr(Csr.Mstatus, rig.Csr(Csr.Mstatus) & ~Mstatus.Mie);
        rig.Hart.SetInterruptPending(Irq.Mti, true);
        rig.Step(2);
        Assert.Equal(Base + 8, rig.Hart.Pc);
        Assert.Equal(0UL, rig.Csr(Csr.Mcause));
    }

    [Fact]
    public void Wfi_with_nothing_pending_returns_Idle_after_counting_the_wfi()
    {
        var rig = new HartRig();
        rig.Program(Addi(A0, Zero, 1), Wfi, Addi(A0, Zero, 2));
        Assert.Equal(CpuStop.Idle, rig.Hart.Run(1000));
        Assert.Equal(2UL, rig.Hart.Icount);
        Assert.True(rig.Hart.IsWaiting);
        Assert.Equal(Base + 8, rig.Hart.Pc);

        // Still nothing pending: stays idle without executing.
        Assert.Equal(CpuStop.Idle, rig.Hart.Run(1000));
        Assert.Equal(2UL, rig.Hart.Icount);

        // SkipIdle moves the clock of a waiting hart only.
        rig.Hart.SkipIdle(50);
        Assert.Equal(50UL, rig.Hart.Icount);
    }

    [Fact]
    public void Wfi_wakes_on_an_enabled_interrupt_even_with_MIE_clear_and_continues_after_it()
    {
        var rig = new HartRig();
        rig.Program(Wfi, Addi(A0, Zero, 7), JumpSelf);
        rig.SetCsr(Csr.Mie, 1UL << Irq.Mti);
        Assert.Equal(CpuStop.Idle, rig.Hart.Run(1000));
        rig.Hart.SetInterruptPending(Irq.Mti, true);
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(3));
        Assert.False(rig.Hart.IsWaiting);
        Assert.Equal(7UL, rig.X(A0));
        Assert.Equal(0UL, rig.Csr(Csr.Mcause));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(999UL)]
    [InlineData(12345UL)]
    public void Run_stops_exactly_at_the_limit(ulong limit)
    {
        var rig = new HartRig();
        // A loop with a compressed instruction in it: a0 += 1; a1 += a0; jump back.
        rig.Program(Addi(A0, A0, 1), Add(A1, A1, A0), Jal(Zero, -8));
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(limit));
        Assert.Equal(limit, rig.Hart.Icount);
        // Splitting the run anywhere gives the same state as running straight through.
        var split = new HartRig();
        split.Program(Addi(A0, A0, 1), Add(A1, A1, A0), Jal(Zero, -8));
        split.Hart.Run(limit / 3);
        split.Hart.Run(limit / 2);
        split.Hart.Run(limit);
        Assert.Equal(limit, split.Hart.Icount);
        Assert.Equal(rig.Hart.Pc, split.Hart.Pc);
        Assert.Equal(rig.X(A0), split.X(A0));
        Assert.Equal(rig.X(A1), split.X(A1));
    }

    [Fact]
    public void Run_with_a_limit_already_reached_executes_nothing()
    {
        var rig = new HartRig();
        rig.Program(Addi(A0, A0, 1), JumpSelf);
        rig.Step(1);
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(1));
        Assert.Equal(1UL, rig.Hart.Icount);
        Assert.Equal(1UL, rig.X(A0));
    }

    [Fact]
    public void RequestYield_makes_the_next_Run_return_Yield_only_if_requested_during_it()
    {
        var rig = new HartRig();
        rig.Program(JumpSelf);
        rig.Hart.RequestYield();
        // Run clears a yield requested before it started.
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(10));
        Assert.Equal(10UL, rig.Hart.Icount);
    }

    [Fact]
    public void Storing_over_an_already_executed_instruction_runs_the_new_instruction()
    {
        var rig = new HartRig();
        uint replacement = Addi(A0, Zero, 42);
        rig.Program(
            Auipc(T0, 0),              // 0: t0 = base
            Addi(A0, Zero, 1),         // 4: replaced later
            Lw(T1, T0, 32),            // 8: t1 = new instruction word
            Sw(T1, T0, 4),             // 12: overwrite the instruction at 4
            Jal(Zero, -12),            // 16: back to 4
            Nop, Nop, Nop,
            replacement);              // 32
        rig.Step(2);
        Assert.Equal(1UL, rig.X(A0));
        rig.Step(4);                   // lw, sw, jal, then the rewritten instruction
        Assert.Equal(Base + 8, rig.Hart.Pc);
        Assert.Equal(42UL, rig.X(A0));
    }

    [Fact]
    public void A_halfword_store_into_the_upper_half_of_a_cached_instruction_changes_it()
    {
        var rig = new HartRig();
        uint old = Addi(A0, A0, 1), updated = Addi(A0, A0, 100);
        Assert.Equal(old & 0xffff, updated & 0xffff); // only the immediate, in the upper half, differs
        rig.Program(
            Auipc(T0, 0),              // 0
            old,                       // 4: executed twice
            Sh(T1, T0, 6),             // 8: rewrite its upper half
            Jal(Zero, -8));            // 12: back to 4
        rig.Hart.SetX(T1, updated >> 16);
        rig.Step(5);                   // auipc, addi, sh, jal, addi (rewritten)
        Assert.Equal(101UL, rig.X(A0));
    }

    [Fact]
    public void Stores_to_data_beside_code_in_one_page_keep_the_code_running_correctly()
    {
        var rig = new HartRig();
        rig.Program(
            Auipc(T0, 0),              // 0
            Addi(A0, A0, 1),           // 4: loop
            Sd(A0, T0, 64),            // 8: data in the same page
            Ld(A1, T0, 64),            // 12
            Add(A2, A2, A1),           // 16
            Jal(Zero, -16));           // 20
        rig.Step(1 + 5 * 100);
        Assert.Equal(100UL, rig.X(A0));
        Assert.Equal(5050UL, rig.X(A2));
    }

    [Fact]
    public void A_debugger_write_over_cached_code_is_seen_by_the_next_fetch()
    {
        var rig = new HartRig();
        rig.Program(Addi(A0, A0, 1), Jal(Zero, -4));
        rig.Step(4);
        Assert.Equal(2UL, rig.X(A0));
        var bytes = BitConverter.GetBytes(Addi(A0, A0, 100));
        Assert.Equal(4, rig.Hart.DebugWrite(Base, bytes));
        rig.Step(2);
        Assert.Equal(102UL, rig.X(A0));
    }

    [Fact]
    public void A_compressed_instruction_stream_executes()
    {
        var rig = new HartRig();
        // c.li a0, 5 ; c.addi a0, 1 ; c.mv a1, a0 ; c.add a1, a0 ; c.j .
        rig.LoadHalves(Base, 0x4515, 0x0505, 0x85aa, 0x95aa, 0xa001);
        rig.Step(5);
        Assert.Equal(6UL, rig.X(A0));
        Assert.Equal(12UL, rig.X(A1));
        Assert.Equal(Base + 8, rig.Hart.Pc);
    }

    [Fact]
    public void A_32_bit_instruction_straddling_a_page_boundary_executes()
    {
        var rig = new HartRig();
        ulong at = Base + 0xffe;
        rig.Program(Jal(Zero, 0xffe));
        rig.Load(at, Addi(A0, Zero, 9));
        rig.Load(at + 4, JumpSelf);
        rig.Step(3);
        Assert.Equal(9UL, rig.X(A0));
        Assert.Equal(at + 4, rig.Hart.Pc);
    }
}
