using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>The engine on its own: seeks, steps and reverse searches over a real recording, checked by state digests.</summary>
public class TimeTravelEngineTests
{
    private const ulong Interval = 1 << 16;

    private static (TimeTravelEngine Engine, Machine Machine, VirtBoard Board) Replaying(string guest)
    {
        string kernel = RepoPaths.Guest(guest);
        var (recording, _) = RecordReplayApiTests.Record(kernel, [], []);
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording)));
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Input = replay });
        replay.Machine = board.Machine;
        return (new TimeTravelEngine(board.Machine, replay, Interval), board.Machine, board);
    }

    [Fact]
    public void Seeking_back_and_forth_reaches_the_same_state_as_running_there()
    {
        var (engine, machine, _) = Replaying("count_loop");
        var at = new Dictionary<ulong, byte[]>();
        foreach (ulong target in new ulong[] { 100_000, 250_001, 700_000 })
        {
            engine.Seek(target);
            at[target] = MachineDigest.Compute(machine);
        }
        foreach (ulong target in new ulong[] { 250_001, 100_000, 700_000, 100_000 })
        {
            var stop = engine.Seek(target);
            Assert.Equal(StopKind.Reached, stop.Kind);
            Assert.Equal(target, machine.Icount);
            Assert.Equal(at[target], MachineDigest.Compute(machine));
        }
    }

    [Fact]
    public void Snapshots_are_taken_on_the_spacing_grid_on_the_way()
    {
        var (engine, _, _) = Replaying("count_loop");
        engine.Seek(5 * Interval + 7);
        // Every snapshot is on the grid of the step at its count (the step near the seek's target is finer).
        Assert.All(engine.Store.All, s => Assert.Equal(0UL, s.Icount % engine.Spacing.MinStep));
        for (ulong at = engine.Step; at <= 5 * Interval; at += engine.Step)
            Assert.True(engine.Store.Has(at), $"no snapshot at {at}");
        Assert.Equal("start", engine.Store.All[0].Name);
    }

    [Fact]
    public void A_seek_between_snapshots_leaves_one_just_short_of_its_target_for_the_steps_back()
    {
        var (engine, machine, _) = Replaying("count_loop");
        engine.Seek(8 * Interval);
        ulong target = 3 * Interval + Interval / 8 + 5_000; // 5,000 past a quarter-interval snapshot
        Assert.True(5_000 > 4 * engine.LandingGap);
        engine.Seek(target);
        Assert.True(engine.Store.Has(target - engine.LandingGap));
        var at = MachineDigest.Compute(machine);
        engine.ReverseStep();
        Assert.Equal(target - 1, machine.Icount);
        engine.StepForward();
        Assert.Equal(at, MachineDigest.Compute(machine));
        // Close to a snapshot already: no landing snapshot.
        int count = engine.Store.All.Count;
        engine.Seek(5 * Interval + 100);
        Assert.Equal(count, engine.Store.All.Count);
    }

    [Fact]
    public void A_forward_pass_leaves_a_snapshot_at_every_step_while_the_budget_allows()
    {
        var (engine, _, _) = Replaying("count_loop");
        Assert.Equal(StopKind.Exited, engine.Forward(ulong.MaxValue).Kind);
        ulong end = engine.Icount;
        // Well within the budget, none thinned: one at every step the spacing wants, to the end.
        ulong step = engine.Step;
        var all = engine.Store.All;
        Assert.True(all.Count > 20);
        for (ulong at = step; at <= end; at += step)
            Assert.True(engine.Store.Has(at), $"no snapshot at {at}");
        Assert.True(end - all[^1].Icount < step);
    }

    [Fact]
    public void A_second_far_jump_after_a_forward_pass_replays_at_most_one_step()
    {
        var (engine, machine, _) = Replaying("count_loop");
        engine.Seek(engine.End!.Value);
        ulong target = 7 * Interval + 12_345;
        var nearest = engine.Store.AtOrBefore(target)!;
        Assert.True(target - nearest.Icount < engine.Step);
        engine.Seek(target);
        Assert.Equal(target, machine.Icount);
    }

    [Fact]
    public void A_reverse_step_goes_back_exactly_one_instruction()
    {
        var (engine, machine, _) = Replaying("count_loop");
        engine.Seek(3 * Interval);
        var before = MachineDigest.Compute(machine);
        engine.StepForward();
        var back = engine.ReverseStep();
        Assert.Equal(StopKind.Reached, back.Kind);
        Assert.Equal(3 * Interval, machine.Icount);
        Assert.Equal(before, MachineDigest.Compute(machine));
    }

    [Fact]
    public void A_reverse_step_at_the_start_reports_the_beginning_of_history()
    {
        var (engine, machine, _) = Replaying("hello");
        Assert.Equal(StopKind.HistoryBegin, engine.ReverseStep().Kind);
        Assert.Equal(0UL, machine.Icount);
    }

    [Fact]
    public void Reverse_continue_lands_on_the_last_breakpoint_hit_before_the_present()
    {
        var (engine, machine, board) = Replaying("count_loop");
        ulong main = board.SymbolSource!.Symbols.First(s => s.Name == "main").Value;
        var end = engine.Forward(ulong.MaxValue);
        Assert.Equal(StopKind.Exited, end.Kind);
        ulong last = machine.Icount;
        board.Hart.AddBreakpoint(main);
        var hit = engine.ReverseContinue();
        Assert.Equal(StopKind.Breakpoint, hit.Kind);
        Assert.Equal(machine.Icount, hit.Icount);
        Assert.True(hit.Icount < last);
        Assert.Equal(main, board.Hart.Pc);
    }

    [Fact]
    public void A_replay_break_stops_a_forward_run_at_its_count()
    {
        var (engine, machine, _) = Replaying("count_loop");
        engine.AddReplayBreak(123_457);
        var stop = engine.Forward(ulong.MaxValue);
        Assert.Equal(StopKind.Reached, stop.Kind);
        Assert.Equal(123_457UL, machine.Icount);
        Assert.True(engine.RemoveReplayBreak(123_457));
    }
}
