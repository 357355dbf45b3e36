namespace Rewind.Timeline.Tests;

public class TimelineLaneTests
{
    private static readonly TimelineLane Lane = new("input", "inputs", [5, 10, 10, 19, 20, 95], i => $"event {i}");

    [Fact]
    public void Buckets_count_the_events_of_each_range_of_counts()
    {
        Assert.Equal([1, 3, 1, 0], Lane.Buckets(0, 10, 4));
        Assert.Equal([6], Lane.Buckets(0, 100, 1));
        Assert.Equal([0, 0], Lane.Buckets(200, 10, 2));
    }

    [Fact]
    public void Count_in_a_range_includes_its_start_and_excludes_its_end()
    {
        Assert.Equal(2, Lane.CountIn(10, 19));
        Assert.Equal(0, Lane.CountIn(30, 30));
        Assert.Equal(6, Lane.CountIn(0, ulong.MaxValue));
    }

    [Fact]
    public void Events_of_a_range_come_in_order_with_their_text_up_to_a_limit()
    {
        Assert.Equal([new TimelineEvent(19, "event 3"), new TimelineEvent(20, "event 4")], Lane.Events(11, 95, 10));
        Assert.Equal(2, Lane.Events(0, 100, 2).Count);
    }

    [Fact]
    public void Buckets_near_the_top_of_the_count_range_do_not_wrap()
    {
        var lane = new TimelineLane("x", "x", [ulong.MaxValue - 1], _ => "");
        Assert.Equal([0, 1], lane.Buckets(ulong.MaxValue - 100, 64, 2));
    }
}
