using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>guests/virtio.c through ./rewind: virtio-blk and virtio-rng live, recorded and replayed, and bad options.</summary>
public sealed class VirtioTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-virtio").FullName;
    private readonly string _disk;

    public VirtioTests()
    {
        _disk = Path.Combine(_dir, "disk.raw");
        var bytes = new byte[1 << 20];
        "REWIND-DISK sector zero"u8.CopyTo(bytes);
        File.WriteAllBytes(_disk, bytes);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Machine(params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("virtio"), "-nographic", .. extra];

    private string[] Devices(bool modern) =>
        ["-drive", $"file={_disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0,serial=rw-serial",
         "-object", "rng-random,id=r0,filename=/dev/urandom", "-device", "virtio-rng-device,rng=r0",
         .. modern ? new[] { "-global", "virtio-mmio.force-legacy=false" } : []];

    private static void AssertGuestPassed(ProcessResult r, int version)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"virtio slot 7 device 2 version {version}", r.Stdout);
        Assert.Contains($"virtio slot 6 device 4 version {version}", r.Stdout);
        Assert.Contains("blk id rw-serial", r.Stdout);
        Assert.Contains("blk sector 0: REWIND-DISK sector zero", r.Stdout);
        Assert.Contains("blk sector 1 reads back", r.Stdout);
        Assert.Contains("blk read past the end status 1", r.Stdout);
        Assert.Contains("virtio done", r.Stdout);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void Guest_RecordedAndReplayed_PrintsTheSameAndLeavesTheImage(bool modern, int version)
    {
        byte[] before = File.ReadAllBytes(_disk);
        string rr = Path.Combine(_dir, "run.rr");
        var recorded = RewindProcess.Run(Machine([.. Devices(modern), .. RecordingRuns.Rr("record", rr)]));
        AssertGuestPassed(recorded, version);
        var replayed = RewindProcess.Run(Machine([.. Devices(modern), .. RecordingRuns.Rr("replay", rr)]));
        AssertGuestPassed(replayed, version);
        Assert.Equal(recorded.Stdout, replayed.Stdout);
        Assert.Equal(before, File.ReadAllBytes(_disk));

        // The entropy the guest printed is the bytes logged on the entropy channel.
        var summary = RecordingSummary.Read(rr);
        Assert.Contains("virtio-blk", summary.Format());
        byte[] entropy = RecordingRuns.LoggedInput(rr, Core.Input.InputChannel.Entropy);
        Assert.Equal(16, entropy.Length);
        Assert.Contains("rng " + Convert.ToHexStringLower(entropy), recorded.Stdout);
    }

    [Fact]
    public void LiveRun_WithoutSnapshot_WritesThroughToTheImage_AndWithSnapshotDoesNot()
    {
        var snap = RewindProcess.Run(Machine([.. Devices(false), "-snapshot"]));
        AssertGuestPassed(snap, 1);
        Assert.All(File.ReadAllBytes(_disk)[512..1024], b => Assert.Equal(0, b));
        var live = RewindProcess.Run(Machine(Devices(false)));
        AssertGuestPassed(live, 1);
        Assert.Contains(File.ReadAllBytes(_disk)[512..1024], b => b != 0);
    }

    [Fact]
    public void Qcow2Image_FormatProbed_RecordedAndReplayed_LeavesTheImage()
    {
        string qcow2 = Path.Combine(_dir, "disk.qcow2");
        QemuImg("convert", "-O", "qcow2", _disk, qcow2);
        byte[] before = File.ReadAllBytes(qcow2);
        string rr = Path.Combine(_dir, "q.rr");
        string[] devices = ["-drive", $"file={qcow2},if=none,id=d0", "-device", "virtio-blk-device,drive=d0,serial=rw-serial",
            "-object", "rng-builtin,id=r0", "-device", "virtio-rng-device,rng=r0"];
        var live = RewindProcess.Run(Machine([.. devices, "-snapshot"]));
        AssertGuestPassed(live, 1);
        Assert.DoesNotContain("probing guessed raw", live.Stderr);
        var recorded = RewindProcess.Run(Machine([.. devices, .. RecordingRuns.Rr("record", rr)]));
        AssertGuestPassed(recorded, 1);
        var replayed = RewindProcess.Run(Machine([.. devices, .. RecordingRuns.Rr("replay", rr)]));
        Assert.Equal(recorded.Stdout, replayed.Stdout);
        Assert.Equal(before, File.ReadAllBytes(qcow2));
        Assert.Contains("virtio-blk format=qcow2 size=1048576", RecordingSummary.Read(rr).Format());
    }

    [Fact]
    public void Qcow2Image_LiveRunWithoutSnapshot_WritesIntoTheImage_WhichQemuImgChecksClean()
    {
        string qcow2 = Path.Combine(_dir, "live.qcow2");
        QemuImg("convert", "-O", "qcow2", _disk, qcow2);
        string[] devices = ["-drive", $"file={qcow2},format=qcow2,if=none,id=d0", "-device", "virtio-blk-device,drive=d0,serial=rw-serial",
            "-object", "rng-builtin,id=r0", "-device", "virtio-rng-device,rng=r0"];
        AssertGuestPassed(RewindProcess.Run(Machine(devices)), 1);
        Assert.Contains("No errors were found", QemuImg("check", qcow2));
        string raw = Path.Combine(_dir, "back.raw");
        QemuImg("convert", "-O", "raw", qcow2, raw);
        byte[] bytes = File.ReadAllBytes(raw);
        Assert.Contains(bytes[512..1024], b => b != 0); // the guest's sector 1
        Assert.Equal("REWIND-DISK sector zero"u8.ToArray(), bytes[..23]);
    }

    [Fact]
    public void RawImage_WithoutFormat_WarnsAsQemuDoes()
    {
        var r = RewindProcess.Run(Machine("-drive", $"file={_disk},if=virtio", "-object", "rng-builtin,id=r0", "-device", "virtio-rng-device,rng=r0", "-snapshot"));
        Assert.Contains("blk sector 0: REWIND-DISK sector zero", r.Stdout); // read as the raw image it is
        Assert.Contains($"Image format was not specified for '{_disk}' and probing guessed raw", r.Stderr);
    }

    private static string QemuImg(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("qemu-img") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err + output.Result);
        return output.Result;
    }

    [Fact]
    public void ReplayWithAnImageOfTheSameSizeButOtherBlocks_DivergesAtTheFirstDifferingBlock()
    {
        string rr = Path.Combine(_dir, "run.rr");
        AssertGuestPassed(RewindProcess.Run(Machine([.. Devices(false), .. RecordingRuns.Rr("record", rr)])), 1);
        Assert.Contains("disk-read checks", RecordingSummary.Read(rr).Format());
        var bytes = File.ReadAllBytes(_disk);
        bytes[5] ^= 0x20; // "REWIND-DISK" becomes "REWINd-DISK": same size, other content
        File.WriteAllBytes(_disk, bytes);
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine([.. Devices(false), .. RecordingRuns.Rr("replay", rr)])),
            "read other data than the recording from the disk image at byte 0 (sector 0): the image is not the one recorded");
    }

    [Fact]
    public void ReplayWithAnotherSizedImage_IsRefused()
    {
        string rr = Path.Combine(_dir, "run.rr");
        AssertGuestPassed(RewindProcess.Run(Machine([.. Devices(false), .. RecordingRuns.Rr("record", rr)])), 1);
        File.WriteAllBytes(_disk, new byte[2 << 20]);
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine([.. Devices(false), .. RecordingRuns.Rr("replay", rr)])), "virtio differs");
    }

    [Theory]
    [InlineData("-drive file=/nonexistent/disk.img,format=raw,if=virtio", "Could not open '/nonexistent/disk.img': No such file or directory")]
    [InlineData("-drive file=DISK,if=ide", "the virt machine has no ide bus")]
    [InlineData("-drive file=DISK,if=scsi", "the virt machine has no scsi bus")]
    [InlineData("-drive file=DISK,if=virtio,format=vmdk", "Unknown driver 'vmdk'")]
    [InlineData("-drive file=DISK,if=virtio,format=qcow2,snapshot=on", "not a usable qcow2 image: no qcow2 header")]
    [InlineData("-device virtio-blk-device", "drive property not set")]
    [InlineData("-device virtio-blk-device,drive=nope", "can't find value 'nope'")]
    [InlineData("-device virtio-net-pci", "has no PCI bus")]
    [InlineData("-device virtio-rng-device,rng=nope", "can't find value 'nope'")]
    [InlineData("-device virtio-rng-device,bus=virtio-mmio-bus.9", "virtio-mmio-bus.9 not found")]
    [InlineData("-object rng-egd,id=r", "invalid object type 'rng-egd'")]
    [InlineData("-global virtio-mmio.foo=1", "only virtio-mmio.force-legacy")]
    public void BadVirtioOptions_GiveOneLineErrors(string options, string message)
    {
        var args = options.Replace("DISK", _disk, StringComparison.Ordinal).Split(' ');
        RecordingRuns.AssertOneLineError(RewindProcess.Run(Machine(args)), message);
    }
}
