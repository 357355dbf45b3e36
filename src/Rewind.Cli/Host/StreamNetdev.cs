using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Rewind.Cli.CommandLine;
using Rewind.Core.Input;
using Rewind.Devices.Net;
using Rewind.Session;

namespace Rewind.Cli.Host;

/// <summary>
/// The host end of a socket or stream netdev: one stream connection to a peer (another Rewind, QEMU,
/// or any program), carrying Ethernet frames each after its length as a 4-byte big-endian number, as
/// QEMU's socket and stream netdevs do. A listening end takes one peer at a time and takes the next
/// after it leaves. Received frames go to the input boundary (<see cref="LiveInput.Enqueue"/>, so a
/// recording logs them); frames the guest sends are written by a thread of their own, so the run loop
/// never waits for the network, and are dropped while no peer is connected, as QEMU drops them.
/// The reader stops reading the socket while <see cref="VirtioNet.MaxPending"/> frames it handed over are
/// still held by the input boundary or the device (the guest offers no receive buffers), so TCP throttles
/// the peer instead of the device dropping frames, as QEMU does; it reads again when the device releases
/// one (<see cref="FrameReleased"/>). This only paces the host: the recording has each frame at the count
/// the device got it, and a replay has no netdev at all.
/// </summary>
public sealed class StreamNetdev : INetworkPeer, IDisposable
{
    /// <summary>QEMU's NET_BUFSIZE: a longer frame on the wire ends the connection, as in QEMU.</summary>
    public const int MaxWireFrame = 4096 + 65536;
    /// <summary>Frames waiting to be written; more are dropped, as a full transmit queue drops.</summary>
    private const int MaxQueuedFrames = 1024;

    private readonly NetdevOption _option;
    private readonly Socket? _listener;
    private readonly BlockingCollection<byte[]> _outgoing = new(MaxQueuedFrames);
    private readonly TextWriter _log;
    private readonly object _lock = new();
    /// <summary>Frames the reader may still hand over before the device must release one.</summary>
    private readonly SemaphoreSlim _room = new(VirtioNet.MaxPending);
    private readonly CancellationTokenSource _closing = new();
    private Socket? _connection;
    private LiveInput? _input;
    private InputChannel _channel;
    private Thread? _writer;
    private volatile bool _disposed;

    private StreamNetdev(NetdevOption option, Socket? listener, Socket? connection, TextWriter log)
    {
        _option = option;
        _listener = listener;
        _connection = connection;
        _log = log;
    }

    /// <summary>Binds (server) or connects (client) at once, so a port in use or a refused connection is a one-line error before the machine starts.</summary>
    /// <exception cref="SessionException">The socket cannot be bound or connected.</exception>
    public static StreamNetdev Open(NetdevOption option, TextWriter log)
    {
        Socket? socket = null;
        try
        {
            EndPoint endPoint = option.UnixPath != null
                ? new UnixDomainSocketEndPoint(option.UnixPath)
                : new IPEndPoint(Resolve(option.Host), option.Port);
            socket = new Socket(endPoint.AddressFamily, SocketType.Stream, option.UnixPath != null ? ProtocolType.Unspecified : ProtocolType.Tcp);
            if (option.Server)
            {
                // Exclusive, as the other servers: a second listener on the port is an error, not a share.
                if (option.UnixPath == null) socket.ExclusiveAddressUse = true;
                socket.Bind(endPoint);
                socket.Listen(1);
                if (endPoint is IPEndPoint ip && !IPAddress.IsLoopback(ip.Address))
                    log.WriteLine($"rewind: warning: {option.Origin}: listening on {socket.LocalEndPoint}, which is not a loopback address; anyone who can reach it can send the guest frames");
                return new StreamNetdev(option, socket, null, log);
            }
            socket.Connect(endPoint);
            if (option.UnixPath == null) socket.NoDelay = true;
            return new StreamNetdev(option, null, socket, log);
        }
        catch (SocketException e)
        {
            socket?.Dispose();
            string verb = option.Server ? "cannot listen on" : "cannot connect to";
            string reason = e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : ListeningSocket.Describe(e);
            throw new SessionException($"{option.Origin}: {verb} {option.Address}: {reason}");
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            socket?.Dispose();
            throw new SessionException($"{option.Origin}: {option.Address}: {e.Message}");
        }
    }

    /// <summary>A host name or address as QEMU's socket options take it (none: any address); shared with <see cref="SocketSerial"/> and the QMP listener.</summary>
    /// <exception cref="ArgumentException">The name does not resolve to an IPv4 address.</exception>
    internal static IPAddress Resolve(string? host)
    {
        if (host == null) return IPAddress.Any;
        if (host == "localhost") return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var ip)) return ip;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"host '{host}' has no IPv4 address");
        }
        catch (SocketException)
        {
            throw new ArgumentException($"cannot resolve host '{host}'");
        }
    }

    /// <summary>Starts reading frames into <paramref name="input"/> on <paramref name="channel"/>, and writing the guest's.</summary>
    public void Start(LiveInput input, InputChannel channel)
    {
        _input = input;
        _channel = channel;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"netdev {_option.Id} writer" };
        _writer.Start();
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = $"netdev {_option.Id} reader" };
        reader.Start();
    }

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (_disposed || Volatile.Read(ref _connection) == null) return;
        var wire = new byte[4 + frame.Length];
        BinaryPrimitives.WriteUInt32BigEndian(wire, (uint)frame.Length);
        frame.CopyTo(wire.AsSpan(4));
        try
        {
            _outgoing.TryAdd(wire);
        }
        catch (InvalidOperationException)
        {
            // Closing: the frame goes nowhere, as with no peer.
        }
    }

    /// <summary>The device took a frame into a receive buffer (or dropped it): the reader may read one more.</summary>
    public void FrameReleased() => _room.Release();

    private void ReadLoop()
    {
        while (!_disposed)
        {
            var connection = Volatile.Read(ref _connection);
            if (connection == null)
            {
                if (_listener == null) return;
                try
                {
                    connection = _listener.Accept();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                if (connection.AddressFamily != AddressFamily.Unix) connection.NoDelay = true;
                lock (_lock)
                {
                    if (_disposed)
                    {
                        connection.Dispose();
                        return;
                    }
                    _connection = connection;
                }
            }
            string? why = ReadFrames(connection);
            lock (_lock)
            {
                _connection = null;
                connection.Dispose();
            }
            if (_disposed) return;
            if (why != null) _log.WriteLine($"rewind: {_option.Origin}: {why}");
            // A client's peer is gone for good; a server waits for the next.
            if (_listener == null) return;
        }
    }

    /// <summary>Reads frames until the peer closes (null) or breaks the framing (the reason).</summary>
    private string? ReadFrames(Socket connection)
    {
        var header = new byte[4];
        try
        {
            while (true)
            {
                // Not a byte more from the socket until the device has room for the frame.
                _room.Wait(_closing.Token);
                bool handedOver = false;
                try
                {
                    if (!ReadExactly(connection, header)) return null;
                    uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
                    if (length > MaxWireFrame)
                        return $"the peer sent a frame of {length} bytes (at most {MaxWireFrame}); connection closed";
                    var frame = new byte[length];
                    if (!ReadExactly(connection, frame)) return "the peer closed the connection inside a frame";
                    _input!.Enqueue(_channel, frame);
                    handedOver = true;
                }
                finally
                {
                    // No frame came: the room stays for the next one (or the next peer's).
                    if (!handedOver) _room.Release();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return _disposed ? null : $"connection lost: {(e is SocketException s ? ListeningSocket.Describe(s) : e.Message)}";
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }


    private static bool ReadExactly(Socket socket, byte[] buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = socket.Receive(buffer, done, buffer.Length - done, SocketFlags.None);
            if (n == 0) return false;
            done += n;
        }
        return true;
    }

    private void WriteLoop()
    {
        foreach (var wire in _outgoing.GetConsumingEnumerable())
        {
            var connection = Volatile.Read(ref _connection);
            if (connection == null) continue;
            try
            {
                int done = 0;
                while (done < wire.Length) done += connection.Send(wire, done, wire.Length - done, SocketFlags.None);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The reader sees the same failure and reports it once.
            }
        }
    }

    /// <summary>Sends what the guest already transmitted (for a second at most), then closes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _outgoing.CompleteAdding();
        _writer?.Join(TimeSpan.FromSeconds(1));
        lock (_lock)
        {
            _disposed = true;
            _closing.Cancel(); // a reader waiting for room
            try
            {
                _connection?.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            _connection?.Dispose();
            _connection = null;
        }
        _listener?.Dispose();
        if (_option.UnixPath != null && _option.Server) File.Delete(_option.UnixPath);
    }
}
