namespace Rewind.Session;

/// <summary>
/// Shares one machine between the free-running main loop, a debugger and the monitors. Whoever wants
/// to touch the machine pauses it first; the debugger then drives it itself (<see cref="Drive"/>),
/// and monitors take it over with <see cref="Exclusive"/>. When all let go, the main loop runs on.
/// </summary>
public sealed class MachineController(Action interruptRun)
{
    private readonly object _gate = new();
    private readonly object _drive = new();
    private bool _paused;
    private bool _freeRunning;
    private int _freeRunThread;
    private bool _quit;
    private int _driving;

    public int? ExitCode { get; private set; }
    public bool Quitting => _quit;

    public bool IsPaused
    {
        get
        {
            lock (_gate) return _paused;
        }
    }

    /// <summary>True while the main loop runs the machine (<see cref="RunFree"/>).</summary>
    public bool IsFreeRunning
    {
        get
        {
            lock (_gate) return _freeRunning;
        }
    }

    /// <summary>True while a debugger runs the machine on its own thread.</summary>
    public bool Driving => Volatile.Read(ref _driving) > 0;

    /// <summary>Raised after the paused flag changes (true: paused), outside the lock.</summary>
    public event Action<bool>? PausedChanged;

    public void Pause()
    {
        bool changed;
        lock (_gate)
        {
            changed = !_paused;
            _paused = true;
            while (!_quit) if (!InterruptFreeRun()) break;
        }
        if (changed) PausedChanged?.Invoke(true);
    }

    public void Unpause()
    {
        bool changed;
        lock (_gate)
        {
            changed = _paused;
            _paused = false;
            System.Threading.Monitor.PulseAll(_gate);
        }
        if (changed) PausedChanged?.Invoke(false);
    }

    public void Quit(int exitCode)
    {
        lock (_gate)
        {
            _quit = true;
            ExitCode ??= exitCode;
            System.Threading.Monitor.PulseAll(_gate);
            while (InterruptFreeRun()) { }
        }
        interruptRun();
    }

    /// <summary>
    /// Under the gate: interrupts the free run once and waits a little for it to end; false once none is
    /// left. An interrupt can land just before the run starts, which clears requests on entry, and be
    /// forgotten: callers repeat it until the run ends. On the run's own thread (a request made from
    /// inside the run) the request is seen at the next check, and waiting would never end.
    /// </summary>
    private bool InterruptFreeRun()
    {
        if (!_freeRunning || _freeRunThread == Environment.CurrentManagedThreadId) return false;
        interruptRun();
        System.Threading.Monitor.Wait(_gate, 20);
        return true;
    }

    /// <summary>Debugger: runs the (paused) machine on the caller's thread; monitors wait or interrupt it.</summary>
    public T Drive<T>(Func<T> run)
    {
        lock (_drive)
        {
            Interlocked.Increment(ref _driving);
            DriveChanged?.Invoke(true);
            try
            {
                return run();
            }
            finally
            {
                Interlocked.Decrement(ref _driving);
                DriveChanged?.Invoke(false);
            }
        }
    }

    /// <summary>Raised when a debugger starts (true) and ends (false) a run of its own.</summary>
    public event Action<bool>? DriveChanged;

    /// <summary>
    /// Monitors: once paused, takes the machine from a debugger that drives it (interrupting its run)
    /// and does <paramref name="work"/> with no one else touching the machine.
    /// </summary>
    public T Exclusive<T>(Func<T> work)
    {
        while (!System.Threading.Monitor.TryEnter(_drive, 20)) interruptRun();
        try
        {
            return work();
        }
        finally
        {
            System.Threading.Monitor.Exit(_drive);
        }
    }

    /// <summary>Main thread: waits while paused, then runs <paramref name="run"/>; null once quitting.</summary>
    public T? RunFree<T>(Func<T> run) where T : struct
    {
        lock (_gate)
        {
            while (_paused && !_quit) System.Threading.Monitor.Wait(_gate);
            if (_quit) return null;
            _freeRunning = true;
            _freeRunThread = Environment.CurrentManagedThreadId;
        }
        try
        {
            return run();
        }
        finally
        {
            lock (_gate)
            {
                _freeRunning = false;
                System.Threading.Monitor.PulseAll(_gate);
            }
        }
    }
}
