using System.Text.RegularExpressions;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux's virtio_console on Rewind's virtconsole: /dev/hvc0 with its host side on stdin/stdout
/// (`-chardev stdio`) and the kernel's console on ttyS0 in a file. Init reads a line the host typed from
/// /dev/hvc0 and writes to it; live, recorded, and replayed without the host's input.
/// </summary>
public sealed class LinuxVirtConsoleTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-linux-hvc").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Machine(string serialFile, params string[] extra)
    {
        var linux = LinuxWorkload.Require();
        // The tty echoes what it reads: the host's line comes back on the port before init's own write.
        // hvc0 appears once the device has announced its port, which may be after init starts: wait for it.
        return ["-M", "virt", "-bios", "default", "-kernel", linux.Image, "-initrd", linux.Initramfs,
            "-append", "console=ttyS0 -- wait /dev/hvc0; hex /dev/hvc0 6; echo hello > /dev/hvc0; poweroff",
            "-display", "none", "-monitor", "none", "-serial", $"file:{Path.Combine(_dir, serialFile)}",
            "-chardev", "stdio,id=c0", "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0", .. extra];
    }

    private string Serial(string file) => Regex.Replace(File.ReadAllText(Path.Combine(_dir, file)), "\r+\n", "\n");

    private static void AssertSession(ProcessResult r, string serial)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        // The port's output: the tty's echo of "world", then init's "hello" (ONLCR adds the CRs).
        Assert.Equal("world\r\nhello\r\n", r.Stdout);
        Assert.DoesNotContain("virtio_console", serial);  // no complaint from the driver ("… is not a head!")
        // hex /dev/hvc0 6 on ttyS0: "world\n" as the guest read it.
        Assert.Contains("\n776f726c640a\n", serial);
    }

    [Fact]
    public void Hvc0_ReadsTheHostsLine_AndWritesToTheChardev_LiveRecordedAndReplayed()
    {
        var live = RewindProcess.Run(Machine("live.txt"), "world\n", Timeout);
        AssertSession(live, Serial("live.txt"));

        string rr = Path.Combine(_dir, "hvc.rr");
        var recorded = RewindProcess.Run(Machine("rec.txt", [.. RecordingRuns.Rr("record", rr)]), "world\n", Timeout);
        AssertSession(recorded, Serial("rec.txt"));
        Assert.Equal("world\n"u8.ToArray(), RecordingRuns.LoggedInput(rr, InputChannel.VirtConsole0));
        Assert.Contains("virtconsole0 6 bytes", RecordingSummary.Read(rr).Format());

        // Keys typed at a replay are not the guest's input: the recording's bytes are, at their counts.
        var replayed = RewindProcess.Run(Machine("rep.txt", [.. RecordingRuns.Rr("replay", rr)]), "other\n", Timeout);
        AssertSession(replayed, Serial("rep.txt"));
        Assert.Equal(recorded.Stdout, replayed.Stdout);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "rec.txt")), File.ReadAllText(Path.Combine(_dir, "rep.txt")));
    }
}
