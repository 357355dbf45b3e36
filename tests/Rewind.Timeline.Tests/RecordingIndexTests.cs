using System.Text.Json;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Timeline.Tests;

/// <summary>The index beside a recording (FILE.rr.index): written by the recorder, used, refused, rebuilt.</summary>
public class RecordingIndexTests
{
    private static string Record(TempDir dir, string name = "run.rr")
    {
        string rr = dir.File(name);
        using var w = ReplayLogWriter.Create(rr, RecordingTimelineTests.Header());
        w.WriteSnapshot(0, "init", [1, 2, 3]);
        w.WriteClockRead(10, 123);
        w.WriteOutput(40, 40, "boot\r\nha"u8);
        w.WriteInput(100, InputChannel.Serial0, "ls\r"u8);
        w.WriteInput(120, InputChannel.Entropy, new byte[32]);
        w.WriteMonitor(150, "system_reset");
        w.WriteOutput(200, 199, "lf\n"u8);
        for (ulong i = 0; i < 50; i++) w.WriteDigest(1000 + i * 100, [1, 2, 3, 4]);
        w.WriteOutput(9000, 8999, "tail, no newline"u8);
        w.WriteEnd(10_000, "poweroff");
        return rr;
    }

    private static List<TimelineEvent> All(TimelineLane lane) => lane.Events(0, ulong.MaxValue, int.MaxValue);

    private static void AssertSameTimeline(RecordingTimeline expected, RecordingTimeline actual)
    {
        Assert.Equal(expected.Format, actual.Format);
        Assert.Equal(expected.End, actual.End);
        Assert.Equal(expected.EndedCleanly, actual.EndedCleanly);
        Assert.Equal(expected.Problem, actual.Problem);
        Assert.Equal(All(expected.Inputs), All(actual.Inputs));
        Assert.Equal(All(expected.Output), All(actual.Output));
        Assert.Equal(All(expected.ClockReads), All(actual.ClockReads));
        Assert.Equal(expected.RecordedSnapshots, actual.RecordedSnapshots);
    }

    [Fact]
    public void The_recorder_writes_an_index_and_the_timeline_reads_it_instead_of_the_recording()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        Assert.True(File.Exists(rr + ".index"));
        var fromIndex = RecordingTimeline.Load(rr);
        Assert.True(fromIndex.FromIndex);
        Assert.Null(fromIndex.IndexNote);
        Assert.Equal([new TimelineEvent(40, "boot"), new TimelineEvent(199, "half"), new TimelineEvent(8999, "tail, no newline")], All(fromIndex.Output));
        Assert.Equal([new TimelineEvent(100, @"console input: ls\x0d"), new TimelineEvent(120, "entropy (32 bytes)"), new TimelineEvent(150, "monitor: system_reset")],
            All(fromIndex.Inputs));

        File.Delete(rr + ".index");
        var scanned = RecordingTimeline.Load(rr);
        Assert.False(scanned.FromIndex);
        AssertSameTimeline(scanned, fromIndex);
        // The scan left the index for the next time, the same bytes as the recorder's.
        Assert.True(RecordingTimeline.Load(rr).FromIndex);
    }

    [Fact]
    public void A_corrupt_index_is_refused_in_one_line_and_the_recording_is_scanned_and_indexed_again()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        var good = RecordingTimeline.Load(rr);
        byte[] index = File.ReadAllBytes(rr + ".index");
        index[index.Length / 2] ^= 0x10;
        File.WriteAllBytes(rr + ".index", index);

        var t = RecordingTimeline.Load(rr);
        Assert.False(t.FromIndex);
        Assert.Equal($"{rr}.index: corrupt index (checksum mismatch); read the recording instead", t.IndexNote);
        AssertSameTimeline(good, t);
        Assert.True(RecordingTimeline.Load(rr).FromIndex);
    }

    [Fact]
    public void An_index_of_a_newer_version_or_not_an_index_at_all_is_refused()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        byte[] index = File.ReadAllBytes(rr + ".index");
        index[8] = 2;
        File.WriteAllBytes(rr + ".index", index);
        Assert.Equal($"{rr}.index: corrupt index (index version 2, this build reads version 1); read the recording instead", RecordingTimeline.Load(rr).IndexNote);

        File.WriteAllText(rr + ".index", "{\"bookmarks\": []}");
        var t = RecordingTimeline.Load(rr);
        Assert.False(t.FromIndex);
        Assert.Equal($"{rr}.index: corrupt index (not an index: bad magic); read the recording instead", t.IndexNote);
    }

    [Fact]
    public void An_index_of_the_recording_before_it_was_cut_is_out_of_date_and_the_cut_shows()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        var bytes = File.ReadAllBytes(rr);
        File.WriteAllBytes(rr, bytes[..^6]);
        var t = RecordingTimeline.Load(rr);
        Assert.False(t.FromIndex);
        Assert.StartsWith($"{rr}.index: out of date (it describes a recording of {bytes.Length} bytes, the file now has {bytes.Length - 6})", t.IndexNote);
        Assert.False(t.EndedCleanly);
        Assert.Contains("without an end record", t.Problem);
        // A cut recording gets an index of what it holds: the next open reads it and says the same.
        var again = RecordingTimeline.Load(rr);
        Assert.True(again.FromIndex);
        AssertSameTimeline(t, again);
    }

    [Fact]
    public void An_old_recording_without_an_index_still_opens_and_gets_one()
    {
        using var dir = new TempDir();
        string rr = dir.File("old.rr");
        File.Copy(Path.Combine(RepoPaths.Root, "tests/Rewind.Replay.Tests/Data/v1/input_timing-typed-abc.rr"), rr);
        var t = RecordingTimeline.Load(rr);
        Assert.Equal(1, t.Format);
        Assert.False(t.FromIndex);
        Assert.Null(t.IndexNote);
        Assert.True(t.EndedCleanly);
        Assert.Equal(3, t.Inputs.Count);
        Assert.NotNull(t.OutputNote);
        var again = RecordingTimeline.Load(rr);
        Assert.True(again.FromIndex);
        AssertSameTimeline(t, again);
    }

    [Fact]
    public void A_recording_damaged_after_its_index_was_written_is_found_out_by_the_check()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        var bytes = File.ReadAllBytes(rr);
        // Inside the digests, far from the end: the length and the last CRC still match the index.
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(rr, bytes);
        var t = RecordingTimeline.Load(rr);
        Assert.True(t.FromIndex);
        Assert.True(t.EndedCleanly);
        var checkedOne = t.Verify();
        Assert.NotNull(checkedOne);
        Assert.False(checkedOne.EndedCleanly);
        Assert.Contains("checksum mismatch", checkedOne.Problem);
        Assert.Equal($"{rr}.index: the recording differs from its index; read the recording instead", checkedOne.IndexNote);
        // An intact recording checks out.
        Assert.Null(RecordingTimeline.Load(Record(dir, "intact.rr")).Verify());
    }

    [Fact]
    public async Task The_server_checks_an_indexed_recording_in_the_background_and_then_shows_its_damage()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        var bytes = File.ReadAllBytes(rr);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(rr, bytes);
        using var told = new SemaphoreSlim(0);
        string? note = null;
        using var server = TimelineServer.Start(RecordingTimeline.Load(rr), session: null, port: 0, n =>
        {
            note = n;
            told.Release();
        });
        Assert.True(await told.WaitAsync(TimeSpan.FromMinutes(2)), "the check never reported");
        Assert.Equal($"{rr}.index: the recording differs from its index; read the recording instead", note);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var overview = JsonDocument.Parse(await http.GetStringAsync("api/overview"));
        Assert.False(overview.RootElement.GetProperty("endedCleanly").GetBoolean());
        Assert.Contains("checksum mismatch", overview.RootElement.GetProperty("problem").GetString());
    }

    [Fact]
    public async Task The_page_carries_its_style_script_and_first_view_so_it_draws_without_a_request()
    {
        using var dir = new TempDir();
        string rr = Record(dir);
        using var server = TimelineServer.Start(RecordingTimeline.Load(rr), session: null, port: 0);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        string html = await http.GetStringAsync("");
        Assert.DoesNotContain("src=\"timeline.js\"", html);
        Assert.DoesNotContain("href=\"timeline.css\"", html);
        Assert.Contains("function draw()", html);
        const string Open = "<script id=\"initial\" type=\"application/json\">";
        int at = html.IndexOf(Open, StringComparison.Ordinal) + Open.Length;
        string json = html[at..html.IndexOf("</script>", at, StringComparison.Ordinal)];
        using var initial = JsonDocument.Parse(json);
        Assert.Equal(10_000UL, initial.RootElement.GetProperty("overview").GetProperty("end").GetUInt64());
        var output = initial.RootElement.GetProperty("view").GetProperty("lanes").EnumerateArray().Single(l => l.GetProperty("id").GetString() == "output");
        Assert.Equal(3, output.GetProperty("events").GetArrayLength());
        Assert.Equal("boot", initial.RootElement.GetProperty("console").GetProperty("lines")[0].GetProperty("text").GetString());
    }
}
