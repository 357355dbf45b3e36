using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>Where snapshots go: by replay cost and snapshot size, within the budget, finer near the focus, on nested grids.</summary>
public class SnapshotSpacingTests
{
    private const ulong Interval = 1 << 20;
    private const long Budget = 512L << 20;

    private static bool IsMinStepTimesPowerOfTwo(SnapshotSpacing s, ulong step) =>
        step % s.MinStep == 0 && ulong.IsPow2(step / s.MinStep);

    [Fact]
    public void Cheap_snapshots_of_cheap_replay_come_more_often_than_the_interval()
    {
        var s = new SnapshotSpacing(Interval, Budget, 1 << 17);
        for (int i = 0; i < 20; i++)
        {
            s.NoteSnapshot(2 << 10);
            s.NoteReplay(Interval / 8, 0);
        }
        Assert.True(s.Step < Interval, $"step {s.Step}");
        Assert.True(s.Step >= s.MinStep);
        Assert.True(IsMinStepTimesPowerOfTwo(s, s.Step));
    }

    [Fact]
    public void Big_snapshots_keep_the_whole_interval_between_them()
    {
        var s = new SnapshotSpacing(Interval, Budget, 1 << 17);
        for (int i = 0; i < 20; i++) s.NoteSnapshot(8 << 20);
        Assert.Equal(Interval, s.Step);
    }

    [Fact]
    public void Replay_that_delivers_many_recorded_events_gets_denser_snapshots()
    {
        var quiet = new SnapshotSpacing(Interval, Budget, 1 << 17);
        var busy = new SnapshotSpacing(Interval, Budget, 1 << 17);
        for (int i = 0; i < 20; i++)
        {
            quiet.NoteSnapshot(2 << 10);
            busy.NoteSnapshot(2 << 10);
            quiet.NoteReplay(Interval / 8, 0);
            busy.NoteReplay(Interval / 8, 200);
        }
        Assert.True(busy.Step < quiet.Step, $"busy {busy.Step}, quiet {quiet.Step}");
        Assert.True(IsMinStepTimesPowerOfTwo(busy, busy.Step));
    }

    [Fact]
    public void A_long_recording_spaces_snapshots_so_that_a_whole_pass_fits_half_the_budget()
    {
        var s = new SnapshotSpacing(Interval, budgetBytes: 64L << 20, maxSnapshots: 1 << 17) { Length = 4_000_000_000 };
        for (int i = 0; i < 20; i++)
        {
            s.NoteSnapshot(4 << 10);
            s.NoteReplay(Interval / 8, 0);
        }
        ulong snapshots = 4_000_000_000 / s.Step;
        Assert.True(snapshots * (4 << 10) <= 32L << 20, $"step {s.Step}: {snapshots} snapshots");
        Assert.True(snapshots <= 1 << 16);
    }

    [Fact]
    public void Near_the_focus_the_step_is_a_quarter_and_the_grid_nests()
    {
        var s = new SnapshotSpacing(Interval, Budget, 1 << 17);
        for (int i = 0; i < 20; i++) s.NoteSnapshot(8 << 20);
        ulong step = s.Step;
        ulong focus = 100 * Interval + 777;
        s.Focus = focus;
        Assert.Equal(step / 4, s.StepAt(focus));
        Assert.Equal(step / 4, s.StepAt(focus - s.FocusReach));
        Assert.Equal(step, s.StepAt(focus - s.FocusReach - 1));
        Assert.Equal(step, s.StepAt(focus + s.FocusReach + 1));
        // From the last coarse point before the focus region, the next point is the region's first fine one.
        ulong from = focus - s.FocusReach - 777;
        Assert.True(s.Wants(from));
        ulong next = s.NextPoint(from);
        Assert.Equal(from + step / 4, next);
        Assert.True(s.Wants(next));
        // Every coarse point is also a fine one.
        Assert.Equal(0UL, step % s.StepAt(focus));
    }

    [Fact]
    public void Next_points_are_exactly_the_counts_wanted()
    {
        var s = new SnapshotSpacing(1 << 12, Budget, 1 << 17) { Focus = 40_000 };
        ulong at = 0;
        var points = new List<ulong>();
        while (at < 100_000)
        {
            at = s.NextPoint(at);
            if (s.Wants(at)) points.Add(at);
        }
        var wanted = new List<ulong>();
        for (ulong c = 1; c <= points[^1]; c++)
            if (s.Wants(c)) wanted.Add(c);
        Assert.Equal(wanted, points);
    }
}
