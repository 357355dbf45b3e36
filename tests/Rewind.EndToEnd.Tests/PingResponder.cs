using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The far end of a guest's `-netdev socket,connect=` link, speaking QEMU's stream framing (a 4-byte
/// big-endian length, then the Ethernet frame): a host at <see cref="Address"/> that answers ARP
/// requests for its address and ICMP echo requests to it, as a firmware's `ping` needs. It serves one
/// connection, until the guest's side closes.
/// </summary>
internal sealed class PingResponder : IDisposable
{
    public static readonly byte[] Address = [10, 0, 2, 2];
    public static readonly byte[] Mac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _serving;
    private int _echoes;

    public PingResponder()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _serving = Task.Run(Serve);
    }

    public int Port { get; }
    /// <summary>Echo requests answered so far.</summary>
    public int EchoesAnswered => Volatile.Read(ref _echoes);

    private async Task Serve()
    {
        using var connection = await _listener.AcceptSocketAsync();
        try
        {
            while (StreamFraming.Read(connection) is byte[] frame)
                if (Answer(frame) is byte[] reply)
                    StreamFraming.Write(connection, reply);
        }
        catch (SocketException)
        {
            // The guest's side went away mid-frame: the run is over.
        }
    }

    private byte[]? Answer(byte[] frame)
    {
        if (frame.Length < 42) return null;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        if (type == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(20)) == 1 && frame.AsSpan(38, 4).SequenceEqual(Address))
        {
            var reply = (byte[])frame.Clone();
            frame.AsSpan(6, 6).CopyTo(reply);             // to the asker
            Mac.CopyTo(reply, 6);
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(20), 2);
            Mac.CopyTo(reply, 22);                          // sender: this host
            Address.CopyTo(reply, 28);
            frame.AsSpan(22, 10).CopyTo(reply.AsSpan(32));  // target: the asker's MAC and address
            return reply;
        }
        if (type != 0x0800) return null;
        int ihl = (frame[14] & 0xf) * 4, icmp = 14 + ihl;
        int total = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16));
        if (frame[23] != 1 || !frame.AsSpan(30, 4).SequenceEqual(Address) || frame.Length < 14 + total || frame[icmp] != 8) return null;
        var echo = (byte[])frame.Clone();
        frame.AsSpan(6, 6).CopyTo(echo);
        Mac.CopyTo(echo, 6);
        frame.AsSpan(26, 4).CopyTo(echo.AsSpan(30));       // swapping the addresses keeps the IP checksum
        Address.CopyTo(echo, 26);
        echo[icmp] = 0;                                    // echo reply
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(icmp + 2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(echo.AsSpan(icmp + 2), Checksum(echo.AsSpan(icmp, total - ihl)));
        Interlocked.Increment(ref _echoes);
        return echo;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/>.</summary>
    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    public void Dispose()
    {
        _listener.Stop();
        try { _serving.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
    }
}
