using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Devices.Block;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>The virtio-blk overlay is machine state: seeking a replay back and forth puts the disk back exactly.</summary>
public sealed class VirtioDiskSeekTests : IDisposable
{
    private readonly string _disk = Path.GetTempFileName();

    public VirtioDiskSeekTests() => File.WriteAllBytes(_disk, new byte[1 << 20]);

    public void Dispose() => File.Delete(_disk);

    private BoardOptions Options(Core.Input.IInputBoundary input) => new()
    {
        Bios = "none",
        Kernel = RepoPaths.Guest("virtio"),
        IcountShift = 3,
        Input = input,
        VirtioDevices = [new BlockDeviceSpec(_disk), new RngDeviceSpec()],
    };

    private static byte[] Sector1(VirtBoard board)
    {
        var blk = (VirtioBlock)board.Virtio.Single(t => t.Device is VirtioBlock).Device;
        var data = new byte[512];
        blk.Disk.Read(512, data);
        return data;
    }

    [Fact]
    public void SeekingBackBeforeTheGuestsWrite_RestoresTheDisk_AndForwardAgainRedoesIt()
    {
        var ms = new MemoryStream();
        var rec = new RecordingInput(new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true));
        var recorder = VirtBoard.Create(Options(rec));
        rec.Machine = recorder.Machine;
        var stop = recorder.Machine.Run(10_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        rec.Finish(recorder.Machine.Icount, "poweroff");
        rec.Dispose();
        byte[] written = Sector1(recorder);
        Assert.Contains(written, b => b != 0);

        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(ms.ToArray())));
        var board = VirtBoard.Create(Options(replay));
        replay.Machine = board.Machine;
        var engine = new TimeTravelEngine(board.Machine, replay, interval: 4096);
        ulong end = stop.Icount - 1;
        engine.Seek(end);
        Assert.Equal(written, Sector1(board));
        engine.Seek(100);
        Assert.All(Sector1(board), b => Assert.Equal(0, b));
        engine.Seek(end);
        Assert.Equal(written, Sector1(board));
        Assert.All(File.ReadAllBytes(_disk), b => Assert.Equal(0, b));
    }
}
