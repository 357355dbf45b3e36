namespace Rewind.Session.Tests;

public class MachineRunnerTests
{
    [Fact]
    public void A_guest_run_alone_ends_with_its_exit_status()
    {
        var rig = Rig.Live("hello");
        var runner = new MachineRunner(rig.Machine, null, null, () => { }, TextWriter.Null);
        Assert.Equal(RunMode.None, runner.Mode);
        Assert.Equal(0, runner.RunAlone(() => false));
        Assert.Contains("Hello", rig.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_replay_run_alone_repeats_the_guests_power_off()
    {
        var rig = Rig.Replayed("hello");
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, TextWriter.Null);
        Assert.Equal(RunMode.Replay, runner.Mode);
        Assert.Equal(0, runner.RunAlone(() => false));
        Assert.Contains("Hello", rig.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(rig.Replay!.EndIcount, rig.Machine.Icount);
    }

    [Fact]
    public void A_replay_of_a_quit_recording_reports_its_end_with_the_reason()
    {
        var rig = Rig.Replayed("count_loop", quitAt: 300_000);
        var log = new StringWriter();
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, log);
        Assert.Equal(0, runner.RunAlone(() => false));
        Assert.Equal("rewind: replay reached the end of the recording at instruction 300000 (quit)", log.ToString().Trim());
    }

    [Fact]
    public void A_replay_cannot_be_reset_and_time_travel_starts_once()
    {
        var rig = Rig.Replayed("hello");
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, TextWriter.Null);
        Assert.Contains("not possible while replaying", runner.Reset());
        var engine = runner.StartTimeTravel("init");
        Assert.Same(engine, runner.StartTimeTravel());
        Assert.Equal("init", engine.Store.All[0].Name);
    }

    [Fact]
    public void Time_travel_needs_a_replay()
    {
        var runner = new MachineRunner(Rig.Live("hello").Machine, null, null, () => { }, TextWriter.Null);
        Assert.Throws<InvalidOperationException>(() => runner.StartTimeTravel());
    }

    [Fact]
    public void A_live_reset_goes_through_the_input_boundary_and_restarts_the_machine()
    {
        var rig = Rig.Live("count_loop");
        rig.Machine.Run(10_000);
        var runner = new MachineRunner(rig.Machine, null, null, () => { }, TextWriter.Null);
        Assert.Null(runner.Reset());
        rig.Machine.Run(rig.Machine.Icount + 1);
        Assert.Equal(0x1000UL, rig.Machine.Cpus[0].Pc & ~0xfffUL);
    }

    [Fact]
    public async Task Under_control_a_replay_stays_stopped_at_its_end_while_a_debugger_may_still_use_it()
    {
        var rig = Rig.Replayed("hello");
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, TextWriter.Null);
        runner.StartTimeTravel();
        var controller = new MachineController(rig.Machine.RequestInterrupt);
        var vm = new VmControl(controller, runner.Reset);
        var main = Task.Run(() => runner.RunControlled(controller, vm, new Debugger(rig.Machine, runner.Engine, rig.Board.DebuggerWrites, controller), noShutdown: false));
        // The recorded guest powered off at the end: QEMU's "shutdown" state, the machine kept.
        SpinWait.SpinUntil(() => vm.Status == "shutdown", 30_000);
        Assert.Equal("shutdown", vm.Status);
        Assert.Equal(rig.Replay!.EndIcount, rig.Machine.Icount);
        controller.Quit(0);
        Assert.Equal(0, await main.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_guest_that_powers_off_under_a_debugger_ends_its_recording_with_poweroff_not_quit()
    {
        var ms = new MemoryStream();
        var options = new Rewind.Board.BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("hello"), IcountShift = 3 };
        var recorder = new Rewind.Replay.Recording.RecordingInput(
            new Rewind.Replay.Log.ReplayLogWriter(ms, RecordReplay.HeaderFor("virt", options), leaveOpen: true), () => 0);
        var board = Rewind.Board.VirtBoard.Create(options with { Input = recorder });
        recorder.Machine = board.Machine;
        var runner = new MachineRunner(board.Machine, recorder, null, () => { }, TextWriter.Null);
        var debugger = new Debugger(board.Machine, null, board.DebuggerWrites, new MachineController(board.Machine.RequestInterrupt))
        {
            GuestEnded = runner.NoteGuestEnd,
        };
        Assert.Equal(Rewind.Core.Execution.StopKind.Exited, debugger.Resume(DebugAction.Continue, 0, CancellationToken.None).Kind);
        ulong end = board.Machine.Icount;
        runner.Finish("quit"); // what the main loop says when GDB kills the session
        recorder.Dispose();
        var replay = new Rewind.Replay.Recording.ReplayInput(new Rewind.Replay.Log.ReplayLogReader(new MemoryStream(ms.ToArray())));
        Assert.Equal("poweroff", replay.EndReason);
        Assert.Equal(end, replay.EndIcount);
    }
}
