using Rewind.Core.Cpu;
using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

public class DebugTests
{
    private const ulong Base = HartRig.RamBase;

    private static HartRig Counting()
    {
        var rig = new HartRig();
        rig.Program(
            Addi(A0, A0, 1),    // 0
            Addi(A1, A1, 1),    // 4
            Addi(A2, A2, 1),    // 8
            Addi(A3, A3, 1),    // 12
            Jal(Zero, -16));    // 16
        return rig;
    }

    [Fact]
    public void A_breakpoint_stops_before_its_instruction_executes()
    {
        var rig = Counting();
        Assert.True(rig.Hart.AddBreakpoint(Base + 8));
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 8, rig.Hart.Pc);
        Assert.Equal(2UL, rig.Hart.Icount);
        Assert.Equal(0UL, rig.X(A2));

        // Without stepping over, it stops again at once.
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(2UL, rig.Hart.Icount);
    }

    [Fact]
    public void Stepping_over_a_breakpoint_executes_it_and_stops_there_on_the_next_pass()
    {
        var rig = Counting();
        rig.Hart.AddBreakpoint(Base + 8);
        rig.Hart.Run(100);
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100, stepOverBreakpoint: true));
        Assert.Equal(1UL, rig.X(A2));
        Assert.Equal(Base + 8, rig.Hart.Pc);
        Assert.Equal(7UL, rig.Hart.Icount);
    }

    [Fact]
    public void Stepping_over_a_breakpoint_with_a_limit_of_one_executes_just_it()
    {
        var rig = Counting();
        rig.Hart.AddBreakpoint(Base + 8);
        rig.Hart.Run(100);
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(3, stepOverBreakpoint: true));
        Assert.Equal(1UL, rig.X(A2));
        Assert.Equal(Base + 12, rig.Hart.Pc);
    }

    [Fact]
    public void A_breakpoint_on_code_already_cached_still_stops()
    {
        var rig = Counting();
        rig.Step(10);
        rig.Hart.AddBreakpoint(Base + 4);
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 4, rig.Hart.Pc);
        Assert.Equal(11UL, rig.Hart.Icount);
    }

    [Fact]
    public void Removing_a_breakpoint_lets_execution_run_to_the_limit()
    {
        var rig = Counting();
        rig.Hart.AddBreakpoint(Base + 8);
        Assert.False(rig.Hart.AddBreakpoint(Base + 8));
        rig.Hart.Run(100);
        Assert.True(rig.Hart.RemoveBreakpoint(Base + 8));
        Assert.Empty(rig.Hart.Breakpoints);
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(100));
        Assert.Equal(100UL, rig.Hart.Icount);
    }

    [Fact]
    public void A_breakpoint_on_a_compressed_instruction_stops_and_steps_over()
    {
        var rig = new HartRig();
        // c.addi a0, 1 ; c.addi a0, 1 ; c.j -4
        rig.LoadHalves(Base, 0x0505, 0x0505, 0xbff5);
        rig.Hart.AddBreakpoint(Base + 2);
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(1UL, rig.X(A0));
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(rig.Hart.Icount + 1, stepOverBreakpoint: true));
        Assert.Equal(2UL, rig.X(A0));
        Assert.Equal(Base + 4, rig.Hart.Pc);
    }

    [Fact]
    public void A_breakpoint_on_an_instruction_straddling_a_page_boundary_stops_and_steps_over()
    {
        var rig = new HartRig();
        ulong at = Base + 0xffe;
        rig.Program(Jal(Zero, 0xffe));
        rig.Load(at, Addi(A0, Zero, 9));
        rig.Load(at + 4, JumpSelf);
        rig.Hart.AddBreakpoint(at);
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(at, rig.Hart.Pc);
        Assert.Equal(0UL, rig.X(A0));
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(rig.Hart.Icount + 1, stepOverBreakpoint: true));
        Assert.Equal(9UL, rig.X(A0));
        Assert.Equal(at + 4, rig.Hart.Pc);
    }

    [Fact]
    public void Removing_one_of_two_breakpoints_on_a_page_keeps_the_other()
    {
        var rig = Counting();
        rig.Hart.AddBreakpoint(Base + 8);
        rig.Hart.AddBreakpoint(Base + 12);
        rig.Hart.AddBreakpoint(Base + 13);  // odd: never reached
        rig.Hart.RemoveBreakpoint(Base + 8);
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 12, rig.Hart.Pc);
        rig.Hart.RemoveBreakpoint(Base + 13);
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 12, rig.Hart.Pc);
        rig.Hart.RemoveBreakpoint(Base + 12);
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(100));
    }

    [Fact]
    public void A_breakpoint_holds_on_a_code_page_the_guest_keeps_writing()
    {
        // The loop stores into its own page (data next to code), which drops the page's decoded
        // instructions every iteration; each re-decode must mark the breakpoint again.
        var rig = new HartRig();
        rig.Program(
            Auipc(T0, 0),          // 0
            Addi(A0, A0, 1),       // 4
            Sd(A0, T0, 512),       // 8: same page
            Addi(A1, A1, 1),       // 12
            Jal(Zero, -12));       // 16 -> 4
        rig.Hart.AddBreakpoint(Base + 12);
        for (ulong n = 1; n <= 5; n++)
        {
            Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(1000, stepOverBreakpoint: n > 1));
            Assert.Equal(Base + 12, rig.Hart.Pc);
            Assert.Equal(n, rig.X(A0));
            Assert.Equal(n - 1, rig.X(A1));
            Assert.Equal(n, rig.Read64(Base + 512));
        }
    }

    private static HartRig Storing()
    {
        var rig = new HartRig();
        rig.Program(
            Auipc(T0, 0),          // 0
            Addi(A1, Zero, 77),    // 4
            Ld(A2, T0, 512),       // 8: read the watched word
            Sd(A1, T0, 512),       // 12: write it
            Addi(A3, Zero, 1),     // 16
            JumpSelf);             // 20
        return rig;
    }

    [Fact]
    public void A_write_watchpoint_stops_before_the_store_as_a_riscv_trigger_does()
    {
        // GDB treats RISC-V watchpoints as non-steppable: it expects the access not to have happened
        // yet and steps over it itself, as QEMU reports them.
        var rig = Storing();
        rig.Hart.AddWatchpoint(new Watchpoint(Base + 512, 8, WatchKind.Write));
        Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 12, rig.Hart.Pc);
        Assert.Equal(3UL, rig.Hart.Icount);
        Assert.Equal(0UL, rig.Read64(Base + 512));
        Assert.Equal(new WatchHit(WatchKind.Write, Base + 512), rig.Hart.LastWatchHit);

        // Resuming performs the store once, without stopping on it again.
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(10));
        Assert.Equal(77UL, rig.Read64(Base + 512));
        Assert.Equal(1UL, rig.X(A3));
        Assert.Null(rig.Hart.LastWatchHit);
    }

    [Fact]
    public void A_read_watchpoint_stops_before_the_load_with_its_register_untouched()
    {
        var rig = Storing();
        rig.Hart.SetX(A2, 5);
        rig.Hart.AddWatchpoint(new Watchpoint(Base + 516, 1, WatchKind.Read));
        Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 8, rig.Hart.Pc);
        Assert.Equal(2UL, rig.Hart.Icount);
        Assert.Equal(5UL, rig.X(A2));
        Assert.Equal(new WatchHit(WatchKind.Read, Base + 516), rig.Hart.LastWatchHit);
    }

    [Fact]
    public void A_read_watchpoint_lets_stores_run_and_a_write_watchpoint_lets_loads_run()
    {
        var rig = Storing();
        rig.Hart.AddWatchpoint(new Watchpoint(Base + 512, 8, WatchKind.Read));
        Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(100));   // the load at 8
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(50));         // the store at 12 is not a read
        Assert.Equal(77UL, rig.Read64(Base + 512));
        Assert.Equal(1UL, rig.X(A3));

        var other = Storing();
        other.Hart.AddWatchpoint(new Watchpoint(Base + 512, 8, WatchKind.Write));
        Assert.Equal(CpuStop.Watchpoint, other.Hart.Run(100));
        Assert.Equal(Base + 12, other.Hart.Pc);                  // past the load, stopped on the store
    }

    [Fact]
    public void Each_pass_over_a_watched_store_stops_once()
    {
        var rig = new HartRig();
        rig.Program(
            Auipc(T0, 0),          // 0
            Addi(A1, A1, 1),       // 4
            Sd(A1, T0, 512),       // 8
            Jal(Zero, -8));        // 12
        rig.Hart.AddWatchpoint(new Watchpoint(Base + 512, 8, WatchKind.Write));
        for (ulong pass = 1; pass <= 3; pass++)
        {
            Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(1000));
            Assert.Equal(Base + 8, rig.Hart.Pc);
            Assert.Equal(3 * pass - 1, rig.Hart.Icount);
            Assert.Equal(pass - 1, rig.Read64(Base + 512));
        }
    }

    /// <summary>lr.d then sc.d of 9 at Base + 512 (sc's result in a3), then a jump to itself.</summary>
    private static HartRig LrSc()
    {
        var rig = new HartRig();
        rig.Program(
            Auipc(T0, 0),          // 0
            Addi(T0, T0, 512),     // 4
            Addi(A1, Zero, 9),     // 8
            LrD(A2, T0),           // 12
            ScD(A3, A1, T0),       // 16
            JumpSelf);             // 20
        return rig;
    }

    [Fact]
    public void A_watchpoint_stop_on_sc_keeps_the_reservation_so_the_sc_still_succeeds()
    {
        var rig = LrSc();
        rig.Hart.SetX(A3, 55);
        rig.Hart.AddWatchpoint(new Watchpoint(Base + 512, 8, WatchKind.Write));
        Assert.Equal(CpuStop.Watchpoint, rig.Hart.Run(100));
        Assert.Equal(Base + 16, rig.Hart.Pc);
        Assert.Equal(55UL, rig.X(A3));
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(10));
        Assert.Equal(0UL, rig.X(A3));
        Assert.Equal(9UL, rig.Read64(Base + 512));
    }

    [Fact]
    public void An_sc_after_the_reservation_was_dropped_for_another_harts_turn_fails_and_stores_nothing()
    {
        var rig = LrSc();
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(4));
        rig.Hart.DropReservation();
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(5));
        Assert.Equal(1UL, rig.X(A3));
        Assert.Equal(0UL, rig.Read64(Base + 512));
    }

    [Fact]
    public void An_access_watchpoint_outside_the_accessed_bytes_does_not_stop()
    {
        var rig = Storing();
        var w = new Watchpoint(Base + 520, 8, WatchKind.Access);
        rig.Hart.AddWatchpoint(w);
        Assert.Equal(CpuStop.Limit, rig.Hart.Run(50));
        Assert.True(rig.Hart.RemoveWatchpoint(w));
        Assert.Empty(rig.Hart.Watchpoints);
    }
}
