using Rewind.Core.Cpu;

namespace Rewind.Arm64.Tests;

/// <summary>
/// The interpreter's fast path (decoded-instruction cache, inline RAM accesses, data TLB) behaves as the
/// one-instruction-at-a-time decoder: code changed by the guest or from outside runs as changed, runs
/// stop at exact counts, breakpoints and watchpoints hit where they did. Encodings from GNU as.
/// </summary>
public class FastPathTests
{
    // movz x0, #0; movz x5, #0
    // loop: add x0, x0, #1; str x0, [x4, x0, lsl #3]; ldr x6, [x4, x0, lsl #3]; add x5, x5, x6
    //       cmp x0, #100; b.ne loop
    // b .
    private static readonly uint[] Loop =
        [0xd2800000, 0xd2800005, 0x91000400, 0xf8207880, 0xf8607886, 0x8b0600a5, 0xf101901f, 0x54ffff61, 0x14000000];
    private const ulong LoopStore = CpuRig.Ram + 0xc;
    private const ulong LoopLoad = CpuRig.Ram + 0x10;
    private const ulong Table = CpuRig.Ram + 0x4000;
    private const int LoopSteps = 2 + 100 * 6;

    private static CpuRig LoopRig()
    {
        var rig = new CpuRig(Loop);
        rig.Cpu.SetX(4, Table);
        return rig;
    }

    /// <summary>
    /// A store into a line that holds decoded code (g, in another line than the loop) is reported, so each call runs
    /// what the round before wrote: `add x3, x3, #k` for k = 2, 3, ... 201.
    /// </summary>
    [Fact]
    public void A_store_into_a_line_of_decoded_code_still_rewrites_it()
    {
        var program = new uint[0x108 / 4];
        uint[] main = [0xb90000c5, 0x9400003f, 0x111000a5, 0xf1000442, 0x54ffff81, 0x14000000];
        // loop: str w5, [x6] (g); bl g; add w5, w5, #0x400; subs x2, x2, #1; b.ne loop; b .
        main.CopyTo(program, 0);
        program[0x100 / 4] = 0x91000463; // g: add x3, x3, #1
        program[0x104 / 4] = 0xd65f03c0; //    ret
        var rig = new CpuRig(program);
        rig.Cpu.SetX(2, 200);
        rig.Cpu.SetX(5, 0x91000863); // add x3, x3, #2
        rig.Cpu.SetX(6, CpuRig.Ram + 0x100);
        rig.Cpu.Run(2_000);
        Assert.Equal(0UL, rig.Cpu.GetX(2));
        Assert.Equal((2UL + 201) * 200 / 2, rig.Cpu.GetX(3));
    }

    [Fact]
    public void A_store_over_an_instruction_already_run_makes_the_next_run_execute_the_new_one()
    {
        // adr x1, target; movz w2, #0x40; movk w2, #0xd280, lsl #16 (w2 = "movz x0, #2")
        // bl target; mov x3, x0; str w2, [x1]; bl target; b .
        // target: movz x0, #1; ret
        var rig = new CpuRig(0x10000101, 0x52800802, 0x72ba5002, 0x94000005, 0xaa0003e3, 0xb9000022, 0x94000002,
            0x14000000, 0xd2800020, 0xd65f03c0);
        rig.Step(11);
        Assert.Equal(1UL, rig.Cpu.GetX(3));
        Assert.Equal(2UL, rig.Cpu.GetX(0));
        Assert.Equal(CpuRig.Ram + 0x1c, rig.Cpu.Pc);
    }

    [Fact]
    public void Code_written_from_outside_after_it_ran_runs_as_written()
    {
        var rig = new CpuRig(0xd2800020, 0x14000000); // movz x0, #1; b .
        rig.Step(2);
        Assert.Equal(1UL, rig.Cpu.GetX(0));
        rig.Load(CpuRig.Ram, 0xd2800040); // movz x0, #2, as a loader or debugger writes it
        rig.Cpu.Pc = CpuRig.Ram;
        rig.Step();
        Assert.Equal(2UL, rig.Cpu.GetX(0));
    }

    [Fact]
    public void A_store_ending_in_the_next_page_changes_the_instruction_decoded_there()
    {
        // At the start of RAM: str x2, [x1]; b 0x1000. At 0x1000: movz x0, #1; b .
        var rig = new CpuRig(0xf9000022, 0x140003ff);
        rig.Load(CpuRig.Ram + 0x1000, 0xd2800020, 0x14000000);
        rig.Cpu.Pc = CpuRig.Ram + 0x1000;
        rig.Step();
        Assert.Equal(1UL, rig.Cpu.GetX(0));
        // The 8-byte store at 0xffc writes its upper half over the instruction at 0x1000: movz x0, #2.
        rig.Cpu.Pc = CpuRig.Ram;
        rig.Cpu.SetX(1, CpuRig.Ram + 0xffc);
        rig.Cpu.SetX(2, (ulong)0xd2800040 << 32);
        rig.Step(3);
        Assert.Equal(2UL, rig.Cpu.GetX(0));
    }

    [Fact]
    public void Runs_cut_at_any_counts_end_in_the_state_of_one_run()
    {
        var whole = LoopRig();
        whole.Cpu.Run(LoopSteps);
        var cut = LoopRig();
        int[] chunks = [1, 7, 13, 2, 50, 3];
        ulong target = 0;
        for (int i = 0; target < LoopSteps; i++)
        {
            target = Math.Min(LoopSteps, target + (ulong)chunks[i % chunks.Length]);
            Assert.Equal(CpuStop.Limit, cut.Cpu.Run(target));
            Assert.Equal(target, cut.Cpu.Icount);
        }
        Assert.Equal(whole.Cpu.Pc, cut.Cpu.Pc);
        Assert.Equal(whole.Cpu.GetX(5), cut.Cpu.GetX(5));
        Assert.Equal(whole.Cpu.Nzcv, cut.Cpu.Nzcv);
        Assert.Equal(5050UL, cut.Cpu.GetX(5));
        Assert.Equal(CpuRig.Ram + 0x20, cut.Cpu.Pc);
    }

    [Fact]
    public void A_breakpoint_in_a_hot_loop_stops_at_every_iteration()
    {
        var rig = LoopRig();
        rig.Step(30);
        rig.Cpu.AddBreakpoint(LoopLoad);
        int hits = 0;
        bool stepOver = false;
        while (rig.Cpu.Run(10_000, stepOver) == CpuStop.Breakpoint)
        {
            Assert.Equal(LoopLoad, rig.Cpu.Pc);
            hits++;
            stepOver = true;
        }
        Assert.Equal(95, hits); // 5 iterations had passed the load before the breakpoint was set
        Assert.Equal(5050UL, rig.Cpu.GetX(5));
    }

    [Fact]
    public void A_breakpoint_on_the_branch_after_a_compare_stops_there_each_time()
    {
        var rig = LoopRig();
        ulong branch = CpuRig.Ram + 0x1c; // b.ne loop, right after cmp x0, #100
        rig.Cpu.AddBreakpoint(branch);
        int hits = 0;
        bool stepOver = false;
        while (rig.Cpu.Run(10_000, stepOver) == CpuStop.Breakpoint)
        {
            Assert.Equal(branch, rig.Cpu.Pc);
            Assert.Equal(2UL + (ulong)hits * 6 + 5, rig.Cpu.Icount);
            hits++;
            stepOver = true;
        }
        Assert.Equal(100, hits);
    }

    [Fact]
    public void A_run_ending_between_a_compare_and_its_branch_stops_after_the_compare()
    {
        var rig = LoopRig();
        Assert.Equal(CpuStop.Limit, rig.Cpu.Run(2 + 5)); // up to and including the first cmp
        Assert.Equal(CpuRig.Ram + 0x1c, rig.Cpu.Pc);
        Assert.Equal(7UL, rig.Cpu.Icount);
    }

    [Fact]
    public void A_watchpoint_set_after_the_page_was_accessed_still_stops_before_the_store()
    {
        var rig = LoopRig();
        rig.Step(30); // the table's page is in the data TLB by now
        ulong watched = Table + 8 * 50;
        rig.Cpu.AddWatchpoint(new Watchpoint(watched, 8, WatchKind.Write));
        Assert.Equal(CpuStop.Watchpoint, rig.Cpu.Run(10_000));
        Assert.Equal(LoopStore, rig.Cpu.Pc);
        Assert.Equal(50UL, rig.Cpu.GetX(0));
        Assert.Equal(0UL, rig.Read64(watched));
        Assert.Equal(2UL + 49 * 6 + 1, rig.Cpu.Icount); // 49 iterations, then the add of the 50th
    }

    [Fact]
    public void A_read_watchpoint_stops_the_load_of_a_page_already_read()
    {
        var rig = LoopRig();
        rig.Step(30);
        rig.Cpu.AddWatchpoint(new Watchpoint(Table + 8 * 60, 8, WatchKind.Read));
        Assert.Equal(CpuStop.Watchpoint, rig.Cpu.Run(10_000));
        Assert.Equal(LoopLoad, rig.Cpu.Pc);
        Assert.Equal(60UL, rig.Cpu.GetX(0));
    }

    [Fact]
    public void A_state_saved_mid_loop_resumes_in_a_fresh_cpu_to_the_same_end()
    {
        var a = LoopRig();
        a.Step(123);
        using var ms = new MemoryStream();
        a.Cpu.SaveState(new BinaryWriter(ms));
        var b = new CpuRig(Loop);
        b.Memory.Write(0x4000, a.Memory.Page(4)[..0x1000]);
        ms.Position = 0;
        b.Cpu.LoadState(new BinaryReader(ms));
        a.Cpu.Run(LoopSteps);
        b.Cpu.Run(LoopSteps);
        Assert.Equal(a.Cpu.Pc, b.Cpu.Pc);
        Assert.Equal(a.Cpu.GetX(5), b.Cpu.GetX(5));
        Assert.Equal(a.Cpu.Icount, b.Cpu.Icount);
    }
}
