using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Devices.Net;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>
/// Frames the peer sent before guests/net.c's driver was ready wait in the virtio-net device, which is
/// machine state: seeking a replay back to before the driver took them gives them back, and forward again
/// the guest takes each once (the time-travel snapshots hold them; the log is not read twice).
/// </summary>
public sealed class VirtioNetSeekTests
{
    [Fact]
    public void SeekingBackBeforeTheDriverTookTheFrames_GivesThemBack_AndForwardTheGuestTakesThemOnce()
    {
        var (log, console, _, stop) = NetGuestRecordReplayTests.Record(modern: false, firstPings: 2);
        Assert.Equal(StopKind.Exited, stop.Kind);

        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(log)));
        var replayed = new NetGuestRecordReplayTests.Collect();
        var board = VirtBoard.Create(NetGuestRecordReplayTests.Options(replay, replayed, new NetGuestRecordReplayTests.Listener(), modern: false));
        replay.Machine = board.Machine;
        var net = (VirtioNet)board.Virtio.Single().Device;
        var engine = new TimeTravelEngine(board.Machine, replay, interval: 4096);

        // The peer's two first pings came at count 0, before the driver started.
        engine.Seek(100);
        Assert.Equal(2, net.Pending);
        ulong end = stop.Icount - 1;
        engine.Seek(end);
        Assert.Equal(0, net.Pending);
        Assert.Equal(16ul, net.Received);
        Assert.Equal(console, replayed.Text);

        engine.Seek(100);
        Assert.Equal(2, net.Pending);
        Assert.Equal(2ul, net.Received);
        // Forward again from a snapshot: every frame reached the guest once, none twice.
        engine.Seek(end);
        Assert.Equal(0, net.Pending);
        Assert.Equal(16ul, net.Received);
        Assert.Equal(0ul, net.Dropped);
    }
}
