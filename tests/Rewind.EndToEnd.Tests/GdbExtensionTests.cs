using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>scripts/rewind.py in the real gdb-multiarch against `./rewind ... rr=replay -gdb`: the time-travel commands.</summary>
public class GdbExtensionTests(ReverseRecordings recordings) : IClassFixture<ReverseRecordings>
{
    private static string Replay(string rr, IEnumerable<string> commands) =>
        Gdb.RunAgainstReplay(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("revdebug"), "-nographic",
                              "-icount", $"shift=3,rr=replay,rrfile={rr}"], "revdebug", ["source scripts/rewind.py", .. commands], out _);

    private static int Line(string marker) => Gdb.MarkerLine("revdebug.c", marker);

    /// <summary>A copy of the fixture's recording, so that bookmark files of one test do not meet another's.</summary>
    private string Copy(TempDir dir)
    {
        string rr = dir.File("revdebug.rr");
        File.Copy(recordings.RevDebug.File, rr);
        return rr;
    }

    [Fact]
    public void Last_write_goes_to_the_store_and_prints_values_and_function_and_GDB_follows()
    {
        using var dir = new TempDir();
        string o = Replay(Copy(dir), [
            "rewind goto end",
            "rewind last-write counter",
            "p counter",
            "info line *$pc",
            "rewind last-write counter",
            "p counter",
            "rewind next-write",
            "p counter",
            "rewind when",
        ]);
        Assert.Contains("rewind: counter: 20 -> 75", o);
        Assert.Matches(@"rewind: written at instruction \d+ by hart 0, pc 0x[0-9a-f]+ in main \(\./revdebug\.c:" + Line("@write4") + @"\)", o);
        Assert.Contains("rewind: counter: 19 -> 20", o);
        Assert.Contains($"in accumulate (./revdebug.c:{Line("@write2")})", o);
        // GDB's registers and frames follow each move: its own view shows the old value and the writing line.
        Assert.Equal(["$1 = 20", "$2 = 19", "$3 = 20"], Regex.Matches(o, @"^\$\d+ = .*$", RegexOptions.Multiline).Select(m => m.Value));
        Assert.Contains($"Line {Line("@write4")} of \"./revdebug.c\"", o);
        var at = Regex.Matches(o, @"written at instruction (\d+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(at[0], at[2]);
        Assert.Contains($"instruction {at[2]} of {recordings.RevDebug.End}, guest time", o);
    }

    [Fact]
    public void Bookmarks_survive_the_session_in_a_file_beside_the_recording()
    {
        using var dir = new TempDir();
        string rr = Copy(dir);
        string first = Replay(rr, ["rewind goto 1234", "rewind bookmark loop", "rewind goto end", "rewind bookmark finish", "rewind bookmarks"]);
        Assert.Contains("bookmark loop at instruction 1234", first);
        Assert.Contains("loop at instruction 1234\nfinish at instruction " + recordings.RevDebug.End, first);
        Assert.Contains("\"name\": \"loop\"", File.ReadAllText(rr + ".bookmarks"));

        string second = Replay(rr, ["rewind goto loop", "p $pc", "rewind delete-bookmark loop", "rewind bookmarks", "rewind goto nowhere", "rewind bookmark 12"]);
        Assert.Contains("rewind: at instruction 1234", second);
        Assert.Contains("rewind: deleted bookmark loop", second);
        Assert.Contains("finish at instruction " + recordings.RevDebug.End, second);
        Assert.DoesNotContain("loop at instruction", second);
        Assert.Contains("rewind: 'nowhere' is not an instruction count, a bookmark, start or end", second);
        Assert.Contains("rewind: '12' reads as an instruction count", second);
    }

    [Fact]
    public void Goto_output_goes_to_where_the_guest_wrote_the_line()
    {
        using var dir = new TempDir();
        string rr = Copy(dir);
        var info = RewindProcess.Run("info", rr, "--output");
        Assert.Equal(0, info.ExitCode);
        var line = Regex.Match(info.Stdout, @"^\s*(\d+)  revdebug total=90 fib=55 counter=75$", RegexOptions.Multiline);
        Assert.True(line.Success, info.ToString());
        string o = Replay(rr, ["rewind goto-output fib=\\d+", "bt 1", "rewind goto-output no such line", "rewind info"]);
        Assert.Contains($"rewind: at instruction {line.Groups[1].Value}, where the guest wrote: revdebug total=90 fib=55 counter=75", o);
        Assert.Matches(@"#0 +rt_putc \(c=10 '\\n'\)", o);
        Assert.Contains("rewind: no console line matches 'no such line'", o);
        Assert.Contains("console lines:  1", o);
        Assert.Contains("format:         5", o);
    }

    [Fact]
    public void A_plain_replay_seek_tells_the_user_to_flush_the_register_cache()
    {
        using var dir = new TempDir();
        string o = Replay(Copy(dir), ["monitor replay_seek 100"]);
        Assert.Contains("rewind: the machine is now at instruction 100, but GDB still shows the registers and frames of before; run 'maintenance flush register-cache'", o);
    }

    [Fact]
    public void Last_and_next_write_name_a_devices_write_into_memory_as_DMA()
    {
        using var dir = new TempDir();
        string disk = dir.File("disk.raw"), rr = dir.File("virtio.rr");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        string[] machine = ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("virtio"), "-nographic",
            "-drive", $"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0",
            "-object", "rng-builtin,id=r0", "-device", "virtio-rng-device,rng=r0"];
        var recorded = RewindProcess.Run([.. machine, .. RecordingRuns.Rr("record", rr)]);
        Assert.True(recorded.ExitCode == 0 && recorded.Stdout.Contains("virtio done", StringComparison.Ordinal), recorded.ToString());
        string o = Gdb.RunAgainstReplay([.. machine, .. RecordingRuns.Rr("replay", rr)], "virtio", [
            "source scripts/rewind.py",
            "rewind goto end",
            "rewind last-write status",     // the flush request's status, written by the device
            "p status",
            "rewind last-write status",     // the guest's `status = 0xff` before that request
            "rewind next-write",
        ], out _);
        // The device's write: the old value still in memory, the hart named by what it was running then.
        var dma = Regex.Matches(o, @"rewind: status: 255 '\\377' -> 0 '\\000'\nrewind: written at instruction (\d+) by a device \(DMA\), " +
                                   @"while hart 0 was at pc 0x[0-9a-f]+ in submit \(\./virtio\.c:\d+\)");
        Assert.True(dma.Count == 2, o);
        Assert.Equal(dma[0].Groups[1].Value, dma[1].Groups[1].Value);
        Assert.Contains("$1 = 255 '\\377'", o);
        Assert.Matches(@"rewind: status: 1 '\\001' -> 255 '\\377'\nrewind: written at instruction \d+ by hart 0, pc 0x[0-9a-f]+ in blk_request ", o);
    }

    [Fact]
    public void Last_write_repeated_from_the_same_point_finds_the_same_store()
    {
        // The first call scans and leaves snapshots; the second must use them and still find the same
        // store (its speed is bench/last-write.sh's business, not a test's).
        using var dir = new TempDir();
        string o = Replay(Copy(dir), [
            "rewind goto end",
            "rewind bookmark end-of-run",
            "rewind last-write counter",
            "rewind goto end-of-run",
            "rewind last-write counter",
        ]);
        var at = Regex.Matches(o, @"written at instruction (\d+) by hart 0, pc (0x[0-9a-f]+)").Select(m => m.Value).ToList();
        Assert.True(at.Count == 2, o);
        Assert.Equal(at[0], at[1]);
        Assert.Equal(2, Regex.Count(o, "rewind: counter: 20 -> 75"));
    }
}
