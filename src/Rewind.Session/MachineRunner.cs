using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;
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

    /// <summary>Builds a clone of the machine for the engine's parallel reverse search (replay only).</summary>
    public Func<ReplayInput, Machine>? CloneFactory { get; init; }

    /// <summary>Host threads a long reverse search uses (<see cref="SearchWorkerSetting"/>).</summary>
    public int SearchWorkers { get; init; } = Environment.ProcessorCount;

    /// <summary>The time-travel engine once a replay is under control; null otherwise.</summary>
    public TimeTravelEngine? Engine => _engine;

    /// <summary>Replay only: the engine takes over the machine from here (a named start snapshot keeps its name).</summary>
    public TimeTravelEngine StartTimeTravel(string? startSnapshotName = null)
    {
        if (_replay == null) throw new InvalidOperationException("time travel needs a replay");
        if (_engine is TimeTravelEngine existing) return existing;
        var engine = new TimeTravelEngine(_machine, _replay) { CloneFactory = CloneFactory, SearchWorkers = SearchWorkers };
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

    // How the guest ended a run that a debugger drove itself (the main loop then only sees a quit).
    private string? _guestEnd;

    /// <summary>
    /// A debugger running the machine saw the guest end it (power-off, exit, reset request): the
    /// recording ends with that reason, as it would without the debugger, not with "quit".
    /// </summary>
    public void NoteGuestEnd(MachineStop stop) =>
        _guestEnd = stop.Kind == StopKind.ResetRequested ? "reset" : ExitReason(stop.ExitCode);

    /// <summary>Ends the recording, if any, with the reason the run ended.</summary>
    public void Finish(string reason) => _recorder?.Finish(_machine.Icount, _guestEnd ?? reason);

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
                    CheckReplayEnd(ExitReason(stop.ExitCode));
                    Finish(ExitReason(stop.ExitCode));
                    return stop.ExitCode;
                case StopKind.ResetRequested:
                    CheckReplayEnd("reset");
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
    public int RunControlled(MachineController controller, VmControl vm, Debugger? debugger, bool noShutdown)
    {
        bool keep = debugger != null || noShutdown;
        while (true)
        {
            if (_engine is TimeTravelEngine engine)
            {
                var stop = controller.RunFree(() => engine.Forward(ulong.MaxValue));
                _flush();
                if (stop == null) return controller.ExitCode ?? 0;
                // A stop with no client driving: the next one learns of it as its stop reason.
                debugger?.NoteStop(stop.Value);
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
                        // The engine reports a reset request as an exit too: the recording says which.
                        if (!keep)
                        {
                            CheckReplayEnd(ExitReason(stop.Value.ExitCode), alsoReset: stop.Value.ExitCode == 0);
                            return stop.Value.ExitCode;
                        }
                        TellEndKept(debugger != null);
                        vm.MachineStopped("shutdown");
                        break;
                    case StopKind.HistoryEnd:
                        if (EndOfHistory(vm, keep, debugger != null) is int status) return status;
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
                debugger?.NoteStop(stop.Value);
                switch (stop.Value.Kind)
                {
                    case StopKind.Exited:
                        vm.GuestShutdown("guest-shutdown");
                        if (_recorder == null && noShutdown)
                        {
                            vm.MachineStopped("shutdown");
                            break;
                        }
                        CheckReplayEnd(ExitReason(stop.Value.ExitCode));
                        Finish(ExitReason(stop.Value.ExitCode));
                        return stop.Value.ExitCode;
                    case StopKind.ResetRequested:
                        vm.GuestShutdown("guest-reset");
                        CheckReplayEnd("reset");
                        Finish("reset");
                        return 0;
                    case StopKind.Breakpoint or StopKind.Watchpoint:
                        vm.MachineStopped("debug");
                        break;
                    case StopKind.HistoryEnd:
                        // Replaying without the engine (the console's monitor not opened yet).
                        if (EndOfHistory(vm, keep, debugger != null) is int end) return end;
                        break;
                    case StopKind.Starved when debugger == null:
                        throw new SessionException($"the guest waits at instruction {_machine.Icount} for an interrupt that can never come");
                    case StopKind.Starved:
                        vm.MachineStopped("paused");
                        break;
                }
            }
        }
    }

    /// <summary>The replay's end: kept stopped for a debugger or monitor, or the run's end (its status).</summary>
    private int? EndOfHistory(VmControl vm, bool keep, bool debugger)
    {
        if (keep)
        {
            TellEndKept(debugger);
            vm.MachineStopped("paused");
            return null;
        }
        vm.GuestShutdown("none");
        return EndOfReplay();
    }

    private bool _toldEndKept;

    /// <summary>
    /// The replay ran into its end with nobody watching it stop, and the machine stays for a debugger
    /// or monitor: say so once, with how to go on, instead of waiting in silence.
    /// </summary>
    private void TellEndKept(bool debugger)
    {
        if (_replay == null || _toldEndKept) return;
        _toldEndKept = true;
        string how = debugger ? "the debugger (reverse-continue, monitor replay_seek N)" : "the monitor (replay_seek N)";
        _log.WriteLine($"rewind: replay reached the end of the recording at instruction {_machine.Icount}; the machine stays for {how}, Ctrl-C or 'quit' to exit");
    }

    private static string ExitReason(int code) => code == 0 ? "poweroff" : $"exit {code}";

    /// <summary>
    /// The replay reached the recording's last count without the guest ending it. Right for a recording
    /// that a user ended (quit) or that was cut short; a divergence when the recording says the guest
    /// itself ended there (poweroff, exit N, reset), since the replayed guest did not.
    /// </summary>
    private int EndOfReplay()
    {
        var r = _replay!;
        ulong icount = _machine.Icount;
        if (r.Problem != null)
        {
            _log.WriteLine($"rewind: replay stopped at instruction {icount}: {r.Problem}");
            return 1;
        }
        if (icount != r.EndIcount)
            throw new ReplayDivergenceException(icount, $"the replay stopped here, but the recording ends at instruction {r.EndIcount} ({r.EndReason})");
        if (IsGuestEnding(r.EndReason))
            throw new ReplayDivergenceException(icount, $"the recording ends here with {r.EndReason}, but the replayed guest did not {Describe(r.EndReason!)}");
        _log.WriteLine($"rewind: replay reached the end of the recording at instruction {icount} ({r.EndReason})");
        return 0;
    }

    /// <summary>
    /// Replaying, the guest ended the run itself (<paramref name="reason"/> as a recording would say
    /// it): the recording must end there, at this count, for the same reason; anything else is a
    /// divergence. <paramref name="alsoReset"/>: the stop may also have been a reset request.
    /// </summary>
    private void CheckReplayEnd(string reason, bool alsoReset = false)
    {
        if (_replay is not ReplayInput r) return;
        ulong icount = _machine.Icount;
        bool sameReason = r.EndReason == reason || (alsoReset && r.EndReason == "reset");
        if (r.EndedCleanly && sameReason && icount == r.EndIcount) return;
        // Before format 3 a recorder whose guest ended under a debugger wrote "quit" at that very count.
        if (r.EndedCleanly && r.EndReason == "quit" && icount == r.EndIcount && r.Header.Version < RecordingHeader.ChainedCrcVersion) return;
        // A recording cut short at this very count: the replay got as far as it goes, as at its end.
        if (!r.EndedCleanly && icount >= r.EndIcount)
            throw new SessionException($"replay stopped at instruction {icount}: {r.Problem}");
        string what = r.EndedCleanly
            ? $"the recording ends at instruction {r.EndIcount} with {r.EndReason}"
            : $"the recording goes on to instruction {r.EndIcount} ({r.Problem})";
        throw new ReplayDivergenceException(icount, $"the replayed guest {DescribePast(reason)} here, but {what}");
    }

    /// <summary>An end reason the guest itself caused, which a faithful replay repeats.</summary>
    private static bool IsGuestEnding(string? reason) =>
        reason is "poweroff" or "reset" || (reason != null && reason.StartsWith("exit ", StringComparison.Ordinal));

    private static string Describe(string reason) =>
        reason == "poweroff" ? "power off" : reason == "reset" ? "request a reset" : $"exit with status {reason[5..]}";

    private static string DescribePast(string reason) =>
        reason == "poweroff" ? "powered off" : reason == "reset" ? "requested a reset" : $"exited with status {reason[5..]}";
}
