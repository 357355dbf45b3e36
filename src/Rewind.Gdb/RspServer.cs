using System.Net;
using System.Net.Sockets;
using Rewind.Session;

namespace Rewind.Gdb;

/// <summary>
/// Listens for GDB on a TCP endpoint (<c>tcp:[HOST]:PORT</c>; an empty host means 127.0.0.1, port 0
/// picks a free one) or on a Unix socket path, and serves one client at a time with an
/// <see cref="RspSession"/>, moving through <see cref="GdbConnectionLifecycle"/>'s states
/// (docs/gdb-server.md). A client that connects while another is attached is turned away; one that
/// connects while the previous one is still leaving waits for it. The machine stops when a client
/// comes; when it goes, a machine that was stopped before it came and that it never resumed stays
/// stopped, otherwise it runs on.
/// </summary>
public sealed class RspServer : IDisposable
{
    // How long a new client waits for the previous one to finish leaving, and the process's last
    // stop reply waits for a client that does not read.
    private static readonly TimeSpan LeaveWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FarewellWait = TimeSpan.FromSeconds(3);

    private readonly IGdbTarget _target;
    private readonly TextWriter? _log;
    private readonly EndPoint _endPoint;
    private readonly string? _unixPath;
    private Socket? _listener;
    private CancellationTokenSource? _stop;
    private Task? _acceptLoop;
    private volatile Task? _serving;
    private volatile RspSession? _session;
    private volatile bool _closing;

    /// <param name="endpoint"><c>tcp:HOST:PORT</c>, <c>tcp::PORT</c>, <c>HOST:PORT</c>, <c>:PORT</c>, a bare port number, or a Unix socket path.</param>
    public RspServer(IGdbTarget target, string endpoint, TextWriter? log = null)
    {
        _target = target;
        _log = log;
        (_endPoint, _unixPath) = ParseEndpoint(endpoint);
        Lifecycle = new GdbConnectionLifecycle(log);
    }

    /// <summary>The connection state machine (observe <see cref="GdbConnectionLifecycle.Moved"/>).</summary>
    public GdbConnectionLifecycle Lifecycle { get; }

    /// <summary>The bound endpoint (with the real port when 0 was asked for); null before <see cref="Start"/>.</summary>
    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>The bound TCP port, or 0 for a Unix socket or before <see cref="Start"/>.</summary>
    public int Port => (LocalEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>True while a client is attached (or still leaving).</summary>
    public bool ClientAttached => Lifecycle.State is GdbConnectionState.Attached or GdbConnectionState.Running or GdbConnectionState.Leaving;

    /// <summary>Raised (on a worker thread) when a session ends, with its reason, once the machine has been handed back.</summary>
    public event Action<string>? SessionEnded;

    public static (EndPoint EndPoint, string? UnixPath) ParseEndpoint(string endpoint)
    {
        string spec = endpoint.Trim();
        if (spec.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            string unix = UnixSocketPath(spec, endpoint);
            return (new UnixDomainSocketEndPoint(unix), unix);
        }
        bool tcp = spec.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase);
        if (tcp) spec = spec[4..];
        int colon = spec.LastIndexOf(':');
        string host = colon >= 0 ? spec[..colon] : "";
        string portText = colon >= 0 ? spec[(colon + 1)..] : spec;
        if (int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port)
            && port is >= 0 and <= 65535 && (tcp || colon >= 0 || !spec.Contains('/')))
        {
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            IPAddress address;
            if (host.Length == 0 || host == "localhost") address = IPAddress.Loopback;
            else if (!IPAddress.TryParse(host, out address!))
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                    ?? throw new ArgumentException($"cannot resolve host '{host}'", nameof(endpoint));
            }
            return (new IPEndPoint(address, port), null);
        }
        if (tcp) throw new ArgumentException($"bad TCP endpoint '{endpoint}' (expected tcp:[HOST]:PORT)", nameof(endpoint));
        return (new UnixDomainSocketEndPoint(spec), spec);
    }

    /// <summary>
    /// <c>unix:PATH</c> as QEMU's character devices spell it (with <c>,server=on,wait=off</c> if given,
    /// which a GDB server always is), or a bare path.
    /// </summary>
    private static string UnixSocketPath(string spec, string endpoint)
    {
        string[] parts = spec[5..].Split(',');
        foreach (string option in parts.Skip(1))
        {
            string key = option.Split('=')[0];
            if (key is not ("server" or "wait" or "nowait"))
                throw new ArgumentException($"unsupported parameter '{key}' for a GDB socket", nameof(endpoint));
        }
        if (parts[0].Length == 0) throw new ArgumentException("missing socket path after 'unix:'", nameof(endpoint));
        return parts[0];
    }

    /// <summary>Binds and starts accepting clients in the background.</summary>
    /// <exception cref="SocketException">The port or socket file is in use (by another process too) or cannot be bound.</exception>
    public void Start()
    {
        if (_listener != null || Lifecycle.State != GdbConnectionState.Idle) throw new InvalidOperationException("already started");
        Socket listener = ListeningSocket.Open(_endPoint, 4);
        _listener = listener;
        _stop = new CancellationTokenSource();
        Lifecycle.MoveTo(GdbConnectionState.Listening);
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stop.Token));
        _log?.WriteLine($"gdb: listening on {DescribeEndpoint()}");
    }

    private string DescribeEndpoint() => _unixPath ?? (LocalEndPoint is IPEndPoint ip ? $"tcp:{ip.Address}:{ip.Port}" : "?");

    /// <summary>
    /// Stops listening. A connected client first gets its last stop reply (W with the guest's exit
    /// status, or X when the host ends the process) as the process ends; then its session ends and
    /// the server waits for it.
    /// </summary>
    public void Stop()
    {
        if (_listener == null) return;
        _closing = true;
        _listener.Dispose();
        _session?.Farewell();
        try { _serving?.Wait(FarewellWait); } catch (AggregateException) { }
        _stop!.Cancel();
        try { _acceptLoop?.Wait(LeaveWait); } catch (AggregateException) { }
        Lifecycle.MoveTo(GdbConnectionState.Listening, GdbConnectionState.Closed);
        _listener = null;
        _stop.Dispose();
        _stop = null;
        if (_unixPath != null) ListeningSocket.RemoveFile(_unixPath);
    }

    public void Dispose() => Stop();

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(stop).ConfigureAwait(false); }
            catch (Exception) when (stop.IsCancellationRequested || _closing) { break; }
            catch (SocketException ex)
            {
                _log?.WriteLine($"gdb: accept failed: {ex.Message}");
                continue;
            }
            // A client still leaving (its run being interrupted, the machine handed back) is not
            // "another client": the new one waits for it, briefly, rather than being turned away.
            if (Lifecycle.State == GdbConnectionState.Leaving && _serving is Task leaving)
            {
                try { await leaving.WaitAsync(LeaveWait, stop).ConfigureAwait(false); }
                catch (Exception) when (stop.IsCancellationRequested) { client.Dispose(); break; }
                catch (TimeoutException) { }
            }
            if (_closing || !Lifecycle.MoveTo(GdbConnectionState.Listening, GdbConnectionState.Attached))
            {
                _log?.WriteLine("gdb: refusing a second client while one is attached");
                client.Dispose();
                continue;
            }
            _serving = ServeAsync(client, stop);
        }
        if (_serving is Task current) await current.ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        await Task.Yield();
        string reason = "";
        try
        {
            if (client.AddressFamily != AddressFamily.Unix) client.NoDelay = true;
            _log?.WriteLine($"gdb: client connected from {client.RemoteEndPoint?.ToString() ?? "unix socket"}");
            _target.ClientAttached();
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var session = new RspSession(stream, _target, _log, Lifecycle);
            _session = session;
            if (_closing) session.Farewell();
            await session.RunAsync(stop).ConfigureAwait(false);
            reason = session.EndReason;
        }
        catch (Exception ex)
        {
            reason = "error: " + ex.Message;
            _log?.WriteLine($"gdb: session failed: {ex.Message}");
        }
        finally
        {
            _session = null;
            client.Dispose();
            Lifecycle.MoveTo(GdbConnectionState.Leaving);
            try
            {
                _target.ClientLeft();
            }
            catch (Exception ex)
            {
                _log?.WriteLine($"gdb: handing the machine back failed: {ex.Message}");
            }
            Lifecycle.MoveTo(_closing ? GdbConnectionState.Closed : GdbConnectionState.Listening);
            SessionEnded?.Invoke(reason);
        }
    }
}
