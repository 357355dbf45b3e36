using Rewind.Core.Execution;

namespace Rewind.Session.Tests;

/// <summary>
/// What a debugger client coming and going does to the machine (docs/gdb-server.md): it stops for
/// the client, and runs on afterwards only if it ran before or the client resumed or detached it.
/// </summary>
public class DebuggerClientTests
{
    private static Debugger For(Rig rig, MachineController controller, bool keep = false, MachineRunner? runner = null) =>
        new(rig.Machine, runner?.Engine, rig.Board.DebuggerWrites, controller) { KeepAfterGuestEnd = keep };

    private static MachineController Controller(Rig rig) => new(rig.Machine.RequestInterrupt);

    [Fact]
    public void A_client_that_comes_and_goes_without_resuming_leaves_a_machine_started_with_S_stopped()
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        var vm = new VmControl(controller, () => null);
        vm.StartPaused();
        var debugger = For(rig, controller);
        debugger.ClientAttached();
        debugger.ReadRegisterHex(0, 0);
        debugger.ClientLeft();
        Assert.True(controller.IsPaused);
        Assert.Equal("prelaunch", vm.Status);
    }

    [Theory]
    [InlineData(DebugAction.Step)]
    [InlineData(DebugAction.Continue)]
    public void A_client_that_resumed_leaves_the_machine_running(DebugAction action)
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        controller.Pause();
        var debugger = For(rig, controller);
        debugger.ClientAttached();
        debugger.InsertBreakpoint(BreakKind.Software, rig.Symbol("main"), 2);
        debugger.Resume(action, 0, CancellationToken.None);
        debugger.ClientLeft();
        Assert.False(controller.IsPaused);
    }

    [Fact]
    public void A_client_that_detaches_leaves_the_machine_running_as_in_qemu()
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        controller.Pause();
        var debugger = For(rig, controller);
        debugger.ClientAttached();
        debugger.ClientDetaching();
        debugger.ClientLeft();
        Assert.False(controller.IsPaused);
    }

    [Fact]
    public void A_client_that_attached_to_a_running_machine_stops_it_and_leaves_it_running()
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        var debugger = For(rig, controller);
        Assert.False(controller.IsPaused);
        debugger.ClientAttached();
        Assert.True(controller.IsPaused);
        debugger.ClientLeft();
        Assert.False(controller.IsPaused);
    }

    [Fact]
    public void Breakpoints_and_watchpoints_leave_with_their_client()
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        controller.Pause();
        var debugger = For(rig, controller);
        debugger.ClientAttached();
        ulong main = rig.Symbol("main");
        debugger.InsertBreakpoint(BreakKind.Software, main, 2);
        debugger.InsertBreakpoint(BreakKind.Write, rig.Symbol("counter"), 8);
        debugger.ClientLeft();
        // Nothing stops the machine any more: it runs count_loop to its end.
        Assert.Equal(StopKind.Exited, rig.Machine.Run(ulong.MaxValue).Kind);
    }

    [Fact]
    public async Task An_interrupt_that_lands_before_the_run_starts_still_stops_it()
    {
        var rig = Rig.Live("uart_echo"); // polls the UART for ever
        var controller = Controller(rig);
        var debugger = For(rig, controller);
        using var gone = new CancellationTokenSource();
        gone.Cancel();
        var run = Task.Run(() => debugger.Resume(DebugAction.Continue, 0, gone.Token));
        var stop = await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StopKind.Interrupted, stop.Kind);
    }

    [Fact]
    public void A_stop_of_the_main_loop_is_the_next_clients_stop_reason()
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        var debugger = For(rig, controller);
        var stop = rig.Machine.Run(5000);
        debugger.NoteStop(stop with { Kind = StopKind.HistoryEnd });
        controller.Pause();
        debugger.ClientAttached();
        Assert.Equal(StopKind.HistoryEnd, debugger.LastStop.Kind);
        Assert.Equal(5000UL, debugger.LastStop.Icount);
    }

    [Fact]
    public void A_pause_of_the_main_loop_is_not_a_stop_a_client_is_told_of()
    {
        var rig = Rig.Live("count_loop");
        var debugger = For(rig, Controller(rig));
        var before = debugger.LastStop;
        debugger.NoteStop(rig.Machine.Run(3000) with { Kind = StopKind.Interrupted });
        Assert.Equal(before, debugger.LastStop);
    }

    [Fact]
    public void A_client_attaching_after_the_machine_moved_is_told_where_it_is_now()
    {
        var rig = Rig.Live("count_loop");
        var controller = Controller(rig);
        var debugger = For(rig, controller);
        rig.Machine.Run(7000);
        debugger.ClientAttached();
        Assert.Equal(new MachineStop(StopKind.Reached, 0, Icount: 7000), debugger.LastStop);
    }

    [Fact]
    public void A_power_off_without_no_shutdown_ends_the_process_once_the_client_is_told()
    {
        var rig = Rig.Live("hello");
        var controller = Controller(rig);
        var debugger = For(rig, controller);
        debugger.ClientAttached();
        Assert.Equal(StopKind.Exited, debugger.Resume(DebugAction.Continue, 0, CancellationToken.None).Kind);
        Assert.False(controller.Quitting);
        debugger.ExitReported();
        Assert.True(controller.Quitting);
        Assert.Equal(0, controller.ExitCode);
    }

    [Fact]
    public void A_power_off_with_no_shutdown_keeps_the_machine_stopped_after_the_client_has_gone()
    {
        var rig = Rig.Live("hello");
        var controller = Controller(rig);
        var debugger = For(rig, controller, keep: true);
        debugger.ClientAttached();
        Assert.Equal(StopKind.Exited, debugger.Resume(DebugAction.Continue, 0, CancellationToken.None).Kind);
        debugger.ExitReported();
        debugger.ClientLeft();
        Assert.False(controller.Quitting);
        Assert.True(controller.IsPaused);
        // The next client learns that the guest ended, and cannot run it on.
        debugger.ClientAttached();
        Assert.Equal(StopKind.Exited, debugger.LastStop.Kind);
        Assert.Equal(StopKind.Exited, debugger.Resume(DebugAction.Continue, 0, CancellationToken.None).Kind);
    }

    [Fact]
    public void A_guest_that_ended_while_its_client_dropped_ends_the_process_without_no_shutdown()
    {
        var rig = Rig.Live("hello");
        var controller = Controller(rig);
        var debugger = For(rig, controller);
        debugger.ClientAttached();
        debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        debugger.ClientLeft(); // never told
        Assert.True(controller.Quitting);
    }

    [Fact]
    public void A_reset_brings_an_ended_guest_back_for_the_debugger()
    {
        var rig = Rig.Live("hello");
        var controller = Controller(rig);
        var debugger = For(rig, controller, keep: true);
        debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        Assert.Equal(0, debugger.PendingExit);
        debugger.NoteReset();
        Assert.Null(debugger.PendingExit);
        Assert.Equal(StopKind.Reached, debugger.LastStop.Kind);
    }
}
