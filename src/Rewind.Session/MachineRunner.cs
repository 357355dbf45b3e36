using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Session;

/// <summary>
/// Runs a machine to its end, alone or under control of debuggers and monitors, and ends its
/// recording with the reason the run ended. Replaying under control, the time-travel engine drives the
/// machine (snapshots on the way) from the moment <see cref="StartTimeTravel"/> is called; time travel
/// then reaches back to that point.
/// </summary>
public sealed class MachineRunner
{
    private readonly Machine _machine;
    private readonly RecordingInput? _recorder;
    private readonly ReplayInput? _replay;
    private readonly Action _flush;
    private readonly TextWriter _log;
    private volatile TimeTravelEngine? _engine;

    /// <param name="flush">Pushes the guest's console output out whenever the machine stops.</param>
    /// <param name="log">Where one-line reports go (the end of a replay).</param>
    public MachineRunner(Machine machine, RecordingInput? recorder, ReplayInput? replay, Action flush, TextWriter log)
    {
        _machine = machine;
        _recorder = recorder;
        _replay = replay;
        _flush = flush;
        _log = log;
        Mode = recorder != null ? RunMode.Record : replay != null ? RunMode.Replay : RunMode.None;
    }

    public Machine Machine => _machine;
    public RunMode Mode { get; }

    /// <summary>The time-travel engine once a replay is under control; null otherwise.</summary>
    public TimeTravelEngine? Engine => _engine;

    /// <summary>Replay only: the engine takes over the machine from here (a named start snapshot keeps its name).</summary>
    public TimeTravelEngine StartTimeTravel(string? startSnapshotName = null)
    {
        if (_replay == null) throw new InvalidOperationException("time travel needs a replay");
        if (_engine is TimeTravelEngine existing) return existing;
        var engine = new TimeTravelEngine(_machine, _replay);
        // rrsnapshot=NAME names the starting snapshot, as QEMU's info snapshots would show it.
        if (startSnapshotName != null && _machine.Icount == 0) engine.Store.All[0].Name = startSnapshotName;
        _engine = engine;
        return engine;
    }

    /// <summary>Resets the stopped machine through the input boundary; returns why it cannot, or null.</summary>
    public string? Reset()
    {
        if (Mode == RunMode.Replay)
            return "system_reset is not possible while replaying (the replay would no longer match the recording)";
        if (_machine.Input is not LiveInput live || _machine.OnReset == null) return "this machine cannot be reset";
        // A recording logs the reset at this count and its replay repeats it.
        live.DeliverNow(_machine.Icount, InputChannel.Power, [ExternalPower.ResetRequest]);
        return null;
    }

    /// <summary>Ends the recording, if any, with the reason the run ended.</summary>
    public void Finish(string reason) => _recorder?.Finish(_machine.Icount, reason);

    /// <summary>Runs with nothing to control it, until the guest ends or <paramref name="quitting"/> says so after an interrupt.</summary>
    public int RunAlone(Func<bool> quitting)
    {
        while (true)
        {
            var stop = _machine.Run(ulong.MaxValue);
            _flush();
            switch (stop.Kind)
            {
                case StopKind.Exited:
                    Finish(ExitReason(stop.ExitCode));
                    return stop.ExitCode;
                case StopKind.ResetRequested:
                    Finish("reset");
                    return 0;
                case StopKind.Interrupted when quitting():
                    Finish("quit");
                    return 0;
                case StopKind.HistoryEnd:
                    return EndOfReplay();
                case StopKind.Starved:
                    throw new SessionException($"the guest waits at instruction {_machine.Icount} for an interrupt that can never come");
            }
        }
    }

    /// <summary>
    /// The main loop under control of a debugger and/or monitors: runs the machine while no one holds
    /// it paused, stops at replay breakpoints and at history's end. With a debugger attached, or
    /// <paramref name="noShutdown"/>, the end of the run leaves the machine stopped (a debugger can
    /// still go back); otherwise the program ends as it would without monitors.
    /// </summary>
    public int RunControlled(MachineController controller, VmControl vm, bool debugger, bool noShutdown)
    {
        bool keep = debugger || noShutdown;
        while (true)
        {
            if (_engine is TimeTravelEngine engine)
            {
                var stop = controller.RunFree(() => engine.Forward(ulong.MaxValue));
                _flush();
                if (stop == null) return controller.ExitCode ?? 0;
                switch (stop.Value.Kind)
                {
                    case StopKind.Reached:
                        // Only a replay breakpoint ends an unlimited forward run this way.
                        vm.MachineStopped("paused");
                        break;
                    case StopKind.Breakpoint or StopKind.Watchpoint:
                        vm.MachineStopped("debug");
                        break;
                    case StopKind.Exited:
                        vm.GuestShutdown("guest-shutdown");
                        if (!keep) return stop.Value.ExitCode;
                        vm.MachineStopped("shutdown");
                        break;
                    case StopKind.HistoryEnd:
                        if (EndOfHistory(vm, keep) is int status) return status;
                        break;
                }
            }
            else
            {
                // An engine created while the machine was held (the console's monitor opened): its turn.
                var stop = controller.RunFree(() => _engine != null ? new MachineStop(StopKind.Interrupted) : _machine.Run(ulong.MaxValue));
                _flush();
                if (stop == null)
                {
                    Finish("quit");
                    return controller.ExitCode ?? 0;
                }
                switch (stop.Value.Kind)
                {
                    case StopKind.Exited:
                        vm.GuestShutdown("guest-shutdown");
                        if (_recorder == null && noShutdown)
                        {
                            vm.MachineStopped("shutdown");
                            break;
                        }
                        Finish(ExitReason(stop.Value.ExitCode));
                        return stop.Value.ExitCode;
                    case StopKind.ResetRequested:
                        vm.GuestShutdown("guest-reset");
                        Finish("reset");
                        return 0;
                    case StopKind.Breakpoint or StopKind.Watchpoint:
                        vm.MachineStopped("debug");
                        break;
                    case StopKind.HistoryEnd:
                        // Replaying without the engine (the console's monitor not opened yet).
                        if (EndOfHistory(vm, keep) is int end) return end;
                        break;
                    case StopKind.Starved when !debugger:
                        throw new SessionException($"the guest waits at instruction {_machine.Icount} for an interrupt that can never come");
                    case StopKind.Starved:
                        vm.MachineStopped("paused");
                        break;
                }
            }
        }
    }

    /// <summary>The replay's end: kept stopped for a debugger or monitor, or the run's end (its status).</summary>
    private int? EndOfHistory(VmControl vm, bool keep)
    {
        if (keep)
        {
            vm.MachineStopped("paused");
            return null;
        }
        vm.GuestShutdown("none");
        return EndOfReplay();
    }

    private static string ExitReason(int code) => code == 0 ? "poweroff" : $"exit {code}";

    private int EndOfReplay()
    {
        var r = _replay!;
        ulong icount = _machine.Icount;
        if (r.Problem != null)
        {
            _log.WriteLine($"rewind: replay stopped at instruction {icount}: {r.Problem}");
            return 1;
        }
        _log.WriteLine($"rewind: replay reached the end of the recording at instruction {icount} ({r.EndReason})");
        return 0;
    }
}
