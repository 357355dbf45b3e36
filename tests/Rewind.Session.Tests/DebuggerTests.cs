using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Replay.Recording;

namespace Rewind.Session.Tests;

public class DebuggerTests
{
    private static Debugger For(Rig rig, out MachineController controller, MachineRunner? runner = null)
    {
        controller = new MachineController(rig.Machine.RequestInterrupt);
        return new Debugger(rig.Machine, runner?.Engine, rig.Board.DebuggerWrites, controller);
    }

    [Fact]
    public void Continue_stops_at_a_software_breakpoint_on_the_cpu_that_hit_it()
    {
        var rig = Rig.Live("count_loop");
        var debugger = For(rig, out var controller);
        ulong main = rig.Symbol("main");
        Assert.True(debugger.InsertBreakpoint(BreakKind.Software, main, 2));
        var stop = debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        Assert.Equal(StopKind.Breakpoint, stop.Kind);
        Assert.Equal(main, rig.Machine.Cpus[0].Pc);
        Assert.Equal(stop, debugger.LastStop);
        Assert.True(controller.IsPaused);
    }

    [Fact]
    public void A_breakpoint_inserted_only_as_hardware_is_reported_as_one()
    {
        var rig = Rig.Live("count_loop");
        var debugger = For(rig, out _);
        debugger.InsertBreakpoint(BreakKind.Hardware, rig.Symbol("main"), 2);
        Assert.Equal(StopKind.HardwareBreakpoint, debugger.Resume(DebugAction.Continue, 0, CancellationToken.None).Kind);
        Assert.True(debugger.RemoveBreakpoint(BreakKind.Hardware, rig.Symbol("main"), 2));
        Assert.False(debugger.RemoveBreakpoint(BreakKind.Hardware, rig.Symbol("main"), 2));
    }

    [Fact]
    public void A_step_takes_exactly_one_instruction()
    {
        var rig = Rig.Live("count_loop");
        var debugger = For(rig, out _);
        ulong before = rig.Machine.Icount;
        var stop = debugger.Resume(DebugAction.Step, 0, CancellationToken.None);
        Assert.Equal(StopKind.Reached, stop.Kind);
        Assert.Equal(before + 1, rig.Machine.Icount);
    }

    [Fact]
    public void A_write_watchpoint_stops_before_the_store_with_its_address()
    {
        var rig = Rig.Live("count_loop");
        var debugger = For(rig, out _);
        ulong counter = rig.Symbol("counter");
        Assert.True(debugger.InsertBreakpoint(BreakKind.Write, counter, 8));
        var stop = debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        Assert.Equal(StopKind.Watchpoint, stop.Kind);
        Assert.Equal(new WatchHit(WatchKind.Write, counter), stop.Watch);
    }

    [Fact]
    public void Register_writes_cross_the_input_boundary_and_read_back()
    {
        var rig = Rig.Live("count_loop");
        var debugger = For(rig, out _);
        var regs = rig.Machine.Cpus[0].Registers;
        Assert.True(debugger.WriteRegister(0, 5, BitConverter.GetBytes(0x1234UL)));
        Assert.Equal("3412000000000000", regs.ReadHex(5));
        Assert.Equal(regs.ReadHex(5), debugger.ReadRegisterHex(0, 5));
    }

    [Fact]
    public void A_guest_that_exits_is_reported_once_and_then_remembered()
    {
        var rig = Rig.Live("hello");
        var debugger = For(rig, out _);
        var stop = debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        Assert.Equal(StopKind.Exited, stop.Kind);
        Assert.Equal(0, debugger.PendingExit);
        Assert.Equal(StopKind.Exited, debugger.Resume(DebugAction.Step, 0, CancellationToken.None).Kind);
    }

    [Fact]
    public void Running_backwards_without_a_replay_is_refused()
    {
        var rig = Rig.Live("hello");
        var debugger = For(rig, out _);
        Assert.False(debugger.CanReverse);
        Assert.Throws<InvalidOperationException>(() => debugger.Resume(DebugAction.ReverseStep, 0, CancellationToken.None));
    }

    [Fact]
    public void In_a_replay_reverse_step_undoes_one_step_and_writes_are_refused_with_one_warning()
    {
        var rig = Rig.Replayed("count_loop");
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, TextWriter.Null);
        runner.StartTimeTravel();
        var debugger = For(rig, out _, runner);
        var warnings = new List<string>();
        debugger.Warn = warnings.Add;
        for (int i = 0; i < 1000; i++) debugger.Resume(DebugAction.Step, 0, CancellationToken.None);
        var digest = MachineDigest.Compute(rig.Machine);
        ulong pc = rig.Machine.Cpus[0].Pc;
        debugger.Resume(DebugAction.Step, 0, CancellationToken.None);
        var back = debugger.Resume(DebugAction.ReverseStep, 0, CancellationToken.None);
        Assert.Equal(StopKind.Reached, back.Kind);
        Assert.Equal(1000UL, rig.Machine.Icount);
        Assert.Equal(pc, rig.Machine.Cpus[0].Pc);
        Assert.Equal(digest, MachineDigest.Compute(rig.Machine));
        Assert.False(debugger.WriteRegister(0, 5, new byte[8]));
        Assert.Equal(0, debugger.WriteMemory(0, rig.Symbol("counter"), new byte[8]));
        Assert.Single(warnings);
    }

    [Fact]
    public void In_a_replay_reverse_continue_finds_the_last_breakpoint_hit_and_then_the_beginning()
    {
        var rig = Rig.Replayed("count_loop");
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, TextWriter.Null);
        runner.StartTimeTravel();
        var debugger = For(rig, out _, runner);
        ulong main = rig.Symbol("main");
        var end = debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        Assert.Equal(StopKind.HistoryEnd, end.Kind);
        debugger.InsertBreakpoint(BreakKind.Software, main, 2);
        var hit = debugger.Resume(DebugAction.ReverseContinue, 0, CancellationToken.None);
        Assert.Equal(StopKind.Breakpoint, hit.Kind);
        Assert.Equal(main, rig.Machine.Cpus[0].Pc);
        var begin = debugger.Resume(DebugAction.ReverseContinue, 0, CancellationToken.None);
        Assert.Equal(StopKind.HistoryBegin, begin.Kind);
        Assert.Equal(0UL, rig.Machine.Icount);
    }

    [Fact]
    public void A_long_reverse_continue_or_continue_tells_its_progress_listener_how_it_goes()
    {
        var rig = Rig.Replayed("count_loop");
        var runner = new MachineRunner(rig.Machine, null, rig.Replay, () => { }, TextWriter.Null);
        var engine = runner.StartTimeTravel();
        // Every slice instead of every half second: this replay is shorter than a period.
        engine.ProgressPeriod = TimeSpan.Zero;
        var debugger = For(rig, out _, runner);
        var heard = new List<Rewind.Replay.TimeTravel.TravelProgress>();
        debugger.Progress = heard.Add;
        debugger.Resume(DebugAction.Continue, 0, CancellationToken.None);
        Assert.Contains(heard, p => p.Operation == "continuing" && p.Total > 0);
        heard.Clear();
        debugger.Resume(DebugAction.ReverseContinue, 0, CancellationToken.None);
        Assert.Contains(heard, p => p.Operation == "reverse-continue" && p.Done > 0 && p.Total > 0);
        // Outside the debugger's runs (a monitor's seek), the debugger's listener hears nothing.
        heard.Clear();
        engine.Seek(1_000_000);
        Assert.Empty(heard);
    }
}
