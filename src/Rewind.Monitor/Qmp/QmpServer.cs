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

    /// <exception cref="SocketException">The port or socket file is in use (by another process too) or cannot be bound.</exception>
    public void Start()
    {
        _listener = ListeningSocket.Open(_endPoint, 8);
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

    public void Dispose()
    {
        _stopped = true;
        if (_vm != null) _vm.Event -= Broadcast;
        _listener?.Dispose();
        QmpConnection[] all;
        lock (_connections) all = [.. _connections];
        foreach (var c in all) c.Close();
        if (_unixPath != null && _listener != null) ListeningSocket.RemoveFile(_unixPath);
        _firstClient.Dispose();
    }
}
