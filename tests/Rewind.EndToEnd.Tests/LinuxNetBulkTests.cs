using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// init's bulk commands, which bench/net.sh times: `netflood` sends frames of the size asked for, and
/// `netsink` sends its ready frame, then takes what the peer sends back and counts it.
/// </summary>
public sealed class LinuxNetBulkTests
{
    private const int Flood = 50, FloodSize = 100, Sink = 30, SinkSize = 1514;

    [Fact]
    public async Task Netflood_sends_its_frames_and_netsink_counts_the_peers()
    {
        var board = LinuxVirtioBoard.For(LinuxVirtioBoard.Riscv64);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = new List<byte[]>();
        var peer = Task.Run(() =>
        {
            using var s = listener.AcceptSocket();
            while (StreamFraming.Read(s) is byte[] frame)
            {
                received.Add(frame);
                if (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != 0x88b6) continue;
                var reply = new byte[SinkSize];
                reply.AsSpan(0, 6).Fill(0xff);
                reply[12] = 0x88;
                reply[13] = 0xb5;
                for (int i = 0; i < Sink; i++) StreamFraming.Write(s, reply);
            }
        });
        using var run = new RewindRun(board.Machine(1, $"-- netup eth0 ; netflood eth0 {Flood} {FloodSize} ; netsink eth0 {Sink} ; poweroff",
            ["-initrd", board.Workload.Initramfs, "-netdev", $"socket,id=n0,connect=127.0.0.1:{port}", "-device", "virtio-net-device,netdev=n0"]));
        run.CloseStdin();
        var result = run.WaitForExit(TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.ToString());
        await peer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains($"netflood: {Flood} frames {Flood * FloodSize} bytes in ", result.Stdout);
        Assert.Contains($"netsink: {Sink} frames {Sink * SinkSize} bytes in ", result.Stdout);
        var flooded = received.Where(f => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x88b5).ToList();
        Assert.Equal(Flood, flooded.Count);
        Assert.All(flooded, f => Assert.Equal(FloodSize, f.Length));
        // Each frame carries its number in its first payload byte, in order.
        Assert.Equal(Enumerable.Range(0, Flood).Select(i => (byte)i), flooded.Select(f => f[14]));
    }
}
