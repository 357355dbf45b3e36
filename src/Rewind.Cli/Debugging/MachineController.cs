namespace Rewind.Cli.Debugging;

/// <summary>
/// Shares one machine between the free-running main loop and a debugger. The debugger pauses the
/// machine before touching it and drives it itself; when it lets go, the main loop runs on.
/// </summary>
internal sealed class MachineController(Action interruptRun)
{
    private readonly object _gate = new();
    private bool _paused;
    private bool _freeRunning;
    private bool _quit;

    public int? ExitCode { get; private set; }
    public bool Quitting => _quit;

    public void Pause()
    {
        lock (_gate)
        {
            _paused = true;
            if (!_freeRunning) return;
            interruptRun();
            while (_freeRunning) System.Threading.Monitor.Wait(_gate);
        }
    }

    public void Unpause()
    {
        lock (_gate)
        {
            _paused = false;
            System.Threading.Monitor.PulseAll(_gate);
        }
    }

    public void Quit(int exitCode)
    {
        lock (_gate)
        {
            _quit = true;
            ExitCode ??= exitCode;
            System.Threading.Monitor.PulseAll(_gate);
        }
        interruptRun();
    }

    /// <summary>Main thread: waits while paused, then runs <paramref name="run"/>; null once quitting.</summary>
    public T? RunFree<T>(Func<T> run) where T : struct
    {
        lock (_gate)
        {
            while (_paused && !_quit) System.Threading.Monitor.Wait(_gate);
            if (_quit) return null;
            _freeRunning = true;
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
