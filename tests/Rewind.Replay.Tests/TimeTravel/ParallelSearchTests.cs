using Rewind.Board;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>
/// The reverse search split among clones of the machine finds exactly what the serial search finds:
/// the same stops at the same counts, and the machine left in the same state, on several guests,
/// breakpoints and watchpoints. Small snapshot intervals make the searches long enough to split.
/// </summary>
public class ParallelSearchTests
{
    private const ulong Interval = 1 << 12;

    private sealed record Replayer(TimeTravelEngine Engine, Machine Machine, VirtBoard Board)
    {
        public ulong Symbol(string name) => Board.SymbolSource!.Symbols.First(s => s.Name == name).Value;
    }

    private static byte[] Record(string guest, int harts)
    {
        string kernel = RepoPaths.Guest(guest);
        var ms = new MemoryStream();
        var header = new RecordingHeader(
            [new("machine", "virt"), new("ram", "134217728"), new("smp", harts.ToString(System.Globalization.CultureInfo.InvariantCulture)),
             new("icount_shift", "3"), new("bios", "none"), new("kernel", kernel), new("append", "")],
            [ImageHash.Of("kernel", kernel)]);
        var writer = new ReplayLogWriter(ms, header, leaveOpen: true);
        var rec = new RecordingInput(writer, () => 1_700_000_000_000_000_000);
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Smp = harts, Input = rec });
        rec.Machine = board.Machine;
        var stop = board.Machine.Run(1_000_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        rec.Finish(board.Machine.Icount, "poweroff");
        rec.Dispose();
        return ms.ToArray();
    }

    /// <summary>A replay of <paramref name="recording"/>; with <paramref name="workers"/> above 1, long searches run on clones.</summary>
    private static Replayer Replaying(string guest, byte[] recording, int harts, int workers, ulong interval = Interval)
    {
        var options = new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest(guest), IcountShift = 3, Smp = harts };
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording)));
        var board = VirtBoard.Create(options with { Input = replay });
        replay.Machine = board.Machine;
        var engine = new TimeTravelEngine(board.Machine, replay, interval)
        {
            SearchWorkers = workers,
            CloneFactory = fork =>
            {
                var clone = VirtBoard.Create(options with { Input = fork }).Machine;
                fork.Machine = clone;
                return clone;
            },
        };
        return new Replayer(engine, board.Machine, board);
    }

    /// <summary>What a search leaves: its stop, where the machine is, and the whole machine's digest.</summary>
    private static (StopKind, ulong, int, WatchHit?, string) Outcome(Replayer r, MachineStop stop) =>
        (stop.Kind, stop.Icount, stop.Cpu, stop.Watch, Convert.ToHexString(MachineDigest.Compute(r.Machine)));

    /// <summary>Runs <paramref name="scenario"/> on a serial and a 3-worker replay; both must see the same.</summary>
    private static void BothAgree(string guest, int harts, Func<Replayer, IEnumerable<object>> scenario, ulong interval = Interval)
    {
        var recording = Record(guest, harts);
        var serial = Replaying(guest, recording, harts, workers: 1, interval);
        var parallel = Replaying(guest, recording, harts, workers: 3, interval);
        var expected = scenario(serial).ToList();
        var actual = scenario(parallel).ToList();
        Assert.Equal(0, serial.Engine.CloneCount);
        Assert.True(parallel.Engine.CloneCount > 1, "the parallel replay never split a search");
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void Reverse_continue_to_a_breakpoint_far_back_finds_the_same_hit_on_clones()
    {
        BothAgree("count_loop", 1, r =>
        {
            var results = new List<object>();
            Assert.Equal(StopKind.Exited, r.Engine.Forward(ulong.MaxValue).Kind);
            r.Machine.Cpus[0].AddBreakpoint(r.Symbol("main"));
            var hit = r.Engine.ReverseContinue();
            Assert.Equal(StopKind.Breakpoint, hit.Kind);
            results.Add(Outcome(r, hit));
            // Nothing before main's entry: back to the beginning of history.
            results.Add(Outcome(r, r.Engine.ReverseContinue()));
            Assert.Equal(0UL, r.Machine.Icount);
            return results;
        });
    }

    [Fact]
    public void Reverse_watchpoint_hits_and_last_writes_agree_with_the_serial_search()
    {
        BothAgree("revdebug", 1, r =>
        {
            var results = new List<object>();
            ulong counter = r.Symbol("counter");
            Assert.Equal(StopKind.Exited, r.Engine.Forward(ulong.MaxValue).Kind);
            ulong end = r.Machine.Icount;
            var hit = r.Engine.LastWrite(counter, 4)!;
            results.Add((hit.Icount, hit.Pc, Convert.ToHexString(hit.Old), Convert.ToHexString(hit.New)));
            foreach (var c in r.Machine.Cpus) c.AddWatchpoint(new Watchpoint(counter, 4, WatchKind.Write));
            for (int i = 0; i < 4; i++)
            {
                var stop = r.Engine.ReverseContinue();
                Assert.Equal(StopKind.Watchpoint, stop.Kind);
                results.Add(Outcome(r, stop));
                // Off the access, as GDB steps off it, before the next search.
                r.Engine.Seek(r.Machine.Icount - 1);
            }
            r.Engine.Seek(end);
            foreach (var c in r.Machine.Cpus) c.RemoveWatchpoint(new Watchpoint(counter, 4, WatchKind.Write));
            // A far breakpoint, found while an old write is also watched and passed over.
            r.Machine.Cpus[0].AddBreakpoint(r.Symbol("accumulate"));
            results.Add(Outcome(r, r.Engine.ReverseContinue()));
            return results;
        }, interval: 1 << 8); // revdebug is short: small intervals make its searches long enough to split
    }

    [Fact]
    public void Reverse_searches_over_two_harts_agree_with_the_serial_search()
    {
        BothAgree("smp", 2, r =>
        {
            var results = new List<object>();
            Assert.Equal(StopKind.Exited, r.Engine.Forward(ulong.MaxValue).Kind);
            ulong work = r.Symbol("work");
            foreach (var c in r.Machine.Cpus) c.AddBreakpoint(work);
            for (int i = 0; i < 3; i++)
            {
                var stop = r.Engine.ReverseContinue();
                results.Add(Outcome(r, stop));
                if (stop.Kind != StopKind.Breakpoint) break;
            }
            return results;
        });
    }

    [Fact]
    public void A_breakpoint_hit_exactly_on_a_snapshot_is_found_going_back()
    {
        var recording = Record("count_loop", 1);
        foreach (int workers in new[] { 1, 3 })
        {
            var r = Replaying("count_loop", recording, 1, workers);
            r.Engine.Seek(64 * Interval);
            ulong at = 40 * Interval;
            Assert.True(r.Engine.Store.Has(at));
            r.Engine.Seek(at);
            ulong pc = r.Machine.Cpus[0].Pc;
            r.Engine.Seek(at + 1);
            r.Machine.Cpus[0].AddBreakpoint(pc);
            var stop = r.Engine.ReverseContinue();
            Assert.Equal(StopKind.Breakpoint, stop.Kind);
            Assert.Equal(at, stop.Icount);
        }
    }

    [Fact]
    public void Clones_hand_back_the_snapshots_they_pass_and_the_store_restores_them_exactly()
    {
        var recording = Record("count_loop", 1);
        var r = Replaying("count_loop", recording, 1, workers: 3);
        Assert.Equal(StopKind.Exited, r.Engine.Forward(ulong.MaxValue).Kind);
        ulong end = r.Machine.Icount;
        // Forget the forward pass's snapshots far back, as thinning under a tight budget would.
        r.Engine.Store.Thin(end, 4 * Interval, divisor: 4);
        var before = r.Engine.Store.All.Select(s => s.Icount).ToHashSet();
        r.Machine.Cpus[0].AddBreakpoint(r.Symbol("main"));
        Assert.Equal(StopKind.Breakpoint, r.Engine.ReverseContinue().Kind);
        Assert.True(r.Engine.CloneCount > 1, "the search never split");
        var handedBack = r.Engine.Store.All.Select(s => s.Icount).Where(c => !before.Contains(c)).ToList();
        Assert.True(handedBack.Count > 10, $"{handedBack.Count} snapshots handed back");
        Assert.All(handedBack, c => Assert.True(r.Engine.Spacing.Wants(c) || c == r.Machine.Icount - r.Engine.LandingGap, $"{c} is off the grid"));
        // Each restores to exactly the machine a plain replay reaches there.
        var serial = Replaying("count_loop", recording, 1, workers: 1);
        foreach (ulong c in handedBack.Where((_, i) => i % 5 == 0))
        {
            r.Engine.Seek(c);
            serial.Engine.Seek(c);
            Assert.Equal(MachineDigest.Compute(serial.Machine), MachineDigest.Compute(r.Machine));
        }
    }

    [Fact]
    public void Snapshots_handed_back_make_the_next_far_jump_there_replay_at_most_one_step()
    {
        var r = Replaying("count_loop", Record("count_loop", 1), 1, workers: 3);
        Assert.Equal(StopKind.Exited, r.Engine.Forward(ulong.MaxValue).Kind);
        ulong end = r.Machine.Icount;
        r.Engine.Store.Thin(end, 4 * Interval, divisor: 4);
        ulong target = 20 * Interval + 123;
        Assert.True(target - r.Engine.Store.AtOrBefore(target)!.Icount > r.Engine.Step);
        r.Machine.Cpus[0].AddBreakpoint(r.Symbol("main"));
        r.Engine.ReverseContinue();
        r.Machine.Cpus[0].RemoveBreakpoint(r.Symbol("main"));
        Assert.True(target - r.Engine.Store.AtOrBefore(target)!.Icount <= r.Engine.Step);
    }

    [Fact]
    public void Segments_start_at_snapshots_and_cover_the_stretch_newest_first()
    {
        var r = Replaying("count_loop", Record("count_loop", 1), 1, workers: 1);
        r.Engine.Seek(100 * Interval);
        ulong floor = 3 * Interval + 5, end = 90 * Interval + 7;
        var segments = ParallelReverseSearch.Segments(r.Engine.Store, floor, end, 10 * Interval);
        Assert.Equal(end, segments[0].End);
        Assert.Equal(floor, segments[^1].Start);
        for (int i = 0; i < segments.Count; i++)
        {
            Assert.True(segments[i].Start < segments[i].End);
            if (i > 0) Assert.Equal(segments[i - 1].Start, segments[i].End);
            if (i < segments.Count - 1) Assert.True(r.Engine.Store.Has(segments[i].Start));
        }
    }
}
