using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Memory;
using Rewind.Riscv.Decode;
using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

/// <summary>One code cache shared by the harts of a machine, and what invalidates it (and what does not).</summary>
public class CodeCacheTests
{
    private const ulong Base = HartRig.RamBase;
    private const ulong PageA = Base, PageB = Base + 0x1000;

    private sealed class TwoHarts
    {
        public TwoHarts()
        {
            Ram = new PhysicalMemory(Base, HartRig.RamSize);
            Bus = new SystemBus(Ram);
            Cache = new CodeCache(Ram);
            H0 = new Hart(0, Bus, Cache) { Pc = Base };
            H1 = new Hart(1, Bus, Cache) { Pc = Base };
        }

        public PhysicalMemory Ram { get; }
        public SystemBus Bus { get; }
        public CodeCache Cache { get; }
        public Hart H0 { get; }
        public Hart H1 { get; }

        public void Load(ulong address, params uint[] words) =>
            Assert.Equal(words.Length * 4, Bus.WriteBytes(address, words.SelectMany(BitConverter.GetBytes).ToArray()));
    }

    private static void Step(Hart hart, int steps = 1)
    {
        ulong target = hart.Icount + (ulong)steps;
        Assert.Equal(CpuStop.Limit, hart.Run(target));
    }

    [Fact]
    public void A_page_decoded_by_one_hart_is_found_by_another()
    {
        var m = new TwoHarts();
        m.Load(PageA, Addi(T0, Zero, 1));
        Step(m.H0);
        Assert.Equal(1UL, m.H0.GetX(T0));
        var slots = m.Cache.PageFor(0);
        Assert.Equal(Op.Addi, slots[0].Op);
        // Changed behind RAM's back: only a hart that reads the slot hart 0 decoded runs this.
        slots[0].Imm = 42;
        Step(m.H1);
        Assert.Equal(42UL, m.H1.GetX(T0));
    }

    [Fact]
    public void A_store_by_one_hart_into_code_another_hart_runs_changes_what_that_hart_runs()
    {
        var m = new TwoHarts();
        // Hart 0 at PageA: t2 = pc; sw t1, 0x100(t2). Hart 1 runs the instruction at PageA + 0x100.
        m.Load(PageA, Auipc(T2, 0), Sw(T1, T2, 0x100));
        m.Load(PageA + 0x100, Addi(T0, Zero, 1));
        m.H1.Pc = PageA + 0x100;
        Step(m.H1);
        Assert.Equal(1UL, m.H1.GetX(T0));

        m.H0.SetX(T1, Addi(T0, Zero, 2));
        Step(m.H0, 2);
        m.H1.Pc = PageA + 0x100;             // the same fetch page: hart 1 keeps its window on it
        Step(m.H1);
        Assert.Equal(2UL, m.H1.GetX(T0));
    }

    [Fact]
    public void A_page_whose_code_is_all_overwritten_is_dropped_after_quiet_writes_and_stops_reporting_stores()
    {
        var m = new TwoHarts();
        int reports = 0;
        var previous = m.Ram.WatchedPageWritten;
        m.Ram.WatchedPageWritten = (page, start, length) =>
        {
            previous?.Invoke(page, start, length);
            if (page == 1) reports++;
        };
        m.Load(PageB, Addi(T0, Zero, 7));
        m.H0.Pc = PageB;
        Step(m.H0);
        Assert.True(m.Cache.Holds(1));
        // The code is overwritten (a freed page reused for data), then data is stored there again and again.
        m.Load(PageB, 0);
        for (int i = 0; i < CodeCache.QuietWritesBeforeScan; i++) m.Load(PageB + 0x800, (uint)i);
        Assert.False(m.Cache.Holds(1));
        int before = reports;
        for (int i = 0; i < 100; i++) m.Load(PageB + 0x800, (uint)i);
        Assert.Equal(before, reports); // no longer watched: the stores take the fast path
        // Code placed there again is decoded afresh.
        m.Load(PageB, Addi(T0, Zero, 9));
        m.H1.Pc = PageB;
        Step(m.H1);
        Assert.Equal(9UL, m.H1.GetX(T0));
        Assert.True(m.Cache.Holds(1));
    }

    [Fact]
    public void A_page_that_still_holds_code_stays_watched_through_any_number_of_data_stores()
    {
        var m = new TwoHarts();
        m.Load(PageB, Addi(T0, Zero, 7));
        m.H0.Pc = PageB;
        Step(m.H0);
        for (int i = 0; i < 5000; i++) m.Load(PageB + 0x800, (uint)i);
        Assert.True(m.Cache.Holds(1));
        m.Load(PageB, Addi(T0, Zero, 8)); // still heard: the hart runs the new instruction
        m.H0.Pc = PageB;
        Step(m.H0);
        Assert.Equal(8UL, m.H0.GetX(T0));
    }

    [Fact]
    public void A_page_rewritten_whole_under_a_hart_fetching_from_it_is_looked_up_again_by_that_hart()
    {
        var m = new TwoHarts();
        m.Load(PageA, Addi(T0, Zero, 1));
        m.Load(PageB, Addi(T0, Zero, 7));
        Step(m.H1);
        Assert.Equal(1UL, m.H1.GetX(T0));

        // A whole-page write drops PageA's slots; hart 0 then decodes PageB into the array they freed.
        var page = new byte[PhysicalMemory.PageSize];
        BitConverter.TryWriteBytes(page, Addi(T0, Zero, 2));
        Assert.Equal(page.Length, m.Bus.WriteBytes(PageA, page));
        m.H0.Pc = PageB;
        Step(m.H0);
        Assert.Equal(7UL, m.H0.GetX(T0));

        m.H1.Pc = PageA;
        Step(m.H1);
        Assert.Equal(2UL, m.H1.GetX(T0));
    }

    [Fact]
    public void A_breakpoint_of_one_hart_does_not_stop_another_sharing_the_cache()
    {
        var m = new TwoHarts();
        m.Load(PageA, Addi(T0, T0, 1), Addi(T0, T0, 1), Addi(T0, T0, 1));
        m.H0.AddBreakpoint(PageA + 4);

        Assert.Equal(CpuStop.Limit, m.H1.Run(3));
        Assert.Equal(3UL, m.H1.GetX(T0));
        Assert.Equal(CpuStop.Breakpoint, m.H0.Run(3));
        Assert.Equal(PageA + 4, m.H0.Pc);

        // Both set it, hart 0 removes it: hart 1 still stops there, hart 0 runs through.
        m.H1.AddBreakpoint(PageA + 4);
        m.H0.RemoveBreakpoint(PageA + 4);
        Assert.Equal(CpuStop.Limit, m.H0.Run(3));
        Assert.Equal(3UL, m.H0.GetX(T0));
        m.H1.Pc = PageA;
        Assert.Equal(CpuStop.Breakpoint, m.H1.Run(10));
        Assert.Equal(PageA + 4, m.H1.Pc);
    }

    [Fact]
    public void Restoring_a_harts_state_keeps_the_decoded_code_and_its_translation_state_is_reset()
    {
        var m = new TwoHarts();
        m.Load(PageA, Addi(T0, T0, 1), Addi(T0, T0, 1), Addi(T0, T0, 1));
        Step(m.H0);
        using var saved = new MemoryStream();
        using (var w = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true)) m.H0.SaveState(w);
        Step(m.H0, 2);
        Assert.Equal(3UL, m.H0.GetX(T0));

        saved.Position = 0;
        using (var r = new BinaryReader(saved)) m.H0.LoadState(r);
        Assert.Equal(PageA + 4, m.H0.Pc);
        Assert.True(m.Cache.Holds(0));
        Assert.Equal(Op.Addi, m.Cache.PageFor(0)[2].Op);
        Step(m.H0, 2);
        Assert.Equal(3UL, m.H0.GetX(T0));
    }
}
