using System.Buffers.Binary;
using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Devices.Net;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Replay.Tests.Recording;

/// <summary>
/// guests/net.c recorded against a peer that answers on the machine's own thread, so every frame reaches
/// the guest at a count that depends on the machine alone (no socket, no host timing), then replayed
/// without the peer. The peer never resends: a frame lost in either direction leaves the ping-pong waiting
/// and the guest gives up ("the peer went quiet").
/// </summary>
public sealed class NetGuestRecordReplayTests
{
    private const ulong Fuel = 4_000_000_000;

    internal sealed class Collect : ISerialBackend
    {
        private readonly StringBuilder _text = new();
        public void Write(byte b) => _text.Append((char)b);
        public string Text => _text.ToString();
    }

    /// <summary>
    /// The other side of guests/net.c's protocol. It starts with <paramref name="firstPings"/> pings sent at
    /// once, before the guest's driver is up (a peer ahead of the guest, or two frames in one TCP segment);
    /// after that it sends its next ping when its last one is answered, and answers every ping with a pong.
    /// What it sends goes through the input boundary on net0, so a recording logs it.
    /// </summary>
    private sealed class ScriptedPeer : INetworkPeer
    {
        private readonly LiveInput _input;
        private int _lastPing;

        public ScriptedPeer(LiveInput input, int firstPings)
        {
            _input = input;
            for (int k = 0; k < firstPings; k++) Send("ping", k);
            _lastPing = firstPings - 1;
        }

        public List<string> Received { get; } = [];

        public void Transmit(ReadOnlySpan<byte> frame)
        {
            string payload = Payload(frame);
            Received.Add(payload);
            int k = payload[5] - '0';
            if (payload.StartsWith("ping", StringComparison.Ordinal)) Send("pong", k);
            else if (payload.StartsWith("pong", StringComparison.Ordinal) && k == _lastPing && _lastPing < 7) Send("ping", ++_lastPing);
        }

        private void Send(string word, int k)
        {
            var frame = new byte[60];
            frame.AsSpan(0, 6).Fill(0xff);
            byte[] mac = [0x02, 0, 0, 0, 0, 0x01];
            mac.CopyTo(frame, 6);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88b5);
            Encoding.ASCII.GetBytes($"{word} {k}").CopyTo(frame, 14);
            _input.Enqueue(InputChannels.Net(0), frame);
        }
    }

    /// <summary>Keeps what the guest sends in a replay, where no peer answers.</summary>
    internal sealed class Listener : INetworkPeer
    {
        public List<string> Received { get; } = [];
        public void Transmit(ReadOnlySpan<byte> frame) => Received.Add(Payload(frame));
    }

    private static string Payload(ReadOnlySpan<byte> frame) => Encoding.ASCII.GetString(frame.Slice(14, 6));

    internal static BoardOptions Options(IInputBoundary input, ISerialBackend serial, INetworkPeer peer, bool modern) => new()
    {
        Bios = "none",
        Kernel = RepoPaths.Guest("net"),
        IcountShift = 3,
        Serial = serial,
        Input = input,
        VirtioLegacy = !modern,
        VirtioDevices = [new NetDeviceSpec("n0", MacAddress.Default(0))],
        NetPeers = new Dictionary<string, INetworkPeer> { ["n0"] = peer },
    };

    private static RecordingHeader Header() => new(
        [new("machine", "virt"), new("bios", "none"), new("kernel", RepoPaths.Guest("net"))], []);

    private static List<string> Expected()
    {
        var all = new List<string>();
        for (int k = 0; k < 8; k++) all.AddRange([$"ping {k}", $"pong {k}"]);
        all.Sort(StringComparer.Ordinal);
        return all;
    }

    /// <summary>Records guests/net.c against a <see cref="ScriptedPeer"/>: the log, the console, what the peer received, how it stopped.</summary>
    internal static (byte[] Log, string Console, List<string> PeerReceived, MachineStop Stop) Record(bool modern, int firstPings)
    {
        var log = new MemoryStream();
        var rec = new RecordingInput(new ReplayLogWriter(log, Header(), leaveOpen: true));
        var peer = new ScriptedPeer(rec, firstPings);
        var console = new Collect();
        var recorder = VirtBoard.Create(Options(rec, console, peer, modern));
        rec.Machine = recorder.Machine;
        var stop = recorder.Machine.Run(Fuel);
        rec.Finish(recorder.Machine.Icount, "exit");
        rec.Dispose();
        return (log.ToArray(), console.Text, peer.Received, stop);
    }

    /// <summary>
    /// Two of the peer's frames wait for the driver, so the guest takes them from one fill of its receive
    /// queue and answers both within a few hundred instructions, while its transmit queue still holds its
    /// first frame: each frame must reach the peer as the guest wrote it, once (the guest must not write
    /// its one transmit buffer again before the device has used it).
    /// </summary>
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void EveryFrame_ReachesTheOtherSideOnce_AndTheReplayAloneSendsTheSame(bool modern, int firstPings)
    {
        var (log, console, peerReceived, stop) = Record(modern, firstPings);
        string because = $"{console}\npeer received: {string.Join(", ", peerReceived)}";
        Assert.True(stop.Kind == StopKind.Exited && stop.ExitCode == 0, because);
        Assert.Contains("net done: 8 pings answered", console);
        // The guest's first frame is its ping 0; then each of its pings and pongs once.
        Assert.True(peerReceived[0] == "ping 0", because);
        Assert.True(Expected().SequenceEqual(peerReceived.Order(StringComparer.Ordinal)), because);

        // Alone: the frames come from the recording at their counts, so the guest sends the same ones.
        var frames = new List<ulong>();
        using (var reader = new ReplayLogReader(new MemoryStream(log)))
            while (reader.TryReadNext(out var r))
                if (r.Kind == RecordKind.InputEvent && r.Channel == InputChannels.Net(0)) frames.Add(r.Icount);
        Assert.Equal(16, frames.Count); // the peer's 8 pings and 8 pongs

        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(log)));
        var listener = new Listener();
        var replayedConsole = new Collect();
        var board = VirtBoard.Create(Options(replay, replayedConsole, listener, modern));
        replay.Machine = board.Machine;
        var replayed = board.Machine.Run(Fuel);
        Assert.Equal(StopKind.Exited, replayed.Kind);
        Assert.Equal(stop.Icount, replayed.Icount);
        Assert.Equal(console, replayedConsole.Text);
        Assert.Equal(peerReceived, listener.Received);
    }
}
