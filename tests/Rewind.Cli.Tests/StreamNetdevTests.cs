using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rewind.Cli.CommandLine;
using Rewind.Cli.Host;
using Rewind.Core.Input;
using Rewind.Devices.Net;

namespace Rewind.Cli.Tests;

/// <summary>
/// The host end of a socket netdev reading QEMU's stream framing from a real TCP peer: whatever way the
/// bytes are cut into segments, each frame reaches the input boundary whole, once, in order.
/// </summary>
public sealed class StreamNetdevTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private sealed class Frames : IInputSink
    {
        public List<byte[]> Received { get; } = [];
        public void Receive(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
    }

    private static byte[] Frame(int length, byte first)
    {
        var f = new byte[length];
        for (int i = 0; i < length; i++) f[i] = (byte)(first + i);
        return f;
    }

    private static byte[] Wire(IEnumerable<byte[]> frames)
    {
        var wire = new List<byte>();
        foreach (var f in frames)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)f.Length);
            wire.AddRange(length);
            wire.AddRange(f);
        }
        return [.. wire];
    }

    [Fact]
    public void FramesCutAnywhere_OrSharingASegment_ReachTheInputWholeAndInOrder()
    {
        byte[][] frames = [Frame(60, 1), Frame(61, 2), Frame(1, 3), Frame(1514, 4), Frame(60, 5)];
        byte[] wire = Wire(frames);
        // Inside the first length, again, inside the first frame, two bytes into the second's length, then
        // the rest of the second with all of the third and most of the fourth, then the rest.
        int[] cuts = [1, 3, 34, 66, 64 + 65 + 5 + 1000, wire.Length];

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var netdev = StreamNetdev.Open(new NetdevOption("n0", "-netdev socket", false, "127.0.0.1", port, null), TextWriter.Null);
        using var peer = listener.AcceptSocket();
        peer.NoDelay = true;
        var input = new LiveInput();
        var sink = new Frames();
        input.Attach(InputChannels.Net(0), sink);
        netdev.Start(input, InputChannels.Net(0));

        int sent = 0;
        foreach (int cut in cuts)
        {
            peer.Send(wire, sent, cut - sent, SocketFlags.None);
            sent = cut;
            // Handshake: the netdev's reader has taken every byte sent so far, so it now holds any frame cut
            // short (its length or its bytes) and must not have handed that one over yet.
            WaitUntilRead(peer);
            input.DeliverDue(0);
            int whole = frames.TakeWhile((_, i) => Wire(frames[..(i + 1)]).Length <= sent).Count();
            Assert.Equal(frames[..whole], sink.Received);
        }
    }

    /// <summary>
    /// A peer far ahead of the guest: the netdev hands the input boundary no more than the device holds
    /// (VirtioNet.MaxPending) and leaves the rest in the socket, so TCP holds the peer back, until the
    /// device releases frames; then every frame arrives, once and in order, with nothing dropped.
    /// </summary>
    [Fact]
    public void APeerFarAhead_IsReadOnlyAsFarAsTheDeviceHasRoom()
    {
        const int total = VirtioNet.MaxPending * 3;
        var frames = Enumerable.Range(0, total).Select(i => Frame(60, (byte)i)).ToArray();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var netdev = StreamNetdev.Open(new NetdevOption("n0", "-netdev socket", false, "127.0.0.1", port, null), TextWriter.Null);
        using var peer = listener.AcceptSocket();
        var input = new LiveInput();
        var sink = new Frames();
        input.Attach(InputChannels.Net(0), sink);
        netdev.Start(input, InputChannels.Net(0));
        // All of it fits in the sockets' buffers, so the peer is not held back by the netdev's reading.
        peer.Send(Wire(frames));
        WaitUntilAcknowledged(peer);

        DeliverUntil(input, sink, VirtioNet.MaxPending);
        // Handshake: every byte is in the netdev's socket, so only the netdev's own limit keeps the rest there.
        Assert.True(NetdevReceiveQueue(peer) > 0, "the netdev read the whole socket");
        input.DeliverDue(0);
        Assert.Equal(VirtioNet.MaxPending, sink.Received.Count);

        for (int released = 0; released < total; released++) netdev.FrameReleased();
        DeliverUntil(input, sink, total);
        Assert.Equal(frames, sink.Received);
    }

    private static void DeliverUntil(LiveInput input, Frames sink, int count)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (sink.Received.Count < count)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"{sink.Received.Count} frames of {count} arrived");
            input.DeliverDue(0);
            Thread.Yield();
        }
    }

    /// <summary>Waits until the netdev's socket has acknowledged everything the peer sent (the peer's tx_queue in /proc/net/tcp is 0).</summary>
    private static void WaitUntilAcknowledged(Socket peer)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (TcpQueues(peer, fromPeer: true).Tx != 0)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("the netdev's socket never took what its peer sent");
            Thread.Sleep(1);
        }
    }

    private static long NetdevReceiveQueue(Socket peer) => TcpQueues(peer, fromPeer: false).Rx;

    /// <summary>The tx_queue and rx_queue of the peer's socket or of the netdev's, as /proc/net/tcp shows them.</summary>
    private static (long Tx, long Rx) TcpQueues(Socket peer, bool fromPeer)
    {
        string peerEnd = Hex((IPEndPoint)peer.LocalEndPoint!), netdevEnd = Hex((IPEndPoint)peer.RemoteEndPoint!);
        (string local, string remote) = fromPeer ? (peerEnd, netdevEnd) : (netdevEnd, peerEnd);
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[1] != local || f[2] != remote) continue;
            var queues = f[4].Split(':');
            return (long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
        throw new InvalidOperationException("the connection is not in /proc/net/tcp");
    }

    /// <summary>
    /// Waits until the peer's bytes are acknowledged (in the netdev's socket) and read from it: /proc/net/tcp's
    /// tx_queue of the peer's socket and rx_queue of the netdev's are both 0.
    /// </summary>
    private static void WaitUntilRead(Socket peer)
    {
        string peerEnd = Hex((IPEndPoint)peer.LocalEndPoint!), netdevEnd = Hex((IPEndPoint)peer.RemoteEndPoint!);
        var deadline = DateTime.UtcNow + HangGuard;
        while (DateTime.UtcNow < deadline)
        {
            long? peerTx = null, netdevRx = null;
            foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var queues = f[4].Split(':');
                if (f[1] == peerEnd && f[2] == netdevEnd) peerTx = long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (f[1] == netdevEnd && f[2] == peerEnd) netdevRx = long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            if (peerTx == 0 && netdevRx == 0) return;
            Thread.Sleep(1);
        }
        Assert.Fail("the netdev never read what its peer sent");
    }

    /// <summary>An IPv4 end point as /proc/net/tcp spells it: the address as a little-endian word, the port, in hex.</summary>
    private static string Hex(IPEndPoint end) =>
        BinaryPrimitives.ReadUInt32LittleEndian(end.Address.GetAddressBytes()).ToString("X8", CultureInfo.InvariantCulture)
        + ":" + end.Port.ToString("X4", CultureInfo.InvariantCulture);
}
