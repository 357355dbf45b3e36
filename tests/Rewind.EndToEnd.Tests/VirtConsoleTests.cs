using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// A virtconsole through ./rewind: guests/vconsole.c (the MULTIPORT handshake, output, host input) with
/// the port on `-chardev stdio` and the UART in a file, live and recorded, then replayed without input.
/// </summary>
public sealed class VirtConsoleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-vconsole").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private string[] Machine(string serialFile, bool modern, params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("vconsole"), "-display", "none", "-monitor", "none",
         "-serial", $"file:{Path.Combine(_dir, serialFile)}", .. (modern ? new[] { "-global", "virtio-mmio.force-legacy=false" } : []),
         "-chardev", "stdio,id=c0", "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0,name=org.rewind.0", .. extra];

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void HostInput_RecordedOnItsChannel_ReplaysWithoutIt_AndTheGuestSeesTheSame(bool modern, int version)
    {
        string rr = Path.Combine(_dir, "vc.rr");
        var recorded = RewindProcess.Run(Machine("rec.txt", modern, [.. RecordingRuns.Rr("record", rr)]), "typed line\n", Timeout);
        Assert.True(recorded.ExitCode == 0, recorded.ToString());
        Assert.Equal("hello from virtconsole\necho: typed line\n", recorded.Stdout);
        string serial = File.ReadAllText(Path.Combine(_dir, "rec.txt"));
        Assert.Equal(
            $"vconsole slot 7 version {version} max_nr_ports 31\n" +
            "ctrl port 0 event 1 value 1\n" +        // PORT_ADD
            "ctrl port 0 event 4 value 1\n" +        // CONSOLE_PORT
            "ctrl port 0 event 7 value 1 name org.rewind.0\n" +
            "ctrl port 0 event 6 value 1\n" +        // PORT_OPEN: the chardev is there
            "got: typed line\nvconsole done\n", serial);

        var inputs = new List<byte>();
        using (var reader = ReplayLogReader.Open(rr))
            while (reader.TryReadNext(out var rec))
            {
                Assert.NotEqual(InputChannel.Serial0, rec.Channel);
                if (rec.Kind == RecordKind.InputEvent && rec.Channel == InputChannel.VirtConsole0) inputs.AddRange(rec.Data.ToArray());
            }
        Assert.Equal("typed line\n"u8.ToArray(), inputs.ToArray());
        Assert.Contains("virtconsole0 11 bytes", RecordingSummary.Read(rr).Format());
        Assert.Contains("virtio-serial port0=console(org.rewind.0)", RecordingSummary.Read(rr).Format());

        // Other keys typed now are not the guest's input: the recording's are.
        var replayed = RewindProcess.Run(Machine("rep.txt", modern, [.. RecordingRuns.Rr("replay", rr)]), "other\n", Timeout);
        Assert.True(replayed.ExitCode == 0, replayed.ToString());
        Assert.Equal(recorded.Stdout, replayed.Stdout);
        Assert.Equal(serial, File.ReadAllText(Path.Combine(_dir, "rep.txt")));

        // The port's host side may be another backend in the replay: a file takes the same output.
        string output = Path.Combine(_dir, "out.txt");
        var toFile = RewindProcess.Run(Machine("rep2.txt", modern, [.. RecordingRuns.Rr("replay", rr)])
            .Select(a => a == "stdio,id=c0" ? $"file,id=c0,path={output}" : a), null, Timeout);
        Assert.True(toFile.ExitCode == 0, toFile.ToString());
        Assert.Equal("", toFile.Stdout);
        Assert.Equal(recorded.Stdout, File.ReadAllText(output));
    }
}
