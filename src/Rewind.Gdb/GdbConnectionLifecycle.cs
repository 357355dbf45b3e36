namespace Rewind.Gdb;

/// <summary>Where the GDB server is in a connection's life (docs/gdb-server.md).</summary>
public enum GdbConnectionState
{
    /// <summary>Created, not yet listening.</summary>
    Idle,
    /// <summary>Listening, no client: a stop now is kept for the next client's '?'.</summary>
    Listening,
    /// <summary>A client is connected and the machine is stopped for it.</summary>
    Attached,
    /// <summary>The client resumed the machine (c, s, vCont, bc, bs) and waits for its stop reply.</summary>
    Running,
    /// <summary>The connection ended (EOF, reset, D, k, error, the process ending): the machine is handed back.</summary>
    Leaving,
    /// <summary>The server stopped listening for good.</summary>
    Closed,
}

/// <summary>
/// The GDB server's connection state machine: one client at a time, every move checked against the
/// transitions below, and each move announced (for logs and tests). A move that is not allowed is
/// a bug of ours: it is refused and logged, never thrown into a socket callback.
/// </summary>
/// <remarks>
/// Idle → Listening | Closed; Listening → Attached | Closed; Attached → Running | Leaving;
/// Running → Attached | Leaving; Leaving → Listening | Closed.
/// </remarks>
public sealed class GdbConnectionLifecycle
{
    private readonly object _gate = new();
    private readonly TextWriter? _log;
    private GdbConnectionState _state;

    public GdbConnectionLifecycle(TextWriter? log = null) => _log = log;

    public GdbConnectionState State
    {
        get
        {
            lock (_gate) return _state;
        }
    }

    /// <summary>Raised after each move, with the state moved from and to, on the thread that moved.</summary>
    public event Action<GdbConnectionState, GdbConnectionState>? Moved;

    public static bool Allowed(GdbConnectionState from, GdbConnectionState to) => (from, to) switch
    {
        (GdbConnectionState.Idle, GdbConnectionState.Listening or GdbConnectionState.Closed) => true,
        (GdbConnectionState.Listening, GdbConnectionState.Attached or GdbConnectionState.Closed) => true,
        (GdbConnectionState.Attached, GdbConnectionState.Running or GdbConnectionState.Leaving) => true,
        (GdbConnectionState.Running, GdbConnectionState.Attached or GdbConnectionState.Leaving) => true,
        (GdbConnectionState.Leaving, GdbConnectionState.Listening or GdbConnectionState.Closed) => true,
        _ => false,
    };

    /// <summary>Moves to <paramref name="to"/> if allowed from the current state; false (and a log line) otherwise.</summary>
    public bool MoveTo(GdbConnectionState to) => MoveTo(null, to);

    /// <summary>Moves only from <paramref name="from"/> (any state when null).</summary>
    public bool MoveTo(GdbConnectionState? from, GdbConnectionState to)
    {
        GdbConnectionState was;
        lock (_gate)
        {
            was = _state;
            if (from is GdbConnectionState expected && was != expected) return false;
            if (!Allowed(was, to))
            {
                if (from == null) _log?.WriteLine($"gdb: internal: no move from {was} to {to}");
                return false;
            }
            _state = to;
            System.Threading.Monitor.PulseAll(_gate);
        }
        Moved?.Invoke(was, to);
        return true;
    }

    /// <summary>Waits until the state is not <paramref name="state"/>; false on timeout.</summary>
    public bool WaitWhile(GdbConnectionState state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_gate)
        {
            while (_state == state)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                System.Threading.Monitor.Wait(_gate, left);
            }
            return true;
        }
    }
}
