using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// guests/net.c through ./rewind: ping/pong over virtio-net with a peer speaking QEMU's stream framing
/// (this test, or a second Rewind), recorded, then replayed with the peer gone.
/// </summary>
public sealed class VirtioNetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-net").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Machine(params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("net"), "-nographic", .. extra];

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static void AssertGuestDone(ProcessResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("net done: 8 pings answered", r.Stdout);
    }

    /// <summary>
    /// The guest's protocol from the other side, over one connection in QEMU's framing (a 4-byte big-endian
    /// length, then the frame): pings 0..7 one at a time, a pong for every ping. Returns the payloads received.
    /// </summary>
    private static List<string> RunPeer(Socket connection)
    {
        // No resend: a frame lost either way leaves both sides waiting, the guest gives up after 10 s of
        // its time and closes, and the test fails. The timeout only guards against a hang.
        connection.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        var received = new List<string>();
        int nextPing = 0;
        bool answeredLast = false;
        Send(connection, "ping", 0);
        while (nextPing < 8 || !answeredLast)
        {
            byte[]? frame = StreamFraming.Read(connection);
            Assert.NotNull(frame);
            Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, frame[..6]);
            Assert.Equal(0x88b5, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
            string payload = Encoding.ASCII.GetString(frame, 14, 6);
            received.Add(payload);
            int k = payload[5] - '0';
            if (payload.StartsWith("ping", StringComparison.Ordinal))
            {
                Send(connection, "pong", k);
                if (k == 7) answeredLast = true;
            }
            else if (payload.StartsWith("pong", StringComparison.Ordinal) && k == nextPing && ++nextPing < 8)
                Send(connection, "ping", nextPing);
        }
        return received;
    }

    private static void Send(Socket s, string word, int k)
    {
        var frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xff);
        byte[] mac = [0x02, 0, 0, 0, 0, 0x01];
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88b5);
        Encoding.ASCII.GetBytes($"{word} {k}").CopyTo(frame, 14);
        StreamFraming.Write(s, frame);
    }

    /// <summary>Runs the guest connected to this test's peer; returns the run and what the peer received.</summary>
    private static (ProcessResult Run, List<string> PeerReceived) WithTestPeer(Func<int, string[]> args)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var run = Task.Run(() => RewindProcess.Run(args(port), null, Timeout));
        var accept = listener.AcceptSocketAsync();
        // Either the machine connects, or it ended (with an error worth seeing) before it did.
        int first = Task.WaitAny([accept, run], Timeout);
        if (first != 0) Assert.Fail(run.IsCompleted ? run.Result.ToString() : "the machine never connected");
        using var connection = accept.Result;
        List<string> received;
        try
        {
            received = RunPeer(connection);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The machine's own account is what explains a peer left waiting.
            throw new InvalidOperationException($"{e.Message}\nthe machine: {(run.Wait(Timeout) ? run.Result.ToString() : "still running")}", e);
        }
        return (run.Result, received);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void WithATestPeer_RecordedThenReplayedWithoutIt_PrintsTheSame(bool modern, int version)
    {
        string rr = Path.Combine(_dir, "net.rr");
        string[] legacy = modern ? ["-global", "virtio-mmio.force-legacy=false"] : [];
        var (recorded, peerGot) = WithTestPeer(port =>
            Machine([.. legacy, "-netdev", $"socket,id=n0,connect=127.0.0.1:{port}", "-device", "virtio-net-device,netdev=n0",
                .. RecordingRuns.Rr("record", rr)]));
        AssertGuestDone(recorded);
        Assert.Contains($"net slot 7 version {version} mac 52:54:00:12:34:56", recorded.Stdout);
        Assert.Contains("rx pong 7 from 01", recorded.Stdout);
        // Each frame as the guest wrote it: its ping 0 first, and one pong for each of the peer's pings.
        Assert.Equal("ping 0", peerGot[0]);
        Assert.Equal(Enumerable.Range(0, 8).Select(k => $"pong {k}"), peerGot.Where(p => p.StartsWith("pong", StringComparison.Ordinal)));
        Assert.Contains("ping 7", peerGot);

        // The peer is gone: the frames come from the recording, at their counts.
        var replayed = RewindProcess.Run(Machine([.. legacy, "-netdev", "socket,id=n0,connect=127.0.0.1:1", "-device", "virtio-net-device,netdev=n0",
            .. RecordingRuns.Rr("replay", rr)]), null, Timeout);
        AssertGuestDone(replayed);
        Assert.Equal(recorded.Stdout, replayed.Stdout);

        var frames = new List<(ulong Icount, byte[] Data)>();
        int digests = 0;
        ulong last = 0;
        using (var reader = ReplayLogReader.Open(rr))
            while (reader.TryReadNext(out var rec))
            {
                if (rec.Kind == RecordKind.InputEvent && rec.Channel == InputChannel.Net0) frames.Add((rec.Icount, rec.Data.ToArray()));
                if (rec.Kind == RecordKind.Digest) digests++;
                last = rec.Icount;
            }
        Assert.True(frames.Count >= 16, $"{frames.Count} frames recorded");
        Assert.All(frames, f => Assert.Equal(60, f.Data.Length));
        // A digest every DigestInterval instructions: how many depends on how long the live run waited
        // for its peer (WFI follows the wall clock), so only the ones due are required.
        int due = (int)(last / RecordingInput.DigestInterval);
        Assert.InRange(digests, Math.Max(0, due - 1), due);
        Assert.Contains("net0", RecordingSummary.Read(rr).Format());
    }

    [Fact]
    public async Task TwoMachines_ExchangeFrames_AndEachReplaysAlone()
    {
        int port = FreePort.Get();
        string rrA = Path.Combine(_dir, "a.rr"), rrB = Path.Combine(_dir, "b.rr");
        var a = Task.Run(() => RewindProcess.Run(Machine(["-netdev", $"stream,id=n,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port={port}",
            "-device", "virtio-net-device,netdev=n", .. RecordingRuns.Rr("record", rrA)]), null, Timeout));
        WaitUntilListening(port, a);
        var b = RewindProcess.Run(Machine(["-nic", $"socket,connect=127.0.0.1:{port},mac=52:54:00:00:00:02",
            .. RecordingRuns.Rr("record", rrB)]), null, Timeout);
        AssertGuestDone(b);
        var recordedA = await a;
        AssertGuestDone(recordedA);
        Assert.Contains("rx pong 7 from 02", recordedA.Stdout);
        Assert.Contains("rx pong 7 from 56", b.Stdout);

        var replayA = RewindProcess.Run(Machine(["-netdev", $"stream,id=n,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port={port}",
            "-device", "virtio-net-device,netdev=n", .. RecordingRuns.Rr("replay", rrA)]), null, Timeout);
        Assert.Equal(recordedA.Stdout, replayA.Stdout);
        var replayB = RewindProcess.Run(Machine(["-nic", $"socket,connect=127.0.0.1:{port},mac=52:54:00:00:00:02",
            .. RecordingRuns.Rr("replay", rrB)]), null, Timeout);
        Assert.Equal(b.Stdout, replayB.Stdout);
    }

    [Fact]
    public void ReplayWithAnotherMac_IsRefused()
    {
        string rr = Path.Combine(_dir, "net.rr");
        var (recorded, _) = WithTestPeer(port =>
            Machine(["-nic", $"socket,connect=127.0.0.1:{port}", .. RecordingRuns.Rr("record", rr)]));
        AssertGuestDone(recorded);
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine(["-nic", "socket,connect=127.0.0.1:1,mac=52:54:00:00:00:09",
            .. RecordingRuns.Rr("replay", rr)])), "virtio differs");
    }

    /// <summary>The listening machine's socket shows in /proc/net/tcp in state LISTEN (0A): the handshake before its peer starts.</summary>
    private static void WaitUntilListening(int port, Task<ProcessResult> machine)
    {
        string hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture) + " ";
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (machine.IsCompleted) Assert.Fail($"the listening machine ended first: {machine.Result}");
            if (File.ReadLines("/proc/net/tcp").Skip(1).Any(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var local, _, "0A", ..] && (local + " ").EndsWith(hexPort, StringComparison.Ordinal)))
                return;
            Thread.Sleep(20);
        }
        Assert.Fail($"nothing listens on port {port}");
    }

    [Fact]
    public void PortInUse_IsAOneLineError()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int port = ((IPEndPoint)holder.LocalEndpoint).Port;
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine("-netdev", $"socket,id=n,listen=127.0.0.1:{port}", "-device", "virtio-net-device,netdev=n")),
            $"cannot listen on 127.0.0.1:{port}: address already in use");
    }

    [Fact]
    public void ConnectionRefused_IsAOneLineError()
    {
        int port = FreePort.Get();
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine("-netdev", $"stream,id=n,addr.type=inet,addr.host=127.0.0.1,addr.port={port}", "-device", "virtio-net-device,netdev=n")),
            $"cannot connect to 127.0.0.1:{port}: connection refused");
    }

    [Theory]
    [InlineData("-netdev user,id=n", "the user netdev is not supported")]
    [InlineData("-netdev socket,id=n", "exactly one of listen= and connect=")]
    [InlineData("-netdev socket,id=n,connect=:5555", "has no host")]
    [InlineData("-netdev socket,id=n,listen=:99999", "invalid port '99999'")]
    [InlineData("-netdev socket,id=n,mcast=230.0.0.1:1234", "mcast= is not supported")]
    [InlineData("-netdev socket,listen=:5555", "Parameter 'id' is missing")]
    [InlineData("-netdev stream,id=n,server=on,addr.type=inet,addr.port=5555", "Parameter 'addr.host' is missing")]
    [InlineData("-netdev stream,id=n,addr.type=fd,addr.str=3", "addr.type=fd is not supported")]
    [InlineData("-device virtio-net-device,netdev=nope", "can't find value 'nope'")]
    [InlineData("-device virtio-net-device,mac=52:54:00:12", "doesn't take value '52:54:00:12'")]
    [InlineData("-device virtio-net-device,mac=01:00:5e:00:00:01", "multicast")]
    [InlineData("-nic socket,connect=127.0.0.1:5555,model=e1000", "model=e1000 is not a NIC")]
    [InlineData("-net nic", "legacy -net option is not supported")]
    public void BadNetOptions_GiveOneLineErrors(string options, string message) =>
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine(options.Split(' '))), message);
}
