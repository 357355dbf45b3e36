using System.Diagnostics;
using System.Text.Json;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Timeline.Tests;

public class RecordingTimelineTests
{
    internal static RecordingHeader Header() => new(
        [new("machine", "virt"), new("ram", "134217728"), new("smp", "1"), new("icount_shift", "3"), new("bios", "none"),
         new("kernel", "k.elf"), new("append", "")],
        [new ImageHash("kernel", "k.elf", new byte[32])]);

    private static string Write(string path, Action<ReplayLogWriter> body, ulong end)
    {
        using (var w = ReplayLogWriter.Create(path, Header()))
        {
            body(w);
            w.WriteEnd(end, "poweroff");
        }
        return path;
    }

    [Fact]
    public void A_recording_gives_its_inputs_console_lines_clock_reads_and_snapshots_by_count()
    {
        using var dir = new TempDir();
        string rr = Write(dir.File("a.rr"), w =>
        {
            w.WriteSnapshot(0, "init", [1, 2, 3]);
            w.WriteClockRead(10, 123);
            w.WriteOutput(40, 40, "boot\nha"u8);
            w.WriteInput(100, InputChannel.Serial0, "ls\r"u8);
            w.WriteMonitor(150, "system_reset");
            w.WriteOutput(200, 199, "lf\n"u8);
        }, end: 500);
        var t = RecordingTimeline.Load(rr);
        Assert.Equal(500UL, t.End);
        Assert.True(t.EndedCleanly);
        Assert.Null(t.OutputNote);
        Assert.Equal([new TimelineEvent(100, @"console input: ls\x0d"), new TimelineEvent(150, "monitor: system_reset")], t.Inputs.Events(0, 1000, 10));
        Assert.Equal([new TimelineEvent(40, "boot"), new TimelineEvent(199, "half")], t.Output.Events(0, 1000, 10));
        Assert.Equal(1, t.ClockReads.CountIn(0, 11));
        Assert.Equal(0UL, Assert.Single(t.RecordedSnapshots).Icount);
    }

    [Fact]
    public void A_cut_recording_shows_what_it_holds_and_says_why_it_ends()
    {
        using var dir = new TempDir();
        string rr = Write(dir.File("cut.rr"), w =>
        {
            w.WriteInput(100, InputChannel.Serial0, "x"u8);
            w.WriteInput(900, InputChannel.Serial0, "y"u8);
        }, end: 1000);
        var bytes = File.ReadAllBytes(rr);
        File.WriteAllBytes(rr, bytes[..^6]);
        var t = RecordingTimeline.Load(rr);
        Assert.False(t.EndedCleanly);
        Assert.NotNull(t.Problem);
        Assert.True(t.Inputs.Count >= 1);
    }

    [Fact]
    public void A_file_that_is_not_a_recording_is_a_one_line_error()
    {
        using var dir = new TempDir();
        string bad = dir.File("bad.rr");
        File.WriteAllText(bad, "hello\nworld\n");
        var e = Assert.Throws<TimelineException>(() => RecordingTimeline.Load(bad));
        Assert.StartsWith(bad + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal($"{dir.File("none.rr")}: no such file", Assert.Throws<TimelineException>(() => RecordingTimeline.Load(dir.File("none.rr"))).Message);
    }

    /// <summary>
    /// The page's first view of a 2 G-instruction recording with many events: the server answers with
    /// buckets, not events, and quickly. Prints the figures (no timing assertion: the machine is shared).
    /// </summary>
    [Fact]
    public async Task A_two_billion_instruction_recording_is_summarised_into_buckets()
    {
        using var dir = new TempDir();
        const ulong End = 2_000_000_000;
        string rr = Write(dir.File("big.rr"), w =>
        {
            for (ulong i = 0; i < 200_000; i++)
            {
                ulong at = i * 10_000;
                w.WriteInput(at + 1, InputChannel.Serial0, "k"u8);
                if (i % 2 == 0) w.WriteOutput(at + 5, at + 5, "a console line\n"u8);
            }
        }, End);
        // Read through once (no index), then from the index that read left behind.
        File.Delete(rr + ".index");
        var scan = Stopwatch.StartNew();
        Assert.False(RecordingTimeline.Load(rr).FromIndex);
        scan.Stop();
        var load = Stopwatch.StartNew();
        var t = RecordingTimeline.Load(rr);
        load.Stop();
        Assert.True(t.FromIndex);
        Assert.Equal(200_000, t.Inputs.Count);
        Assert.Equal(100_000, t.Output.Count);
        using var server = TimelineServer.Start(t, session: null, port: 0);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        await http.GetStringAsync("api/overview");
        var view = Stopwatch.StartNew();
        string json = await http.GetStringAsync("api/view?from=0&to=2000000001&n=600");
        await http.GetStringAsync("api/console?from=0&to=2000000001");
        view.Stop();
        using var doc = JsonDocument.Parse(json);
        var output = doc.RootElement.GetProperty("lanes").EnumerateArray().Single(l => l.GetProperty("id").GetString() == "output");
        Assert.Equal(JsonValueKind.Null, output.GetProperty("events").ValueKind);
        var buckets = output.GetProperty("buckets").EnumerateArray().Select(b => b.GetInt32()).ToList();
        Assert.Equal(600, buckets.Count);
        Assert.Equal(100_000, buckets.Sum());
        Assert.True(json.Length < 64 * 1024, $"{json.Length} bytes for a view");
        Console.WriteLine($"timeline, 2 G instructions, 300,000 events: read through in {scan.ElapsedMilliseconds} ms, from its index ({new FileInfo(rr + ".index").Length} bytes) in {load.ElapsedMilliseconds} ms, first view {view.ElapsedMilliseconds} ms, {json.Length} bytes (shared, loaded machine)");
    }
}
