using Rewind.Board;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>
/// Searches and stops on a device's write into guest memory (DMA), on guests/virtio.c's request status
/// byte: the device writes it in the devices' turn of a count, so a stop there is inside that count and
/// a seek to the same count must put back the state before the write.
/// </summary>
public sealed class DeviceWriteSearchTests : IDisposable
{
    private readonly string _disk = Path.GetTempFileName();

    public DeviceWriteSearchTests() => File.WriteAllBytes(_disk, new byte[1 << 20]);

    public void Dispose() => File.Delete(_disk);

    private BoardOptions Options(Core.Input.IInputBoundary input) => new()
    {
        Bios = "none",
        Kernel = RepoPaths.Guest("virtio"),
        IcountShift = 3,
        Input = input,
        VirtioDevices = [new BlockDeviceSpec(_disk), new RngDeviceSpec()],
    };

    private (TimeTravelEngine Engine, Machine Machine, ulong Status) Replaying(ulong interval, int workers = 1)
    {
        var ms = new MemoryStream();
        var rec = new RecordingInput(new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true));
        var recorder = VirtBoard.Create(Options(rec));
        rec.Machine = recorder.Machine;
        var stop = recorder.Machine.Run(10_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        rec.Finish(recorder.Machine.Icount, "poweroff");
        rec.Dispose();

        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(ms.ToArray())));
        var board = VirtBoard.Create(Options(replay));
        replay.Machine = board.Machine;
        ulong status = board.SymbolSource!.Symbols.Single(s => s.Name == "status").Value;
        var engine = new TimeTravelEngine(board.Machine, replay, interval)
        {
            SearchWorkers = workers,
            CloneFactory = fork =>
            {
                var clone = VirtBoard.Create(Options(fork) with { DiskWriteThrough = false }).Machine;
                fork.Machine = clone;
                return clone;
            },
        };
        return (engine, board.Machine, status);
    }

    private static byte Read(Machine m, ulong address)
    {
        var b = new byte[1];
        m.Cpus[0].DebugRead(address, b);
        return b[0];
    }

    [Fact]
    public void Next_write_by_the_device_reports_the_value_before_the_write_and_lands_before_it()
    {
        var (engine, machine, status) = Replaying(interval: 1 << 10);
        var device = new List<WriteHit>();
        while (engine.NextWrite(status, 1) is WriteHit h)
            if (h.ByDevice) device.Add(h);
        // get-id, read, write (indirect), read back, read past the end, flush: each status by the device,
        // over the 0xff the guest stored before the request.
        Assert.Equal(6, device.Count);
        Assert.All(device, h => Assert.Equal([0xff], h.Old));
        Assert.Equal([0, 0, 0, 0, 1, 0], device.Select(h => (int)h.New[0]));

        // The search stopped on the last one after the device's write, and landed before it.
        Assert.Equal(device[^1].Icount, machine.Icount);
        Assert.Equal(0xff, Read(machine, status));
    }

    [Fact]
    public void A_forward_stop_on_a_device_write_then_a_seek_to_its_count_shows_the_value_before_it()
    {
        var (engine, machine, status) = Replaying(interval: 1 << 10);
        var watch = new Watchpoint(status, 1, WatchKind.Write);
        machine.AddWatchpoint(watch);
        MachineStop stop;
        do stop = engine.Forward(ulong.MaxValue, stepOverBreakpoint: true);
        while (stop.Kind == StopKind.Watchpoint && stop.Watch is not { ByDevice: true });
        Assert.Equal(StopKind.Watchpoint, stop.Kind);
        ulong at = machine.Icount;
        Assert.Equal(0, Read(machine, status));     // the device has written its status
        engine.Seek(at);
        Assert.Equal(at, machine.Icount);
        Assert.Equal(0xff, Read(machine, status));  // the state at the count is before its devices' turn
        machine.RemoveWatchpoint(watch);
        engine.StepForward();
        Assert.Equal(0, Read(machine, status));
    }

    [Fact]
    public void Clones_searching_back_in_parallel_find_the_device_writes_the_serial_search_finds()
    {
        List<(ulong, bool, string, string)> WritesBack(int workers, out int clones)
        {
            // Small snapshot steps make the searches long enough to split among clones.
            var (engine, _, status) = Replaying(interval: 1 << 6, workers);
            engine.Seek(engine.End!.Value);
            var writes = new List<(ulong, bool, string, string)>();
            while (engine.LastWrite(status, 1) is WriteHit h)
                writes.Add((h.Icount, h.ByDevice, Convert.ToHexString(h.Old), Convert.ToHexString(h.New)));
            clones = engine.CloneCount;
            return writes;
        }
        var serial = WritesBack(1, out _);
        var parallel = WritesBack(3, out int clones);
        Assert.True(clones > 1, "the searches never split among clones");
        Assert.Equal(6, serial.Count(w => w.Item2));
        Assert.Equal(serial, parallel);
    }
}
