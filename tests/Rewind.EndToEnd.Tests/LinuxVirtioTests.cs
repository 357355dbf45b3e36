using System.Globalization;
using System.Text.RegularExpressions;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux on the virtio devices (<see cref="LinuxVirtioSessions"/>), on the riscv64 and the aarch64 virt
/// board, on one hart (CPU) and on two: a root filesystem on virtio-blk, a file across sync and a
/// dropped page cache, /dev/hwrng, raw frames over virtio-net, each live, recorded, and replayed with
/// the same console byte for byte.
/// </summary>
public class LinuxVirtioTests(LinuxVirtioSessions sessions) : IClassFixture<LinuxVirtioSessions>
{
    private const string Prompt = "rewind-linux# ";

    /// <summary>The console with the UART's CR LF as LF and the kernel's own messages (timestamped lines) left out.</summary>
    private static string Session(ProcessResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Regex.Replace(r.Stdout, "\r+\n", "\n");
        int start = text.IndexOf(Prompt, StringComparison.Ordinal);
        Assert.True(start >= 0, r.ToString());
        return Regex.Replace(text[start..], @"^\[ *\d+\.\d+\] .*\n", "", RegexOptions.Multiline);
    }

    /// <summary>What command <paramref name="command"/> printed (up to the next prompt).</summary>
    private static string Output(string session, string command)
    {
        string marker = Prompt + command + "\n";
        int at = session.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no '{command}' in:\n{session}");
        at += marker.Length;
        int end = session.IndexOf(Prompt, at, StringComparison.Ordinal);
        return session[at..(end < 0 ? session.Length : end)];
    }

    private static IEnumerable<ProcessResult> LiveAndRecorded(LinuxVirtioSession s) => [s.Live, s.Recorded];

    /// <summary>Every test runs on both architectures, on one CPU and on two.</summary>
    public static TheoryData<string, int> Machines => new()
    {
        { "riscv64", 1 },
        { "riscv64", 2 },
        { "aarch64", 1 },
        { "aarch64", 2 },
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void Linux_mounts_the_ext4_disk_as_root_and_runs_init_from_it(string arch, int harts)
    {
        var s = sessions.For(arch, harts);
        foreach (var r in LiveAndRecorded(s))
        {
            string text = Regex.Replace(r.Stdout, "\r+\n", "\n");
            Assert.Contains($"Kernel command line: console={s.Console} root=/dev/vda rw -- ", text);
            Assert.Matches(@"virtio_blk virtio\d+: \[vda\] \d+ 512-byte logical blocks \(16\.8 MB/16\.0 MiB\)\n", text);
            Assert.Contains("EXT4-fs (vda): mounted filesystem with ordered data mode.", text);
            Assert.Contains("VFS: Mounted root (ext4 filesystem) on device 254:0.\n", text);
            Assert.Contains("Run /sbin/init as init process\n", text);
            Assert.DoesNotContain("initramfs", text);
            Assert.Contains($"rewind-linux: init up, harts online: {harts}\n", text);
            Assert.StartsWith("/dev/root / ext4 rw,", Output(Session(r), "cat /proc/mounts"));
            Assert.Matches(@"rewind-linux# poweroff\n(\[[ \d.]+\] )?reboot: Power down\n$", Regex.Replace(text, @"^\[ *\d+\.\d+\] (?!reboot: Power down).*\n", "", RegexOptions.Multiline));
            Assert.Equal("", r.Stderr);
        }
    }

    /// <summary>Read and write I/Os completed on vda so far (fields 1 and 5 of /sys/block/vda/stat).</summary>
    private static (long Reads, long Writes) DiskStat(string output)
    {
        var fields = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.True(fields.Length >= 11, output);
        return (long.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[4], CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void A_file_written_reads_back_from_the_disk_after_sync_and_dropping_the_page_cache(string arch, int harts)
    {
        var s = sessions.For(arch, harts);
        foreach (var r in LiveAndRecorded(s))
        {
            string session = Session(r);
            Assert.Equal("", Output(session, "write /note rewind was here"));
            Assert.Equal("", Output(session, "sync"));
            Assert.Equal("", Output(session, "echo 3 > /proc/sys/vm/drop_caches"));
            Assert.Equal("rewind was here\n", Output(session, "cat /note"));
            // The stat before the drop and after the read: sync wrote, and the read went to the device.
            var stats = Regex.Matches(session, @"rewind-linux# cat /sys/block/vda/stat\n(.*\n)").Select(m => DiskStat(m.Groups[1].Value)).ToArray();
            Assert.Equal(2, stats.Length);
            Assert.True(stats[0].Writes > 0, session);
            Assert.True(stats[1].Reads > stats[0].Reads, session);
        }
        // The live run wrote through to its image; a recording writes to the machine's overlay only.
        Assert.Equal("rewind was here\n", s.LiveNote);
        Assert.True(s.ImageUnchanged, "the recording or the replay changed the disk image");
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Hwrng_bytes_are_host_entropy_live_and_the_logged_bytes_in_the_replay(string arch, int harts)
    {
        var s = sessions.For(arch, harts);
        string live = Output(Session(s.Live), "hex /dev/hwrng 32");
        string recorded = Output(Session(s.Recorded), "hex /dev/hwrng 32");
        Assert.Matches("^[0-9a-f]{64}\n$", live);
        Assert.Matches("^[0-9a-f]{64}\n$", recorded);
        Assert.NotEqual(live, recorded);
        // Every byte the guest read came through the input boundary, and the replay shows them again.
        Assert.Contains(recorded.TrimEnd(), Convert.ToHexStringLower(s.Entropy));
        Assert.Equal(recorded, Output(Session(s.Replayed), "hex /dev/hwrng 32"));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Frames_reach_the_peer_and_its_answers_replay_from_the_recording_without_it(string arch, int harts)
    {
        var s = sessions.For(arch, harts);
        var pings = Enumerable.Range(0, LinuxVirtioSessions.Pings).Select(LinuxVirtioSessions.Ping).ToArray();
        foreach (var (r, peer) in new[] { (s.Live, s.LivePeer), (s.Recorded, s.RecordPeer) })
        {
            string session = Session(r);
            Assert.Equal("eth0 up mac 52:54:00:12:34:56\n", Output(session, "netup eth0"));
            Assert.Equal(pings.Select(Convert.ToHexStringLower), peer.Received.Select(Convert.ToHexStringLower));
            Assert.Equal(LinuxVirtioSessions.Pings, peer.Sent.Count);
            var shown = Regex.Matches(session, @"^netrecv: (\d+) bytes ([0-9a-f]+)$", RegexOptions.Multiline).Select(m => m.Groups[2].Value);
            Assert.Equal(peer.Sent.Select(Convert.ToHexStringLower), shown);
        }
        // The recording holds the peer's frames, one input each, and the replay had only those.
        Assert.Equal(s.RecordPeer.Sent.Select(Convert.ToHexStringLower), s.Frames.Select(Convert.ToHexStringLower));
        Assert.Equal(Output(Session(s.Recorded), "netrecv eth0"), Output(Session(s.Replayed), "netrecv eth0"));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void The_replay_prints_the_recorded_console_byte_for_byte(string arch, int harts)
    {
        var s = sessions.For(arch, harts);
        Assert.True(s.Replayed.ExitCode == 0, s.Replayed.ToString());
        // Both runs decode stdout as Latin-1, so string equality is byte equality.
        Assert.Equal(s.Recorded.Stdout, s.Replayed.Stdout);
        Assert.Equal("", s.Replayed.Stderr);
        string summary = RecordingSummary.Read(s.Recording).Format();
        Assert.Contains("virtio-blk", summary);
        Assert.Contains("net0", summary);
    }
}
