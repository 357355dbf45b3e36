using System.Buffers.Binary;
using Rewind.Board;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>The engine's last-write and next-write searches and its progress reports, on revdebug's counter.</summary>
public class WriteSearchTests
{
    private static (TimeTravelEngine Engine, Machine Machine, ulong Counter) Replaying(string guest = "revdebug", ulong interval = 1 << 10)
    {
        string kernel = RepoPaths.Guest(guest);
        var (recording, _) = RecordReplayApiTests.Record(kernel, [], []);
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording)));
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Input = replay });
        replay.Machine = board.Machine;
        ulong counter = board.SymbolSource!.Symbols.FirstOrDefault(s => s.Name == "counter")?.Value ?? 0;
        return (new TimeTravelEngine(board.Machine, replay, interval), board.Machine, counter);
    }

    private static int Read(Machine m, ulong address)
    {
        var b = new byte[4];
        m.Cpus[0].DebugRead(address, b);
        return BinaryPrimitives.ReadInt32LittleEndian(b);
    }

    [Fact]
    public void Last_write_lands_on_the_store_with_the_old_value_and_reports_both()
    {
        var (engine, machine, counter) = Replaying();
        engine.Seek(engine.End!.Value);
        var hit = engine.LastWrite(counter, 4);
        Assert.NotNull(hit);
        Assert.Equal(hit.Icount, machine.Icount);
        Assert.Equal(hit.Pc, machine.Cpus[0].Pc);
        // revdebug's last write: counter = counter + fib(10), 20 + 55.
        Assert.Equal(20, BinaryPrimitives.ReadInt32LittleEndian(hit.Old));
        Assert.Equal(75, BinaryPrimitives.ReadInt32LittleEndian(hit.New));
        Assert.Equal(20, Read(machine, counter));
        engine.StepForward();
        Assert.Equal(75, Read(machine, counter));
    }

    [Fact]
    public void Last_and_next_write_walk_through_every_write_in_both_directions()
    {
        var (engine, machine, counter) = Replaying();
        engine.Seek(engine.End!.Value);
        var back = new List<ulong>();
        while (engine.LastWrite(counter, 4) is WriteHit h) back.Add(h.Icount);
        // crt0 clearing .bss, counter = 0, five times in step_one and accumulate each, the last one in main.
        Assert.Equal(13, back.Count);
        Assert.Equal(back.OrderDescending(), back);
        Assert.Equal(back[^1], machine.Icount);
        var forward = new List<ulong>();
        while (engine.NextWrite(counter, 4) is WriteHit h) forward.Add(h.Icount);
        Assert.Equal(back.Take(back.Count - 1).Reverse(), forward);
        Assert.Equal(back[0], machine.Icount);
    }

    [Fact]
    public void A_search_that_finds_nothing_stays_where_it_was_and_passes_over_other_stops()
    {
        var (engine, machine, counter) = Replaying();
        var first = engine.NextWrite(counter, 4);
        Assert.NotNull(first);
        machine.Cpus[0].AddBreakpoint(machine.Cpus[0].Pc + 4);
        Assert.Null(engine.LastWrite(counter, 4));
        Assert.Equal(first.Icount, machine.Icount);
        Assert.Empty(((Rewind.Riscv.Hart)machine.Cpus[0]).Watchpoints);
        var next = engine.NextWrite(counter, 4);
        Assert.NotNull(next);
        Assert.True(next.Icount > first.Icount);
    }

    [Fact]
    public void A_long_travel_reports_progress_and_runs_exactly_as_without()
    {
        var (quiet, quietMachine, _) = Replaying("count_loop", interval: 1 << 16);
        var (told, toldMachine, _) = Replaying("count_loop", interval: 1 << 16);
        ulong end = quiet.End!.Value;
        quiet.Seek(end);
        var reports = new List<TravelProgress>();
        // Every slice rather than every half second: the count_loop replay takes less than a period.
        told.ProgressPeriod = TimeSpan.Zero;
        using (told.ReportProgressTo(reports.Add)) told.Seek(end);
        told.Seek(0);
        told.Seek(end);
        Assert.Equal(MachineDigest.Compute(quietMachine), MachineDigest.Compute(toldMachine));
        Assert.Equal(quietMachine.Icount, toldMachine.Icount);
        Assert.NotEmpty(reports);
        Assert.All(reports, p => Assert.Equal("seeking", p.Operation));
        Assert.All(reports, p => Assert.InRange(p.Done, 0UL, p.Total));
        Assert.Equal(reports.Select(p => p.Done).Order(), reports.Select(p => p.Done));
        // Out of the scope, nothing more is heard.
        Assert.Equal(reports.Count, reports.Count(p => p.Icount <= end));
    }

    [Fact]
    public void Progress_reads_as_a_percentage_of_short_counts()
    {
        var p = new TravelProgress("seeking", 900_000_000, 2_130_000_000, 5);
        Assert.Equal("seeking 42% (900M of 2.1G instructions)", p.ToString());
        Assert.Equal("12.3K", TravelProgress.Short(12_345));
    }
}
