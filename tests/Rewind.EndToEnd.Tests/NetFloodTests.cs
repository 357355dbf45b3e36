using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// guests/netflood.c through ./rewind: a peer sends 2,000 frames at once, far more than the device holds
/// (VirtioNet.MaxPending), while the guest offers no receive buffers. The netdev must stop reading its
/// socket, as QEMU does, so TCP holds the peer back and every frame reaches the guest once and in order;
/// the recording has each at the count the device got it, and the replay needs no peer.
/// </summary>
public sealed class NetFloodTests : IDisposable
{
    private const int Frames = 2000, DeviceHolds = 256; // VirtioNet.MaxPending
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-netflood").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Machine(int port, string mode, string rr, bool modern) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("netflood"), "-nographic",
            .. (modern ? new[] { "-global", "virtio-mmio.force-legacy=false" } : []),
            "-netdev", $"socket,id=n0,connect=127.0.0.1:{port}", "-device", "virtio-net-device,netdev=n0",
            .. RecordingRuns.Rr(mode, rr)];

    /// <summary>Frame N as guests/netflood.c checks it: N after the Ethernet header, (N + i) &amp; 0xff after that.</summary>
    private static byte[] Frame(int n)
    {
        var f = new byte[60 + n * 37 % 1455];
        f.AsSpan(0, 6).Fill(0xff);
        byte[] mac = [0x02, 0, 0, 0, 0, 0x01];
        mac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x88b5);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(14), (uint)n);
        for (int i = 18; i < f.Length; i++) f[i] = (byte)(n + i);
        return f;
    }

    /// <summary>The peer: waits for the guest's "ready" frame, then sends every frame, one write each (a write blocks while the netdev holds back).</summary>
    private sealed class Flooder(Socket connection)
    {
        private long _submitted;

        /// <summary>Bytes handed to the peer's socket so far.</summary>
        public long Submitted => Interlocked.Read(ref _submitted);

        public void Run()
        {
            connection.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
            byte[]? ready = StreamFraming.Read(connection);
            Assert.NotNull(ready);
            Assert.Equal("ready", Encoding.ASCII.GetString(ready, 14, 5));
            for (int n = 0; n < Frames; n++)
            {
                var f = Frame(n);
                StreamFraming.Write(connection, f);
                Interlocked.Add(ref _submitted, 4 + f.Length);
            }
            // The guest sends nothing more: the next read ends when the machine closes the connection.
            Assert.Null(StreamFraming.Read(connection));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FarMoreFramesThanTheDeviceHolds_AllArriveOnceInOrder_AndReplayWithoutThePeer(bool modern)
    {
        string rr = Path.Combine(_dir, "flood.rr");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        RewindProcess.EnsureBuilt();
        using var machine = StartInteractive(Machine(port, "record", rr, modern));
        var stdout = machine.StandardOutput.ReadToEndAsync();
        var stderr = machine.StandardError.ReadToEndAsync();
        using var connection = await listener.AcceptSocketAsync().WaitAsync(Timeout);
        var flooder = new Flooder(connection);
        var peer = Task.Run(flooder.Run);

        // Handshake: the netdev has read as many frames as the device holds. Only then may the guest offer
        // buffers (its UART byte): without backpressure the netdev reads on, and the device drops frames.
        long holds = Enumerable.Range(0, DeviceHolds).Sum(n => 4L + Frame(n).Length);
        var deadline = DateTime.UtcNow + Timeout;
        while (NetdevHasRead(connection, flooder) < holds)
        {
            if (DateTime.UtcNow > deadline || peer.IsCompleted || machine.HasExited)
                Assert.Fail($"the netdev read {NetdevHasRead(connection, flooder)} bytes, never {holds}\n{(peer.IsFaulted ? peer.Exception : "")}");
            Thread.Sleep(1);
        }
        await machine.StandardInput.WriteAsync("g");
        machine.StandardInput.Close();

        await machine.WaitForExitAsync().WaitAsync(Timeout);
        var recorded = new ProcessResult(machine.ExitCode, await stdout, await stderr);
        Assert.True(recorded.ExitCode == 0, recorded.ToString());
        await peer.WaitAsync(Timeout);
        Assert.Contains($"netflood done: {Frames} frames in order", recorded.Stdout);

        // Every frame crossed the input boundary once, in order, and is in the log.
        var logged = new List<byte[]>();
        using (var reader = ReplayLogReader.Open(rr))
            while (reader.TryReadNext(out var rec))
                if (rec.Kind == RecordKind.InputEvent && rec.Channel == InputChannel.Net0) logged.Add(rec.Data.ToArray());
        Assert.Equal(Frames, logged.Count);
        for (int n = 0; n < Frames; n++) Assert.Equal(Frame(n), logged[n]);

        // Port 1: nothing listens there, and a replay opens no netdev.
        var replayed = RewindProcess.Run(Machine(1, "replay", rr, modern), null, Timeout);
        Assert.True(replayed.ExitCode == 0, replayed.ToString());
        Assert.Equal(recorded.Stdout, replayed.Stdout);
    }

    private static Process StartInteractive(string[] args)
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.Launcher);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>
    /// Bytes the netdev has read from its socket: what the peer handed its socket, less what is still in
    /// either socket (/proc/net/tcp's tx_queue of the peer's, rx_queue of the netdev's). Taken in that
    /// order, so a write in between makes it low, never high.
    /// </summary>
    private static long NetdevHasRead(Socket peer, Flooder flooder)
    {
        long submitted = flooder.Submitted;
        string peerEnd = Hex((IPEndPoint)peer.LocalEndPoint!), netdevEnd = Hex((IPEndPoint)peer.RemoteEndPoint!);
        long queued = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var queues = f[4].Split(':');
            if (f[1] == peerEnd && f[2] == netdevEnd) queued += long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (f[1] == netdevEnd && f[2] == peerEnd) queued += long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return submitted - queued;
    }

    private static string Hex(IPEndPoint end) =>
        BinaryPrimitives.ReadUInt32LittleEndian(end.Address.GetAddressBytes()).ToString("X8", CultureInfo.InvariantCulture)
        + ":" + end.Port.ToString("X4", CultureInfo.InvariantCulture);
}
