using Rewind.Board;
using Rewind.Core.Input;
using Rewind.Monitor.Hmp;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

/// <summary>HMP's replay_seek typed while recording: an error, and the run state as it was (QEMU keeps running).</summary>
public sealed class ReplaySeekWhileRecordingTests
{
    [Fact]
    public async Task Replay_seek_while_recording_reports_an_error_and_the_machine_keeps_running()
    {
        var options = new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("uart_echo"), IcountShift = 3 };
        using var log = new MemoryStream();
        using var recorder = new RecordingInput(new ReplayLogWriter(log, RecordReplay.HeaderFor("virt", options), leaveOpen: true), () => 0);
        var board = VirtBoard.Create(options with { Input = recorder });
        recorder.Machine = board.Machine;
        var runner = new MachineRunner(board.Machine, recorder, null, () => { }, TextWriter.Null);
        var controller = new MachineController(board.Machine.RequestInterrupt);
        var vm = new VmControl(controller, runner.Reset);
        var hmp = new HmpCommands(new MonitorContext(board.Machine, null, RunMode.Record, "run.rr", vm));
        var main = Task.Run(() => runner.RunControlled(controller, vm, null, noShutdown: false));
        Assert.Equal("running", vm.Status);
        var stops = new List<string>();
        vm.Event += (name, _) => { lock (stops) stops.Add(name); };

        string reply = hmp.Execute("replay_seek 1000");

        Assert.Equal("replay_seek: Record/replay is not in replay mode\n", reply);
        Assert.Equal("running", vm.Status);
        Assert.False(controller.IsPaused);
        lock (stops) Assert.Empty(stops); // no STOP/RESUME pair either
        vm.Quit();
        Assert.Equal(0, await main.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
