using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>A recording proves its order and its end: edited recordings never replay "successfully".</summary>
public class RecordingIntegrityTests
{
    private static string[] Rr(string mode, string file) => RecordingRuns.Rr(mode, file);

    private static ProcessResult Replay(string guest, string rr) => RecordingRuns.Replay(guest, rr);

    /// <summary>A one-line error, and not the message of a replay that ended well.</summary>
    private static void AssertOneLineFailure(ProcessResult r, string mustContain)
    {
        RecordingRuns.AssertOneLineError(r, mustContain);
        Assert.DoesNotContain("reached the end of the recording", r.Stderr);
    }

    /// <summary>Writes <paramref name="from"/>'s records again (a fresh chain), with its end record replaced.</summary>
    private static void RewriteEnd(string from, string to, Func<ulong, ulong> icount, string reason)
    {
        using var reader = ReplayLogReader.Open(from);
        using var w = ReplayLogWriter.Create(to, reader.Header);
        while (reader.TryReadNext(out var r))
        {
            switch (r.Kind)
            {
                case RecordKind.InputEvent: w.WriteInput(r.Icount, r.Channel, r.Data.Span); break;
                case RecordKind.ClockRead: w.WriteClockRead(r.Icount, r.Value); break;
                case RecordKind.Digest: w.WriteDigest(r.Icount, r.Data.Span); break;
                case RecordKind.Snapshot: w.WriteSnapshot(r.Icount, r.Name!, r.Data.Span); break;
                case RecordKind.Monitor: w.WriteMonitor(r.Icount, r.Text!); break;
                case RecordKind.StateLayout: w.WriteStateLayout(r.Icount, r.Text!); break;
                case RecordKind.End: w.WriteEnd(icount(r.Icount), reason); break;
            }
        }
        Assert.True(reader.EndedCleanly);
    }

    private static (string Rr, ulong End) RecordHello(TempDir dir)
    {
        string rr = dir.File("hello.rr");
        var rec = RewindProcess.RunKernel(RepoPaths.Guest("hello"), null, Rr("record", rr));
        Assert.True(rec.ExitCode == 0, rec.ToString());
        using var reader = ReplayLogReader.Open(rr);
        while (reader.TryReadNext(out _)) { }
        Assert.Equal("poweroff", reader.EndReason);
        return (rr, reader.LastIcount);
    }

    [Fact]
    public void An_end_record_at_a_later_count_than_the_guest_powers_off_is_a_divergence()
    {
        using var dir = new TempDir();
        var (rr, end) = RecordHello(dir);
        string bad = dir.File("later.rr");
        RewriteEnd(rr, bad, n => n + 1000, "poweroff");
        AssertOneLineFailure(Replay("hello", bad), $"replay diverged at instruction {end}: the replayed guest powered off here, but the recording ends at instruction {end + 1000} with poweroff");
    }

    [Fact]
    public void An_end_record_with_another_reason_than_the_guest_gives_is_a_divergence()
    {
        using var dir = new TempDir();
        var (rr, end) = RecordHello(dir);
        string bad = dir.File("exit3.rr");
        RewriteEnd(rr, bad, n => n, "exit 3");
        AssertOneLineFailure(Replay("hello", bad), $"replay diverged at instruction {end}: the replayed guest powered off here, but the recording ends at instruction {end} with exit 3");
    }

    [Fact]
    public void A_poweroff_end_record_reached_without_the_guest_powering_off_is_a_divergence()
    {
        using var dir = new TempDir();
        var (rr, end) = RecordHello(dir);
        string bad = dir.File("earlier.rr");
        RewriteEnd(rr, bad, n => n - 1, "poweroff");
        AssertOneLineFailure(Replay("hello", bad), $"replay diverged at instruction {end - 1}: the recording ends here with poweroff, but the replayed guest did not power off");
    }

    [Fact]
    public void A_quit_end_record_where_the_guest_powers_off_is_a_divergence_and_the_untouched_one_replays()
    {
        using var dir = new TempDir();
        var (rr, end) = RecordHello(dir);
        var good = Replay("hello", rr);
        Assert.True(good.ExitCode == 0, good.ToString());
        string bad = dir.File("quit.rr");
        RewriteEnd(rr, bad, n => n, "quit");
        AssertOneLineFailure(Replay("hello", bad), $"replay diverged at instruction {end}: the replayed guest powered off here, but the recording ends at instruction {end} with quit");
    }

    [Fact]
    public void Removing_duplicating_or_swapping_typed_input_records_never_replays_successfully()
    {
        using var dir = new TempDir();
        string rr = dir.File("typed.rr");
        using (var run = RewindRun.Kernel("input_timing", Rr("record", rr)))
        {
            run.WaitForOutput("input_timing ready");
            foreach (char c in "abc")
            {
                Thread.Sleep(150);
                run.Write(c.ToString());
            }
            var rec = run.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(rec.ExitCode == 0, rec.ToString());
        }
        byte[] file = File.ReadAllBytes(rr);
        var ranges = new List<(int Start, int End, RecordKind Kind)>();
        long header;
        using (var reader = ReplayLogReader.Open(rr))
        {
            var recs = new List<LogRecord>();
            while (reader.TryReadNext(out var r)) recs.Add(r);
            header = recs[0].Offset;
            for (int i = 0; i < recs.Count; i++)
                ranges.Add(((int)recs[i].Offset, i + 1 < recs.Count ? (int)recs[i + 1].Offset : file.Length, recs[i].Kind));
        }
        var inputs = ranges.Select((r, i) => (r, i)).Where(x => x.r.Kind == RecordKind.InputEvent).Select(x => x.i).ToList();
        Assert.Equal(3, inputs.Count);
        var edits = new Dictionary<string, List<(int Start, int End, RecordKind Kind)>>
        {
            ["removed"] = ranges.Where((_, i) => i != inputs[1]).ToList(),
            ["duplicated"] = [.. ranges.Take(inputs[1] + 1), ranges[inputs[1]], .. ranges.Skip(inputs[1] + 1)],
        };
        var swapped = ranges.ToList();
        (swapped[inputs[0]], swapped[inputs[1]]) = (swapped[inputs[1]], swapped[inputs[0]]);
        edits["swapped"] = swapped;
        foreach (var (name, list) in edits)
        {
            var ms = new MemoryStream();
            ms.Write(file, 0, (int)header);
            foreach (var (s, e, _) in list) ms.Write(file, s, e - s);
            string f = dir.File($"{name}.rr");
            File.WriteAllBytes(f, ms.ToArray());
            var r = Replay("input_timing", f);
            Assert.True(r.ExitCode != 0, $"{name}: {r}");
            AssertOneLineFailure(r, "is corrupt (checksum mismatch");
        }
    }

    [Fact]
    public void Input_the_guest_echoed_is_in_the_recording_when_the_recorder_is_killed_at_once()
    {
        using var dir = new TempDir();
        string rr = dir.File("killed.rr");
        using (var run = RewindRun.Kernel("uart_echo", Rr("record", rr)))
        {
            run.WaitForOutput("echo ready\n");
            run.Write("abc\n");
            run.WaitForOutput("echo ready\nabc\n");
            run.Kill(); // SIGKILL right after the echo, well before the once-a-second flush
        }
        var info = RewindProcess.Run("info", rr);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("TRUNCATED", info.Stdout);
        Assert.Matches(@"\(serial0 4 bytes\)", info.Stdout);
        var typed = new List<byte>();
        using (var reader = ReplayLogReader.Open(rr))
            while (reader.TryReadNext(out var rec))
                if (rec.Kind == RecordKind.InputEvent) typed.AddRange(rec.Data.ToArray());
        Assert.Equal("abc\n"u8.ToArray(), typed.ToArray());
        // The replay delivers them and then stops: nothing after the last input was kept.
        var r = Replay("uart_echo", rr);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the recorder was probably killed", r.Stderr);
        Assert.StartsWith("echo ready\n", r.Stdout);
    }
}
