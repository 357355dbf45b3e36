using System.Security.Cryptography;
using System.Text;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux 6.1 booted from an ext4 disk (`root=/dev/vda`, no initramfs) with virtio-blk, virtio-rng and
/// virtio-net attached, its init running one script from the kernel command line: write a file and
/// read it back across `sync` and a dropped page cache, read /dev/hwrng, exchange raw frames with a
/// peer. On each architecture's virt board (<see cref="LinuxVirtioBoard"/>: riscv64, aarch64) and hart
/// count it runs three times, once for all the tests that look at it: live (the disk image written
/// through, a peer answering), recorded (another peer) and replayed (no peer at all).
/// </summary>
public sealed class LinuxVirtioSessions : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>The guest's default MAC (QEMU's first) and the peer's.</summary>
    public static readonly byte[] GuestMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], PeerMac = [0x02, 0, 0, 0, 0, 0x01];
    public const int Pings = 2;
    private const ushort EtherType = 0x88b5; // IEEE local experimental

    private readonly TempDir _dir = new();
    private readonly Dictionary<(string Arch, int Harts), Lazy<LinuxVirtioSession>> _sessions = [];

    public LinuxVirtioSessions()
    {
        foreach (var arch in new[] { LinuxVirtioBoard.Riscv64, LinuxVirtioBoard.Aarch64 })
            foreach (int harts in new[] { 1, 2 })
                _sessions[(arch, harts)] = new(() => Run(LinuxVirtioBoard.For(arch), harts));
    }

    /// <summary>
    /// The three runs of <paramref name="arch"/>'s board on <paramref name="harts"/> harts (made on first
    /// use; a failure is kept for every test that asks).
    /// </summary>
    public LinuxVirtioSession For(string arch, int harts) => _sessions[(arch, harts)].Value;

    /// <summary>Frame k the guest sends: to the peer, "ping k".</summary>
    public static byte[] Ping(int k) => Frame(PeerMac, GuestMac, $"ping {k}", pad: false);

    /// <summary>The peer's answer to a ping: back to its sender, "pong k", padded to Ethernet's 60 bytes.</summary>
    public static byte[]? Answer(byte[] frame)
    {
        string text = frame.Length >= 20 ? Encoding.ASCII.GetString(frame, 14, 6) : "";
        return text.StartsWith("ping ", StringComparison.Ordinal) ? Frame(frame[6..12], PeerMac, "pong" + text[4..], pad: true) : null;
    }

    private static byte[] Frame(byte[] to, byte[] from, string payload, bool pad)
    {
        var frame = new byte[Math.Max(14 + payload.Length, pad ? 60 : 0)];
        to.CopyTo(frame, 0);
        from.CopyTo(frame, 6);
        frame[12] = EtherType >> 8;
        frame[13] = EtherType & 0xff;
        Encoding.ASCII.GetBytes(payload).CopyTo(frame, 14);
        return frame;
    }

    /// <summary>The commands init runs, in order, from /script on the disk (`run /script`).</summary>
    public static readonly string[] Script =
    [
        "cat /proc/mounts",
        "write /note rewind was here",
        "sync",
        "cat /sys/block/vda/stat",
        "echo 3 > /proc/sys/vm/drop_caches",
        "cat /note",
        "cat /sys/block/vda/stat",
        "hex /dev/hwrng 32",
        "netup eth0",
        .. Enumerable.Range(0, Pings).SelectMany(k => new[] { $"netsend eth0 {Convert.ToHexStringLower(Ping(k))}", "netrecv eth0" }),
        "poweroff",
    ];

    private static string[] Machine(LinuxVirtioBoard board, int harts, string image, int peerPort, params string[] extra) =>
        board.Machine(harts, "root=/dev/vda rw -- run /script",
            ["-drive", $"file={image},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0",
            "-object", "rng-random,id=r0,filename=/dev/urandom", "-device", "virtio-rng-device,rng=r0",
            "-netdev", $"socket,id=n0,connect=127.0.0.1:{peerPort}", "-device", "virtio-net-device,netdev=n0",
            .. extra]);

    private LinuxVirtioSession Run(LinuxVirtioBoard board, int harts)
    {
        string name = $"{board.Arch}-{harts}";
        string image = _dir.File($"root-{name}.img"), liveImage = _dir.File($"live-{name}.img"), rr = _dir.File($"linux-{name}.rr");
        Ext4Image.CreateLinuxRoot(image, board.Workload.Init, script: string.Join('\n', Script) + "\n");
        File.Copy(image, liveImage);
        string imageHash = Hash(image);

        var (live, livePeer) = WithPeer(port => Machine(board, harts, liveImage, port));
        var (recorded, recordPeer) = WithPeer(port => Machine(board, harts, image, port, RecordingRuns.Rr("record", rr)));
        // The peer is gone: its frames come from the recording (port 1 has no listener).
        var replayed = Boot(Machine(board, harts, image, 1, RecordingRuns.Rr("replay", rr)));

        var entropy = new List<byte>();
        var frames = new List<byte[]>();
        using (var reader = ReplayLogReader.Open(rr))
            while (reader.TryReadNext(out var rec))
            {
                if (rec.Kind != RecordKind.InputEvent) continue;
                if (rec.Channel == InputChannel.Entropy) entropy.AddRange(rec.Data.ToArray());
                if (rec.Channel == InputChannel.Net0) frames.Add(rec.Data.ToArray());
            }
        return new LinuxVirtioSession(board.Arch, board.Console, harts, live, livePeer, Ext4Image.ReadFile(liveImage, "/note"),
            recorded, recordPeer, replayed, rr, [.. entropy], frames, imageHash == Hash(image));
    }

    /// <summary>Boots with a peer listening for the machine's connection; returns the run and what the peer saw.</summary>
    private static (ProcessResult Run, PeerLog Peer) WithPeer(Func<int, string[]> args)
    {
        using var peer = new StreamFramePeer(Answer);
        var run = Boot(args(peer.Port));
        if (run.ExitCode == 0) peer.Finish(Timeout);
        return (run, new PeerLog(peer.Received, peer.Sent));
    }

    private static ProcessResult Boot(string[] args)
    {
        using var run = new RewindRun(args);
        run.CloseStdin(); // the script is on the command line; a replay's keys come from its recording
        return run.WaitForExit(Timeout);
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));

    public void Dispose() => _dir.Dispose();
}

/// <summary>Frames a peer received from the machine and sent to it.</summary>
public sealed record PeerLog(IReadOnlyList<byte[]> Received, IReadOnlyList<byte[]> Sent);

/// <summary>
/// One architecture's and hart count's runs (<paramref name="Console"/> the kernel's console there):
/// <paramref name="LiveNote"/> is /note as the live run left it in its image; <paramref name="Entropy"/>
/// and <paramref name="Frames"/> are the recording's entropy and net0 inputs.
/// </summary>
public sealed record LinuxVirtioSession(string Arch, string Console, int Harts, ProcessResult Live, PeerLog LivePeer, string LiveNote,
    ProcessResult Recorded, PeerLog RecordPeer, ProcessResult Replayed, string Recording,
    byte[] Entropy, IReadOnlyList<byte[]> Frames, bool ImageUnchanged);
