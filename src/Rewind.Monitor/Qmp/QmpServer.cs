using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Rewind.Monitor.Hmp;
using Rewind.Session;

namespace Rewind.Monitor.Qmp;

/// <summary>
/// QEMU's -qmp server on a TCP or Unix socket. Any number of clients, at once or one after another;
/// each gets the greeting and its own negotiation, and all negotiated clients receive the events.
/// </summary>
public sealed class QmpServer : IDisposable
{
    private readonly EndPoint _endPoint;
    private readonly string? _unixPath;
    private readonly QmpCommands _commands;
    private readonly IVmControl? _vm;
    private readonly TextWriter? _log;
    private readonly List<QmpConnection> _connections = [];
    private readonly ManualResetEventSlim _firstClient = new();
    private Socket? _listener;
    private volatile bool _stopped;

    public QmpServer(EndPoint endPoint, QmpCommands commands, IVmControl? vm, TextWriter? log = null)
    {
        _endPoint = endPoint;
        _unixPath = (endPoint as UnixDomainSocketEndPoint)?.ToString();
        _commands = commands;
        _vm = vm;
        _log = log;
    }

    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;
    public int Port => (LocalEndPoint as IPEndPoint)?.Port ?? 0;

    public int ClientCount
    {
        get
        {
            lock (_connections) return _connections.Count;
        }
    }

    public void Start()
    {
        if (_unixPath != null && File.Exists(_unixPath) && IsStale(_unixPath)) File.Delete(_unixPath);
        var listener = _unixPath != null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (_unixPath == null) listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(_endPoint);
            listener.Listen(8);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        if (_vm != null) _vm.Event += Broadcast;
        new Thread(AcceptLoop) { IsBackground = true, Name = "qmp-accept" }.Start();
    }

    /// <summary>wait=on: blocks until the first client has connected.</summary>
    public void WaitForClient() => _firstClient.Wait();

    /// <summary>Sends an event to every negotiated client.</summary>
    public void Broadcast(string name, IReadOnlyDictionary<string, object>? data)
    {
        var now = DateTimeOffset.UtcNow;
        long micro = now.Ticks % TimeSpan.TicksPerSecond / 10;
        var message = new JsonObject { ["event"] = name };
        if (data != null) message["data"] = QmpJson.From(data);
        message["timestamp"] = new JsonObject { ["seconds"] = now.ToUnixTimeSeconds(), ["microseconds"] = micro };
        QmpConnection[] all;
        lock (_connections) all = [.. _connections];
        foreach (var c in all) c.SendEvent((JsonObject)message.DeepClone());
    }

    private void AcceptLoop()
    {
        while (!_stopped)
        {
            Socket client;
            try
            {
                client = _listener!.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped) return;
                continue;
            }
            if (client.AddressFamily != AddressFamily.Unix) client.NoDelay = true;
            var connection = new QmpConnection(new NetworkStream(client, ownsSocket: true), _commands, _log);
            lock (_connections) _connections.Add(connection);
            _firstClient.Set();
            new Thread(() =>
            {
                try
                {
                    connection.Run();
                }
                finally
                {
                    lock (_connections) _connections.Remove(connection);
                    connection.Close();
                }
            })
            { IsBackground = true, Name = "qmp-client" }.Start();
        }
    }

    private static bool IsStale(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        _stopped = true;
        if (_vm != null) _vm.Event -= Broadcast;
        _listener?.Dispose();
        QmpConnection[] all;
        lock (_connections) all = [.. _connections];
        foreach (var c in all) c.Close();
        if (_unixPath != null)
        {
            try
            {
                File.Delete(_unixPath);
            }
            catch (IOException)
            {
            }
        }
        _firstClient.Dispose();
    }
}
