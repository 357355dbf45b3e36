using System.Text;
using Rewind.Core.Input;

namespace Rewind.Core.Tests;

public class LiveInputTests
{
    private sealed class CapturingSink : IInputSink
    {
        public List<byte[]> Received { get; } = [];
        public void Receive(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
        public string Text => string.Concat(Received.Select(b => Encoding.ASCII.GetString(b)));
    }

    private sealed class LoggingInput : LiveInput
    {
        public List<(ulong Icount, InputChannel Channel, byte[] Data)> Delivered { get; } = [];
        public List<(ulong Icount, ulong Value)> ClockReads { get; } = [];

        public LoggingInput() : base(() => 1234) { }

        protected override void OnDeliver(ulong icount, InputChannel channel, byte[] data) =>
            Delivered.Add((icount, channel, data));

        protected override void OnClockRead(ulong icount, ulong value) => ClockReads.Add((icount, value));
    }

    [Fact]
    public void Queued_bytes_reach_the_attached_sink_only_at_DeliverDue()
    {
        var input = new LiveInput();
        var sink = new CapturingSink();
        input.Attach(InputChannel.Serial0, sink);

        input.Enqueue(InputChannel.Serial0, "ab"u8.ToArray());
        input.Enqueue(InputChannel.Serial0, "c"u8.ToArray());
        Assert.True(input.HasPending);
        Assert.Empty(sink.Received);

        input.DeliverDue(100);
        Assert.Equal("abc", sink.Text);
        Assert.Equal(2, sink.Received.Count);
        Assert.False(input.HasPending);

        input.DeliverDue(200);
        Assert.Equal(2, sink.Received.Count);
    }

    [Fact]
    public void Each_channel_goes_to_its_own_sink()
    {
        var input = new LiveInput();
        var serial = new CapturingSink();
        var power = new CapturingSink();
        input.Attach(InputChannel.Serial0, serial);
        input.Attach(InputChannel.Power, power);
        input.Enqueue(InputChannel.Power, [1]);
        input.Enqueue(InputChannel.Serial0, "x"u8.ToArray());
        input.DeliverDue(0);
        Assert.Equal("x", serial.Text);
        Assert.Equal([1], power.Received.Single());
    }

    [Fact]
    public void Input_for_a_channel_without_a_sink_is_dropped()
    {
        var input = new LiveInput();
        input.Enqueue(InputChannel.Serial0, [1, 2]);
        input.DeliverDue(5);
        Assert.False(input.HasPending);
        var sink = new CapturingSink();
        input.Attach(InputChannel.Serial0, sink);
        input.DeliverDue(6);
        Assert.Empty(sink.Received);
    }

    [Fact]
    public void Live_input_has_no_due_count_and_no_history_end()
    {
        var input = new LiveInput();
        Assert.Equal(ulong.MaxValue, input.NextDueIcount);
        Assert.Null(input.HistoryEnd);
    }

    [Fact]
    public void Deliveries_and_clock_reads_are_reported_with_their_instruction_count()
    {
        var input = new LoggingInput();
        input.Attach(InputChannel.Serial0, new CapturingSink());
        input.Enqueue(InputChannel.Serial0, "q"u8.ToArray());
        input.DeliverDue(42);
        Assert.Equal(1234UL, input.ReadHostClock(50));

        var d = Assert.Single(input.Delivered);
        Assert.Equal(42UL, d.Icount);
        Assert.Equal(InputChannel.Serial0, d.Channel);
        Assert.Equal("q"u8.ToArray(), d.Data);
        Assert.Equal([(50UL, 1234UL)], input.ClockReads);
    }

    [Fact]
    public void Enqueue_is_safe_from_several_threads()
    {
        var input = new LiveInput();
        var sink = new CapturingSink();
        input.Attach(InputChannel.Serial0, sink);
        Parallel.For(0, 8, t =>
        {
            for (int i = 0; i < 1000; i++) input.Enqueue(InputChannel.Serial0, [(byte)t]);
        });
        input.DeliverDue(0);
        Assert.Equal(8000, sink.Received.Count);
    }
}
