using System.Net.Sockets;
using System.Text;
using Rewind.Gdb;

namespace Rewind.Gdb.Tests;

/// <summary>A minimal GDB-side protocol client for tests, over a real socket.</summary>
internal sealed class RspClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A T stop reply without its expedited "NN:VALUE;" registers, for tests about the stop itself.</summary>
    public static string WithoutRegisters(string reply) =>
        System.Text.RegularExpressions.Regex.Replace(reply, "(?<=;)[0-9a-f]+:[0-9a-f]+;", "");
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Queue<byte> _pending = new();

    public RspClient(RspServer server)
    {
        _socket = new Socket(server.LocalEndPoint!.AddressFamily, SocketType.Stream,
            server.LocalEndPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        _socket.Connect(server.LocalEndPoint);
        _stream = new NetworkStream(_socket, ownsSocket: true);
    }

    public bool AckMode { get; set; } = true;

    public void Dispose() => _stream.Dispose();

    public void SendRaw(string text) => SendRaw(Encoding.Latin1.GetBytes(text));

    public void SendRaw(byte[] bytes)
    {
        _stream.Write(bytes);
        _stream.Flush();
    }

    public void Send(string payload) => SendRaw(RspFraming.Frame(payload));

    /// <summary>Sends a packet and returns the reply packet (acking it).</summary>
    public string Command(string payload)
    {
        Send(payload);
        if (AckMode) Assert.Equal('+', (char)ReadByte());
        return ReadPacket();
    }

    public int ReadByte()
    {
        if (_pending.Count > 0) return _pending.Dequeue();
        var buf = new byte[1];
        using var cts = new CancellationTokenSource(Timeout);
        int n = _stream.ReadAsync(buf, cts.Token).AsTask().GetAwaiter().GetResult();
        return n == 0 ? -1 : buf[0];
    }

    /// <summary>Reads the next packet (skipping acks), checks its checksum, acks it, and returns it unescaped.</summary>
    public string ReadPacket()
    {
        int b;
        while ((b = ReadByte()) != '$')
            if (b < 0) throw new EndOfStreamException();
        var raw = new List<byte>();
        while ((b = ReadByte()) != '#')
        {
            if (b < 0) throw new EndOfStreamException();
            raw.Add((byte)b);
        }
        string cs = $"{(char)ReadByte()}{(char)ReadByte()}";
        Assert.Equal(RspFraming.Checksum(raw.ToArray()).ToString("x2"), cs);
        if (AckMode) Ack();
        return Encoding.Latin1.GetString(RspFraming.Unescape(raw.ToArray())!);
    }

    /// <summary>
    /// Acks a packet. A server that is going away (W/X, then close) does not wait for the ack,
    /// so the peer may already have closed: a refused ack is not the packet's failure.
    /// </summary>
    private void Ack()
    {
        try { SendRaw("+"); }
        catch (IOException) { }
    }

    /// <summary>True when the server closed the connection within the timeout.</summary>
    public bool WaitForClose()
    {
        try
        {
            while (true)
            {
                int b = ReadByte();
                if (b < 0) return true;
            }
        }
        catch (IOException) { return true; }
        catch (OperationCanceledException) { return false; }
    }
}
