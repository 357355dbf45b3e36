using Rewind.Core.Execution;

namespace Rewind.Session;

/// <summary>
/// The machine's side of a debugger connection's life cycle (docs/gdb-server.md): what a client
/// coming and going does to the run state, and the stops it learns of that happened without it.
/// </summary>
public sealed partial class Debugger
{
    // Per connection: run again when the client leaves (it was running when the client came, or the
    // client resumed it or detached); otherwise a machine stopped before (-S, a monitor, the end of
    // a replay, a power-off) stays stopped.
    private bool _runWhenClientLeaves;
    private bool _clientResumed;
    private bool _clientDetached;
    private MachineStop _guestEnd;

    /// <summary>-no-shutdown (not while recording): a guest that ends leaves the machine, stopped, for good.</summary>
    public bool KeepAfterGuestEnd { get; init; }

    /// <summary>
    /// A client connected: the machine stops for it (QEMU stops the VM when GDB connects). If it ran
    /// since the last stop the debugger knows of, the client is told where it is now.
    /// </summary>
    public void ClientAttached()
    {
        _runWhenClientLeaves = !_controller.IsPaused;
        _clientResumed = _clientDetached = false;
        Attach();
        if (PendingExit == null && LastStop.Icount != _machine.Icount)
            LastStop = new MachineStop(StopKind.Reached, _machine.CurrentHart, Icount: _machine.Icount);
    }

    /// <summary>The client asked to detach (GDB's D): as in QEMU, the machine runs on when it has gone.</summary>
    public void ClientDetaching() => _clientDetached = true;

    /// <summary>
    /// The client has gone (detached, killed, dropped at any moment). Its breakpoints and watchpoints
    /// go with it. A guest that ended ends the process now unless -no-shutdown keeps the machine.
    /// </summary>
    public void ClientLeft()
    {
        Attach();
        // Exclusive: a run the client started and left behind is interrupted and has ended first.
        _controller.Exclusive(() =>
        {
            RemoveClientBreakpoints();
            return 0;
        });
        if (_controller.Quitting) return;
        if (PendingExit is int code)
        {
            if (!KeepAfterGuestEnd) _controller.Quit(code);
            return;
        }
        if (_runWhenClientLeaves || _clientResumed || _clientDetached) _controller.Unpause();
    }

    /// <summary>The client was told that the guest ended (W): the process ends, unless -no-shutdown.</summary>
    public void ExitReported()
    {
        if (PendingExit is int code && !KeepAfterGuestEnd) _controller.Quit(code);
    }

    /// <summary>True once the process is ending: a client gets its last stop reply (W or X).</summary>
    public bool Ending => _controller.Quitting;

    /// <summary>
    /// The main loop stopped the machine with no debugger driving it (the end of a replay, a replay
    /// breakpoint, a power-off): the next client learns of it as its stop reason ('?').
    /// </summary>
    public void NoteStop(MachineStop stop)
    {
        // Someone paused the machine (a client connecting, a monitor): not a stop of its own, and a
        // client connecting must not be told of a SIGINT it never sent.
        if (stop.Kind == StopKind.Interrupted) return;
        if (_engine != null && stop.Kind == StopKind.Exited) stop = stop with { Kind = StopKind.HistoryEnd };
        LastStop = Report(stop, _machine.CurrentHart);
    }

    /// <summary>The machine was reset (a monitor's system_reset): a guest that had ended lives again.</summary>
    public void NoteReset()
    {
        PendingExit = null;
        LastStop = new MachineStop(StopKind.Reached, _machine.CurrentHart, Icount: _machine.Icount);
    }

    private void RemoveClientBreakpoints()
    {
        foreach (ulong address in _softwareBreaks.Keys.Concat(_hardwareBreaks.Keys).Distinct().ToList())
            foreach (var c in _machine.Cpus) c.RemoveBreakpoint(address);
        _softwareBreaks.Clear();
        _hardwareBreaks.Clear();
        foreach (var watch in _watchpoints)
            _machine.RemoveWatchpoint(watch);
        _watchpoints.Clear();
    }
}
