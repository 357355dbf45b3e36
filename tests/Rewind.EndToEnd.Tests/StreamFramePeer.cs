using System.Net;
using System.Net.Sockets;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The other end of a machine's `-netdev socket,connect=127.0.0.1:PORT`: listens on a free loopback
/// port, takes the machine's one connection and speaks QEMU's stream framing (a 4-byte big-endian
/// length, then the Ethernet frame). Every frame received is answered with what <c>answer</c> makes of
/// it (nothing if null), until the machine closes the connection.
/// </summary>
internal sealed class StreamFramePeer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<byte[], byte[]?> _answer;
    private readonly List<byte[]> _received = [], _sent = [];
    private readonly Task _serving;

    public StreamFramePeer(Func<byte[], byte[]?> answer)
    {
        _answer = answer;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = Task.Run(Serve);
    }

    public int Port { get; }

    /// <summary>Frames from the machine, in order; complete once <see cref="Finish"/> returned.</summary>
    public IReadOnlyList<byte[]> Received { get { lock (_received) return [.. _received]; } }

    /// <summary>Frames this peer sent, in order.</summary>
    public IReadOnlyList<byte[]> Sent { get { lock (_sent) return [.. _sent]; } }

    private async Task Serve()
    {
        using var connection = await _listener.AcceptSocketAsync().ConfigureAwait(false);
        _listener.Stop();
        while (ReadFrame(connection) is byte[] frame)
        {
            lock (_received) _received.Add(frame);
            if (_answer(frame) is not byte[] reply) continue;
            StreamFraming.Write(connection, reply);
            lock (_sent) _sent.Add(reply);
        }
    }

    /// <summary>The next frame, or null once the machine has gone (closed, or reset as it exits).</summary>
    private static byte[]? ReadFrame(Socket s)
    {
        try
        {
            return StreamFraming.Read(s);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>Waits for the machine to have connected and gone (call after it exited); rethrows what went wrong here.</summary>
    public void Finish(TimeSpan timeout)
    {
        if (!_serving.Wait(timeout)) throw new TimeoutException("the machine never connected to the peer, or never closed the connection");
    }

    public void Dispose()
    {
        _listener.Stop();
        try { _serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
