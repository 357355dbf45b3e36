using System.Net;
using System.Net.Sockets;
using Rewind.Session;

namespace Rewind.Gdb;

/// <summary>
/// Listens for GDB on a TCP endpoint (<c>tcp:[HOST]:PORT</c>; an empty host means 127.0.0.1, port 0
/// picks a free one) or on a Unix socket path, and serves one client at a time with an
/// <see cref="RspSession"/>. A client that connects while another is attached is turned away; a new
/// client may attach after the previous one disconnects. The machine is left stopped on disconnect.
/// </summary>
public sealed class RspServer : IDisposable
{
    private readonly IGdbTarget _target;
    private readonly TextWriter? _log;
    private readonly EndPoint _endPoint;
    private readonly string? _unixPath;
    private Socket? _listener;
    private CancellationTokenSource? _stop;
    private Task? _acceptLoop;
    private int _busy;

    /// <param name="endpoint"><c>tcp:HOST:PORT</c>, <c>tcp::PORT</c>, <c>HOST:PORT</c>, <c>:PORT</c>, a bare port number, or a Unix socket path.</param>
    public RspServer(IGdbTarget target, string endpoint, TextWriter? log = null)
    {
        _target = target;
        _log = log;
        (_endPoint, _unixPath) = ParseEndpoint(endpoint);
    }

    /// <summary>The bound endpoint (with the real port when 0 was asked for); null before <see cref="Start"/>.</summary>
    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>The bound TCP port, or 0 for a Unix socket or before <see cref="Start"/>.</summary>
    public int Port => (LocalEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>True while a client is attached.</summary>
    public bool ClientAttached => Volatile.Read(ref _busy) != 0;

    /// <summary>Raised (on a worker thread) when a session ends, with its reason.</summary>
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
        if (_listener != null) throw new InvalidOperationException("already started");
        Socket listener = ListeningSocket.Open(_endPoint, 4);
        _listener = listener;
        _stop = new CancellationTokenSource();
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stop.Token));
        _log?.WriteLine($"gdb: listening on {DescribeEndpoint()}");
    }

    private string DescribeEndpoint() => _unixPath ?? (LocalEndPoint is IPEndPoint ip ? $"tcp:{ip.Address}:{ip.Port}" : "?");

    /// <summary>Stops listening, ends the current session (a running target is interrupted) and waits for it.</summary>
    public void Stop()
    {
        if (_listener == null) return;
        _stop!.Cancel();
        _listener.Dispose();
        try { _acceptLoop?.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _listener = null;
        _stop.Dispose();
        _stop = null;
        if (_unixPath != null) ListeningSocket.RemoveFile(_unixPath);
    }

    public void Dispose() => Stop();

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stop)
    {
        Task? current = null;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(stop).ConfigureAwait(false); }
            catch (Exception) when (stop.IsCancellationRequested) { break; }
            catch (SocketException ex)
            {
                _log?.WriteLine($"gdb: accept failed: {ex.Message}");
                continue;
            }
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            {
                _log?.WriteLine("gdb: refusing a second client while one is attached");
                client.Dispose();
                continue;
            }
            current = ServeAsync(client, stop);
        }
        if (current != null) await current.ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        string reason = "";
        try
        {
            if (client.AddressFamily != AddressFamily.Unix) client.NoDelay = true;
            _log?.WriteLine($"gdb: client connected from {client.RemoteEndPoint?.ToString() ?? "unix socket"}");
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var session = new RspSession(stream, _target, _log);
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
            client.Dispose();
            Volatile.Write(ref _busy, 0);
            SessionEnded?.Invoke(reason);
        }
    }
}
