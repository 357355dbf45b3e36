namespace Rewind.EndToEnd.Tests;

/// <summary>QEMU's `rrsnapshot=NAME`, kept inside the recording instead of on a disk image.</summary>
public class RrSnapshotTests
{
    private static string[] Rr(string mode, string file, string snapshot) =>
        ["-icount", $"shift=3,rr={mode},rrfile={file},rrsnapshot={snapshot}"];

    private static ProcessResult Run(string mode, string rr, string snapshot) =>
        RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("revdebug"), "-nographic", .. Rr(mode, rr, snapshot)],
            null, TimeSpan.FromSeconds(60));

    [Fact]
    public void Recording_with_rrsnapshot_keeps_the_start_in_the_file_and_replay_starts_from_it()
    {
        using var dir = new TempDir();
        string rr = dir.File("snap.rr");
        var rec = Run("record", rr, "init");
        Assert.True(rec.ExitCode == 0, rec.ToString());
        var info = RewindProcess.Run("info", rr);
        Assert.Matches(@"snapshots\s+1\n", info.Stdout);
        Assert.Matches(@"init\s+at icount\s+0\s", info.Stdout);

        var rep = Run("replay", rr, "init");
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal(rec.Stdout, rep.Stdout);

        // Under GDB the snapshot carries its name, and reverse execution reaches the start.
        int port = FreePort.Get();
        using var run = RewindRun.Kernel("revdebug", [.. Rr("replay", rr, "init"), "-gdb", $"tcp::{port}", "-S"]);
        run.WaitListening(port);
        string o = Gdb.Run("revdebug", port, ["monitor info snapshots", "stepi", "stepi", "reverse-stepi", "reverse-stepi", "p/x $pc"]);
        if (!run.HasExited) run.Kill();
        Assert.True(o.Contains("init"), o + run);
        Assert.True(o.Contains("$1 = 0x1000"), o + run);
    }

    [Fact]
    public void Replay_with_an_unknown_snapshot_name_is_one_clear_error()
    {
        using var dir = new TempDir();
        string rr = dir.File("snap.rr");
        Assert.Equal(0, Run("record", rr, "init").ExitCode);
        var r = Run("replay", rr, "boot");
        Assert.True(r.ExitCode == 1 && r.StderrLines.Length == 1, r.ToString());
        Assert.Contains("rrsnapshot=boot", r.Stderr);
        Assert.Contains("(it has: init)", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Rrsnapshot_without_rr_is_a_usage_error()
    {
        var r = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("revdebug"), "-nographic",
            "-icount", "shift=3,rrsnapshot=init"], null, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 1 && r.StderrLines.Length == 1, r.ToString());
        Assert.Contains("rrsnapshot", r.Stderr);
    }
}
