
namespace Rewind.Session;

/// <summary>
/// QEMU's run states on top of <see cref="MachineController"/>: who stopped the machine and why
/// ("paused" by a monitor or a replay breakpoint, "prelaunch" with -S, "debug" by GDB, "shutdown"
/// after the guest powered off), and the STOP/RESUME/SHUTDOWN events the QMP server sends.
/// Monitor commands are serialized here.
/// </summary>
public sealed class VmControl : IVmControl
{
    private readonly MachineController _controller;
    private readonly Func<string?> _reset;
    private readonly object _monitorLock = new();
    private volatile string? _stopState;
    private volatile string? _statusDuringWork;
    private int _transient;
    private volatile bool _machineStoppedDuringWork;

    /// <param name="reset">Resets the stopped machine; returns why it cannot, or null.</param>
    public VmControl(MachineController controller, Func<string?> reset)
    {
        _controller = controller;
        _reset = reset;
        controller.PausedChanged += paused =>
        {
            if (Volatile.Read(ref _transient) > 0) return;
            if (!paused) _stopState = null;
            Emit(paused ? "STOP" : "RESUME");
        };
        // GDB continuing or stepping: QEMU runs the machine and stops it again in the "debug" state.
        controller.DriveChanged += started =>
        {
            if (!started) _stopState = null;
            Emit(started ? "RESUME" : "STOP");
        };
    }

    public event Action<string, IReadOnlyDictionary<string, object>?>? Event;

    public string Status
    {
        get
        {
            if (_controller.Quitting) return "shutdown";
            if (Volatile.Read(ref _transient) > 0 && _statusDuringWork is string during) return during;
            if (_controller.Driving || !_controller.IsPaused) return "running";
            return _stopState ?? "debug";
        }
    }

    public bool Running => Status == "running";

    /// <summary>-S: stopped before the first instruction. Call before anyone listens for events.</summary>
    public void StartPaused()
    {
        _stopState = "prelaunch";
        _controller.Pause();
    }

    /// <summary>Main loop: the machine stopped by itself (a replay breakpoint, the end of history).</summary>
    public void MachineStopped(string state)
    {
        _stopState = state;
        if (Volatile.Read(ref _transient) > 0) _machineStoppedDuringWork = true;
        _controller.Pause();
    }

    public void GuestShutdown(string reason) =>
        Emit("SHUTDOWN", new Dictionary<string, object> { ["guest"] = true, ["reason"] = reason });

    public void Stop()
    {
        lock (_monitorLock)
        {
            if (!Running) return;
            if (_controller.IsPaused)
            {
                // A debugger is running the machine: interrupt it (its run's end announces STOP).
                _controller.Exclusive(() => 0);
                _stopState = "paused";
            }
            else
            {
                _stopState = "paused";
                _controller.Pause();
            }
        }
    }

    public string? Continue()
    {
        lock (_monitorLock)
        {
            if (_stopState == "shutdown") return "Resetting the Virtual Machine is required";
            if (Running) return null;
            _stopState = null;
            _controller.Unpause();
            return null;
        }
    }

    public void Quit(string reason = "host-qmp-quit")
    {
        Emit("SHUTDOWN", new Dictionary<string, object> { ["guest"] = false, ["reason"] = reason });
        _controller.Quit(0);
    }

    public string? Reset()
    {
        string? error = WithMachineStopped(_reset);
        if (error != null) return error;
        if (_stopState == "shutdown") _stopState = "paused";
        Emit("RESET", new Dictionary<string, object> { ["guest"] = false, ["reason"] = "host-qmp-system-reset" });
        return null;
    }

    public T WithMachineStopped<T>(Func<T> work, bool stayStopped = false)
    {
        lock (_monitorLock)
        {
            _statusDuringWork = Status;
            bool wasPaused = _controller.IsPaused;
            _machineStoppedDuringWork = false;
            Interlocked.Increment(ref _transient);
            bool stopNow = false;
            try
            {
                _controller.Pause();
                return _controller.Exclusive(work);
            }
            finally
            {
                stopNow = !wasPaused && (stayStopped || _machineStoppedDuringWork);
                if (stopNow && !_machineStoppedDuringWork) _stopState = "paused";
                // Like QEMU's replay_seek, which runs the machine and stops it: no longer before launch or shut down.
                if (stayStopped && _stopState is "prelaunch" or "shutdown") _stopState = "paused";
                if (!wasPaused && !stopNow) _controller.Unpause();
                Interlocked.Decrement(ref _transient);
                _statusDuringWork = null;
                if (stopNow) Emit("STOP");
            }
        }
    }

    public void Announce(string name, IReadOnlyDictionary<string, object>? data) => Emit(name, data);

    private void Emit(string name, IReadOnlyDictionary<string, object>? data = null)
    {
        try
        {
            Event?.Invoke(name, data);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // A listener that went away must not take the machine with it.
        }
    }
}
