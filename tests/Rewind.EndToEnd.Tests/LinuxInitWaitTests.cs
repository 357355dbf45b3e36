namespace Rewind.EndToEnd.Tests;

/// <summary>init's `wait FILE [SECONDS]`, which the virtio-console tests use before opening a port.</summary>
public sealed class LinuxInitWaitTests
{
    [Fact]
    public void Wait_returns_once_the_file_is_there_and_says_so_when_it_never_comes()
    {
        var linux = LinuxWorkload.Require();
        var r = RewindProcess.Run(["-M", "virt", "-bios", "default", "-kernel", linux.Image, "-initrd", linux.Initramfs,
            "-append", "console=ttyS0 -- wait /dev/console 1; echo found; wait /no/such/file 1; echo gave up; poweroff",
            "-nographic"], "", TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("found", r.Stdout);
        Assert.Contains("wait: /no/such/file: not there", r.Stdout);
        Assert.True(r.Stdout.IndexOf("wait: /no/such/file", StringComparison.Ordinal) < r.Stdout.LastIndexOf("gave up", StringComparison.Ordinal), r.Stdout);
    }
}
