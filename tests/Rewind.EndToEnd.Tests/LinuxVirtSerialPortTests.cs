using System.Text.RegularExpressions;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux's virtio_console on a virtserialport: a generic port, not a console, which the driver makes
/// /dev/vport0p1 and names in sysfs from the device's PORT_NAME, with its host side on stdin/stdout
/// (`-chardev stdio`). Init prints the name, reads what the host sent and writes back; live, recorded, and
/// replayed without the host's input.
/// </summary>
public sealed class LinuxVirtSerialPortTests : IDisposable
{
    private const string PortName = "org.rewind.port0";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-linux-vport").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Machine(string serialFile, params string[] extra)
    {
        var linux = LinuxWorkload.Require();
        return ["-M", "virt", "-bios", "default", "-kernel", linux.Image, "-initrd", linux.Initramfs,
            "-append", "console=ttyS0 -- wait /dev/vport0p1; cat /sys/class/virtio-ports/vport0p1/name; hex /dev/vport0p1 6; echo hello > /dev/vport0p1; poweroff",
            "-display", "none", "-monitor", "none", "-serial", $"file:{Path.Combine(_dir, serialFile)}",
            "-chardev", "stdio,id=c0", "-device", "virtio-serial-device", "-device", $"virtserialport,chardev=c0,name={PortName}", .. extra];
    }

    private string Serial(string file) => Regex.Replace(File.ReadAllText(Path.Combine(_dir, file)), "\r+\n", "\n");

    private static void AssertSession(ProcessResult r, string serial)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        // No tty on a generic port: no echo, no CRs; just what init wrote.
        Assert.Equal("hello\n", r.Stdout);
        Assert.Contains($"\n{PortName}\n", serial);
        Assert.DoesNotContain("virtio_console", serial);
        // hex /dev/vport0p1 6: "world\n" as the guest read it.
        Assert.Contains("\n776f726c640a\n", serial);
        Assert.DoesNotContain("hvc0", serial);
    }

    [Fact]
    public void Vport0p1_HasItsNameInSysfs_AndExchangesBytesWithTheChardev_LiveRecordedAndReplayed()
    {
        var live = RewindProcess.Run(Machine("live.txt"), "world\n", Timeout);
        AssertSession(live, Serial("live.txt"));

        string rr = Path.Combine(_dir, "vport.rr");
        var recorded = RewindProcess.Run(Machine("rec.txt", [.. RecordingRuns.Rr("record", rr)]), "world\n", Timeout);
        AssertSession(recorded, Serial("rec.txt"));
        Assert.Equal("world\n"u8.ToArray(), RecordingRuns.LoggedInput(rr, InputChannel.VirtConsole0));

        var replayed = RewindProcess.Run(Machine("rep.txt", [.. RecordingRuns.Rr("replay", rr)]), "other\n", Timeout);
        AssertSession(replayed, Serial("rep.txt"));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "rec.txt")), File.ReadAllText(Path.Combine(_dir, "rep.txt")));
    }
}
