using System.Net;
using System.Net.Sockets;
using Rewind.Board.Devices;
using Rewind.Cli.CommandLine;
using Rewind.Core.Input;
using Rewind.Session;

namespace Rewind.Cli.Host;

/// <summary>
/// A console on a socket, as QEMU's socket chardev: `-serial tcp::4444,server=on,wait=off`, `-serial
/// unix:PATH,server=on`, a client with `-serial tcp:HOST:PORT`, or `-chardev socket,...` for a
/// virtconsole. A listening end serves one client at a time and takes the next after it leaves; with
/// wait=on (QEMU's default) the machine starts only when the first client has connected. What the
/// client sends goes to the input boundary (<see cref="LiveInput.Enqueue"/>, so a recording logs it; a
/// replay ignores it, its input being the recording's). The guest's output is written by a thread of
/// its own, so the run loop never waits for a slow client; while no client is connected it is dropped,
/// as QEMU drops it, and a client that does not read loses what passes <see cref="MaxBuffered"/>.
/// </summary>
internal sealed class SocketSerial : ISerialBackend, IDisposable
{
    private const int MaxBuffered = 1 << 20;

    private readonly string _origin;
    private readonly SocketSpec _spec;
    private readonly Socket? _listener;
    private readonly object _gate = new();
    private readonly List<byte> _out = [];
    private Socket? _connection;
    private LiveInput? _input;
    private InputChannel _channel;
    private bool _started;
    private bool _sending;
    private volatile bool _disposed;

    private SocketSerial(string origin, SocketSpec spec, Socket? listener, Socket? connection)
    {
        _origin = origin;
        _spec = spec;
        _listener = listener;
        _connection = connection;
    }

    /// <summary>Binds (and with wait=on waits for the first client) or connects, so a port in use or a refused connection is a one-line error before the machine starts.</summary>
    /// <exception cref="SessionException">The socket cannot be bound or connected.</exception>
    public static SocketSerial Open(string origin, SocketSpec spec, TextWriter log)
    {
        EndPoint endPoint;
        try
        {
            endPoint = spec.IsUnix ? new UnixDomainSocketEndPoint(spec.UnixPath!) : new IPEndPoint(StreamNetdev.Resolve(spec.Host), spec.Port);
        }
        catch (Exception e) when (e is ArgumentException or SocketException)
        {
            throw new SessionException($"{origin}: cannot use {spec}: {e.Message}");
        }
        if (!spec.Server)
        {
            var client = new Socket(endPoint.AddressFamily, SocketType.Stream, spec.IsUnix ? ProtocolType.Unspecified : ProtocolType.Tcp);
            try
            {
                client.Connect(endPoint);
                if (!spec.IsUnix) client.NoDelay = true;
                return new SocketSerial(origin, spec, null, client);
            }
            catch (SocketException e)
            {
                client.Dispose();
                string reason = e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : ListeningSocket.Describe(e);
                throw new SessionException($"{origin}: cannot connect to {spec}: {reason}");
            }
        }
        Socket listener;
        try
        {
            listener = ListeningSocket.Open(endPoint, 1);
        }
        catch (SocketException e)
        {
            throw new SessionException($"{origin}: cannot listen on {spec}: {ListeningSocket.Describe(e)}");
        }
        var serial = new SocketSerial(origin, spec, listener, null);
        if (spec.Wait)
        {
            // As QEMU: the guest does not start until someone is there to see its first line.
            log.WriteLine($"rewind: {origin}: waiting for a connection on {Describe(listener)}");
            log.Flush();
            try
            {
                serial._connection = Accepted(listener.Accept(), spec);
            }
            catch (SocketException e)
            {
                serial.Dispose();
                throw new SessionException($"{origin}: accepting on {spec}: {ListeningSocket.Describe(e)}");
            }
        }
        return serial;
    }

    /// <summary>The port actually bound (for tcp::0) or the socket's path.</summary>
    public string Address => _listener != null ? Describe(_listener) : _spec.ToString();

    /// <summary>Starts reading the client (taking clients, for a server) and writing the guest's output; <paramref name="input"/> is null in a replay.</summary>
    public void Start(LiveInput? input, InputChannel channel)
    {
        lock (_gate)
        {
            if (_started || _disposed) return;
            _started = true;
            _input = input;
            _channel = channel;
        }
        new Thread(ReadLoop) { IsBackground = true, Name = $"serial socket {_spec}" }.Start();
        new Thread(WriteLoop) { IsBackground = true, Name = $"serial socket writer {_spec}" }.Start();
    }

    public void Write(byte b)
    {
        lock (_gate)
        {
            if (_connection == null || _disposed || _out.Count >= MaxBuffered) return;
            _out.Add(b);
            if (_out.Count == 1) System.Threading.Monitor.PulseAll(_gate);
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[4096];
        while (!_disposed)
        {
            Socket? connection;
            lock (_gate) connection = _connection;
            if (connection == null)
            {
                if (_listener == null) return; // a client whose server went away stays disconnected, as QEMU's without reconnect=
                try
                {
                    connection = Accepted(_listener.Accept(), _spec);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                lock (_gate)
                {
                    if (_disposed)
                    {
                        connection.Dispose();
                        return;
                    }
                    _connection = connection;
                }
            }
            int n;
            try
            {
                n = connection.Receive(buffer);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                n = 0;
            }
            if (n > 0)
            {
                _input?.Enqueue(_channel, buffer.AsSpan(0, n).ToArray());
                continue;
            }
            lock (_gate)
            {
                if (_connection == connection)
                {
                    _connection = null;
                    _out.Clear(); // output for a client that left is not kept for the next one
                }
            }
            connection.Dispose();
        }
    }

    private void WriteLoop()
    {
        byte[] chunk = [];
        while (true)
        {
            Socket? connection;
            lock (_gate)
            {
                while (_out.Count == 0 && !_disposed) System.Threading.Monitor.Wait(_gate);
                if (_disposed) return;
                chunk = [.. _out];
                _out.Clear();
                _sending = true;
                connection = _connection;
            }
            if (connection == null) continue;
            try
            {
                int sent = 0;
                while (sent < chunk.Length) sent += connection.Send(chunk, sent, chunk.Length - sent, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The reader sees the connection end too and takes the next client.
            }
            lock (_gate)
            {
                _sending = false;
                System.Threading.Monitor.PulseAll(_gate); // Dispose may be waiting for the last bytes to leave
            }
        }
    }

    private static Socket Accepted(Socket connection, SocketSpec spec)
    {
        if (!spec.IsUnix) connection.NoDelay = true;
        return connection;
    }

    private static string Describe(Socket listener) => listener.LocalEndPoint switch
    {
        IPEndPoint ip => $"tcp:{ip.Address}:{ip.Port}",
        { } other => $"unix:{other}",
        null => "?",
    };

    public void Dispose()
    {
        Socket? connection;
        lock (_gate)
        {
            if (_disposed) return;
            // The guest's last words reach a connected client (bounded: a client that does not read is not waited for).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            while (_started && _connection != null && (_out.Count > 0 || _sending) && DateTime.UtcNow < deadline)
                System.Threading.Monitor.Wait(_gate, TimeSpan.FromMilliseconds(50));
            _disposed = true;
            connection = _connection;
            _connection = null;
            System.Threading.Monitor.PulseAll(_gate);
        }
        connection?.Dispose();
        _listener?.Dispose();
        if (_spec.IsUnix && _spec.Server)
        {
            try { File.Delete(_spec.UnixPath!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
