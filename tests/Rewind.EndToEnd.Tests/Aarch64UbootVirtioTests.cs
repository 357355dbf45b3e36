using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Debian's U-Boot for QEMU arm64 with virtio devices on the aarch64 virt board, as a QEMU user adds
/// them: `-drive file=IMG,format=raw,if=none,id=d -device virtio-blk-device,drive=d`, a virtio-rng, and a
/// virtio-net on a socket netdev.
/// U-Boot's virtio drivers poll, so this exercises the transports and devices without interrupts. The
/// disk (an ext2 file system made by mke2fs, with a pattern in its unused boot sector) is read sector
/// by sector and file by file, and written, at the prompt: live (the same console as
/// qemu-system-aarch64's), recorded and replayed byte for byte; `ping` crosses the virtio-net.
/// </summary>
public sealed class Aarch64UbootVirtioTests : IDisposable
{
    private const string HelloText = "hello from an ext2 disk\n";

    private readonly TempDir _dir = new();
    private readonly string _disk;
    private readonly byte[] _image;

    public Aarch64UbootVirtioTests()
    {
        string files = _dir.File("files");
        Directory.CreateDirectory(files);
        File.WriteAllText(Path.Combine(files, "hello.txt"), HelloText);
        _disk = _dir.File("disk.raw");
        MakeExt2(files, _disk);
        _image = File.ReadAllBytes(_disk);
        // ext2 leaves its first 1024 bytes to a boot loader: sectors 0 and 1 are free for the pattern.
        Assert.All(_image[..1024], b => Assert.Equal(0, b));
        "Rewind on arm64!"u8.CopyTo(_image);
        for (int i = 0; i < 16; i++) _image[16 + i] = (byte)i;
        File.WriteAllBytes(_disk, _image);
    }

    /// <summary>A 1 MiB ext2 image holding the files of <paramref name="root"/> (Debian's e2fsprogs).</summary>
    private static void MakeExt2(string root, string image)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("mke2fs") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-q", "-t", "ext2", "-d", root, image, "1M" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"mke2fs failed (install Debian's e2fsprogs): {err}");
    }

    public void Dispose() => _dir.Dispose();

    private static string[] Devices(string disk, bool modern) =>
        ["-drive", $"file={disk},format=raw,if=none,id=d", "-device", "virtio-blk-device,drive=d",
         "-object", "rng-builtin,id=r", "-device", "virtio-rng-device,rng=r",
         .. modern ? new[] { "-global", "virtio-mmio.force-legacy=false" } : []];

    // md.b of sector 0 read to 0x44000000, and of sector 1 read back to 0x44100000 after writing sector 0 there.
    private const string Sector0 =
        "44000000: 52 65 77 69 6e 64 20 6f 6e 20 61 72 6d 36 34 21  Rewind on arm64!\r\n" +
        "44000010: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  ................\r\n";
    private const string Sector1 = "44100000: 52 65 77 69 6e 64 20 6f 6e 20 61 72 6d 36 34 21  Rewind on arm64!\r\n";

    /// <summary>
    /// At the first prompt: the disk's description, sector 0 read and shown, sector 0 written to sector
    /// 1 and read back, the file system's root listed, then <paramref name="more"/> and `poweroff`.
    /// Each command waits for the prompt. Returns the run and what each of <paramref name="more"/> printed.
    /// </summary>
    private static (ProcessResult Run, string[] More) DiskSession(ConsoleProcess run, int keyDelayMs, params string[] more)
    {
        var timeout = Aarch64UbootTests.Timeout;
        run.WaitFor(Aarch64UbootTests.LineBeforeFirstPrompt, timeout);
        Assert.Equal("virtio info\r\nDevice 0: QEMU VirtIO Block Device\r\n            Type: Hard Disk\r\n" +
            "            Capacity: 1.0 MB = 0.0 GB (2048 x 512)\r\n", run.Command("virtio info", keyDelayMs, timeout));
        Assert.Contains("1 blocks read: OK", run.Command("virtio read 0x44000000 0 1", keyDelayMs, timeout));
        Assert.EndsWith(Sector0, run.Command("md.b 0x44000000 20", keyDelayMs, timeout));
        Assert.Contains("1 blocks written: OK", run.Command("virtio write 0x44000000 1 1", keyDelayMs, timeout));
        Assert.Contains("1 blocks read: OK", run.Command("virtio read 0x44100000 1 1", keyDelayMs, timeout));
        Assert.EndsWith(Sector1, run.Command("md.b 0x44100000 10", keyDelayMs, timeout));
        Assert.Matches(@"\r\n +24 +hello\.txt\r\n", run.Command("ls virtio 0", keyDelayMs, timeout));
        string[] printed = [.. more.Select(line => run.Command(line, keyDelayMs, timeout))];
        run.Type("poweroff", keyDelayMs);
        var r = run.WaitForExit(timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("Synchronous Abort", r.Stdout);
        return (r, printed);
    }

    private static void AssertSectorOneIsSectorZero(string image)
    {
        byte[] bytes = File.ReadAllBytes(image);
        Assert.Equal(bytes[..512], bytes[512..1024]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Uboot_reads_and_writes_a_virtio_disk_live_printing_what_qemu_prints(bool modern)
    {
        using var rewind = ConsoleProcess.Rewind(Aarch64UbootTests.Machine(Devices(_disk, modern)));
        var (ours, _) = DiskSession(rewind, 0);
        AssertSectorOneIsSectorZero(_disk); // a live run writes through to the image, as QEMU's does

        string theirDisk = _dir.File("qemu.raw");
        File.WriteAllBytes(theirDisk, _image);
        using var qemu = ConsoleProcess.Qemu(["-M", "virt", "-cpu", "cortex-a57", "-bios", Aarch64UbootTests.Uboot, "-nographic",
            "-nic", "none", .. Devices(theirDisk, modern)]);
        var (theirs, _) = DiskSession(qemu, 0);
        AssertSectorOneIsSectorZero(theirDisk);

        // The boot command found the disk in both (no partition table on it), and every line matches.
        Assert.Contains("** No partition table - virtio 0 **", ours.Stdout);
        Assert.Equal(Aarch64UbootTests.Comparable(theirs.Stdout), Aarch64UbootTests.Comparable(ours.Stdout));
    }

    [Fact]
    public void Typed_virtio_session_recorded_replays_byte_identical_and_leaves_the_image()
    {
        string rr = _dir.File("virtio.rr");
        string[] Rr(string mode) => Aarch64UbootTests.Machine([.. Devices(_disk, false), "-icount", $"shift=5,rr={mode},rrfile={rr}"]);

        using var record = ConsoleProcess.Rewind(Rr("record"));
        var (rec, printed) = DiskSession(record, keyDelayMs: 40, "load virtio 0 0x44200000 hello.txt", "md.b 0x44200000 18", "dm tree");
        Assert.Contains("24 bytes read in ", printed[0]);
        Assert.EndsWith("44200000: 68 65 6c 6c 6f 20 66 72 6f 6d 20 61 6e 20 65 78  hello from an ex\r\n" +
            "44200010: 74 32 20 64 69 73 6b 0a                          t2 disk.\r\n", printed[1]);
        // The first device given takes the last of the 32 slots and the next one the slot below, as in
        // QEMU; U-Boot bound (probed) a driver to each, over the polled transports.
        Assert.Matches(@"virtio\s+30\s+\[ \+ \]\s+virtio-mmio\s+\|-- virtio_mmio@a003c00\r\n\s*rng\s+0\s+\[ \+ \]\s+virtio-rng\s+\|   `-- virtio-rng#30\r\n", rec.Stdout);
        Assert.Matches(@"virtio\s+31\s+\[ \+ \]\s+virtio-mmio\s+\|-- virtio_mmio@a003e00\r\n\s*blk\s+0\s+\[ \+ \]\s+virtio-blk\s+\|   `-- virtio-blk#31\r\n", rec.Stdout);
        Assert.Equal(_image, File.ReadAllBytes(_disk)); // a recording keeps the guest's writes in the machine

        using var replay = ConsoleProcess.Rewind(Rr("replay"));
        replay.CloseStdin(); // every key comes from the recording
        var rep = replay.WaitForExit(Aarch64UbootTests.Timeout);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal(rec.Stdout, rep.Stdout); // both Latin-1: string equality is byte equality
        Assert.Equal(_image, File.ReadAllBytes(_disk));
        Assert.Contains("30:virtio-rng; 31:virtio-blk format=raw size=1048576", RecordingSummary.Read(rr).Format());
    }

    private const string Countdown = "Hit any key to stop autoboot:";

    /// <summary>
    /// A key stops the autoboot countdown (the boot command would wait for DHCP), then `ping` to the
    /// responder's host; returns the run and what `ping` printed.
    /// </summary>
    private static (ProcessResult Run, string Ping) PingSession(ConsoleProcess run, int keyDelayMs)
    {
        var timeout = Aarch64UbootTests.Timeout;
        run.WaitFor(Countdown, timeout);
        run.Type("", keyDelayMs);
        run.WaitFor("\n=> ", timeout);
        run.Command("setenv ipaddr 10.0.2.15", keyDelayMs, timeout);
        string ping = run.Command("ping 10.0.2.2", keyDelayMs, timeout);
        run.Type("poweroff", keyDelayMs);
        var r = run.WaitForExit(timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Net:   eth0: virtio-net#31\r\n", r.Stdout);
        return (r, ping);
    }

    [Fact]
    public void Uboot_pings_over_virtio_net_as_on_qemu_recorded_and_replayed_without_the_peer()
    {
        string rr = _dir.File("net.rr");
        string[] Net(int port, params string[] extra) =>
            ["-netdev", $"socket,id=n0,connect=127.0.0.1:{port}", "-device", "virtio-net-device,netdev=n0", .. extra];
        const string Alive = "ping 10.0.2.2\r\nUsing virtio-net#31 device\r\nhost 10.0.2.2 is alive\r\n";

        ProcessResult rec;
        using (var peer = new PingResponder())
        {
            using var record = ConsoleProcess.Rewind(Aarch64UbootTests.Machine(Net(peer.Port, "-icount", $"shift=5,rr=record,rrfile={rr}")));
            (rec, string ping) = PingSession(record, keyDelayMs: 40);
            Assert.Equal(Alive, ping);
            Assert.Equal(1, peer.EchoesAnswered);
        }

        // The peer is gone: its frames come from the recording.
        using var replay = ConsoleProcess.Rewind(Aarch64UbootTests.Machine(Net(1, "-icount", $"shift=5,rr=replay,rrfile={rr}")));
        replay.CloseStdin();
        var rep = replay.WaitForExit(Aarch64UbootTests.Timeout);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal(rec.Stdout, rep.Stdout);

        using (var peer = new PingResponder())
        {
            using var qemu = ConsoleProcess.Qemu(["-M", "virt", "-cpu", "cortex-a57", "-bios", Aarch64UbootTests.Uboot, "-nographic",
                "-nic", "none", .. Net(peer.Port)]);
            var (theirs, ping) = PingSession(qemu, 0);
            Assert.Equal(Alive, ping);
            // Up to the countdown, whose digits depend on when the key came.
            static string Boot(string console) => Aarch64UbootTests.Comparable(console[..console.IndexOf(Countdown, StringComparison.Ordinal)]);
            Assert.Equal(Boot(theirs.Stdout), Boot(rec.Stdout));
        }
    }

    [Theory]
    [InlineData("bus=virtio-mmio-bus.32", "virtio-mmio-bus.32 not found (the virt machine has virtio-mmio-bus.0 to .31)")]
    [InlineData("bus=pcie.0", "Bus 'pcie.0' not found (the virt machine has virtio-mmio-bus.0 to .31)")]
    public void Bad_bus_on_the_arm_board_is_a_one_line_error(string bus, string message) =>
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Aarch64UbootTests.Machine("-device", $"virtio-rng-device,{bus}")), message);
}
