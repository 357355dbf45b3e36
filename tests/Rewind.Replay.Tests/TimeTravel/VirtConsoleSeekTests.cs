using System.Text;
using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Devices.Serial;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>
/// A virtconsole's host bytes are machine state until the guest takes them: seeking a replay of
/// guests/vconsole.c back before the driver opened the port gives them back, and forward again the guest
/// reads them (the time-travel snapshots hold them).
/// </summary>
public sealed class VirtConsoleSeekTests
{
    private sealed class Capture : IConsoleOutput
    {
        public StringBuilder Text { get; } = new();
        public void Write(ReadOnlySpan<byte> data) => Text.Append(Encoding.ASCII.GetString(data));
    }

    private static BoardOptions Options(IInputBoundary input, Capture output) => new()
    {
        Bios = "none",
        Kernel = RepoPaths.Guest("vconsole"),
        IcountShift = 3,
        Input = input,
        VirtioDevices = [new SerialDeviceSpec { Ports = [new ConsolePortSpec(0, null, "c0", 0)] }],
        ConsoleOutputs = new Dictionary<string, IConsoleOutput> { ["c0"] = output },
    };

    private static VirtioConsolePort Port(VirtBoard board) =>
        ((VirtioConsole)board.Virtio.Single().Device).Ports[0];

    [Fact]
    public void SeekingBackBeforeThePortOpened_GivesThePendingBytesBack_AndForwardTheGuestReadsThemOnce()
    {
        var ms = new MemoryStream();
        var rec = new RecordingInput(new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true));
        var recorded = new Capture();
        var recorder = VirtBoard.Create(Options(rec, recorded));
        rec.Machine = recorder.Machine;
        rec.Enqueue(InputChannels.VirtConsole(0), "abc\n"u8.ToArray());
        var stop = recorder.Machine.Run(10_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        rec.Finish(recorder.Machine.Icount, "poweroff");
        rec.Dispose();
        Assert.Equal("hello from virtconsole\necho: abc\n", recorded.Text.ToString());

        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(ms.ToArray())));
        var replayed = new Capture();
        var board = VirtBoard.Create(Options(replay, replayed));
        replay.Machine = board.Machine;
        var engine = new TimeTravelEngine(board.Machine, replay, interval: 4096);
        engine.Seek(100);
        Assert.Equal(4, Port(board).Pending);
        Assert.False(Port(board).GuestConnected);
        ulong end = stop.Icount - 1;
        engine.Seek(end);
        Assert.Equal(0, Port(board).Pending);
        Assert.True(Port(board).GuestConnected);
        Assert.Equal(recorded.Text.ToString(), replayed.Text.ToString());
        engine.Seek(100);
        Assert.Equal(4, Port(board).Pending);
        Assert.False(Port(board).GuestConnected);
        // Forward again (from a snapshot): the guest has taken the bytes, the port is open.
        engine.Seek(end);
        Assert.Equal(0, Port(board).Pending);
        Assert.True(Port(board).GuestConnected);
    }
}
