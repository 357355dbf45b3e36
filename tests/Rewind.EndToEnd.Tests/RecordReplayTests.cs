using System.Text.RegularExpressions;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>`-icount shift=3,rr=record|replay,rrfile=F` through ./rewind, with stdin fed by the test.</summary>
public class RecordReplayTests
{
    private static string[] Rr(string mode, string file) => RecordingRuns.Rr(mode, file);

    /// <summary>Records input_timing, typing each byte after its delay (ms) on the host clock.</summary>
    private static ProcessResult RecordInputTiming(string rr, int[] delaysMs, string bytes = "abc")
    {
        using var run = RewindRun.Kernel("input_timing", Rr("record", rr));
        run.WaitForOutput("input_timing ready");
        for (int i = 0; i < bytes.Length; i++)
        {
            Thread.Sleep(delaysMs[i]);
            run.Write(bytes[i].ToString());
        }
        var r = run.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    private static ProcessResult Replay(string guest, string rr, params string[] extra) => RecordingRuns.Replay(guest, rr, extra);

    private static void AssertOneLineError(ProcessResult r, string mustContain) => RecordingRuns.AssertOneLineError(r, mustContain);

    /// <summary>The complete records of a recording still being written: <paramref name="inputs"/> input events and one after them.</summary>
    private static bool HoldsInputsAndALaterRecord(string rr, int inputs)
    {
        using var reader = ReplayLogReader.Open(rr);
        int seen = 0;
        bool later = false;
        while (reader.TryReadNext(out var r))
        {
            if (r.Kind == RecordKind.InputEvent)
            {
                seen++;
                later = false;
            }
            else if (seen > 0)
            {
                later = true;
            }
        }
        return seen == inputs && later;
    }

    private static List<LogRecord> ReadRecords(string rr)
    {
        using var reader = ReplayLogReader.Open(rr);
        var list = new List<LogRecord>();
        while (reader.TryReadNext(out var r)) list.Add(r);
        Assert.True(reader.EndedCleanly, reader.Truncation ?? reader.Corruption);
        return list;
    }

    private static ulong FinalIcount(string rr)
    {
        var info = RewindProcess.Run("info", rr);
        Assert.True(info.ExitCode == 0, info.ToString());
        var m = Regex.Match(info.Stdout, @"at icount ([\d,]+)");
        Assert.True(m.Success, info.ToString());
        return ulong.Parse(m.Groups[1].Value.Replace(",", ""));
    }

    [Fact]
    public void Input_timing_recorded_with_two_host_delay_patterns_replays_twice_byte_identical()
    {
        using var dir = new TempDir();
        var outputs = new List<string>();
        foreach (var (name, delays) in new[] { ("fast", new[] { 50, 100, 50 }), ("slow", new[] { 600, 300, 700 }) })
        {
            string rr = dir.File(name + ".rr");
            var rec = RecordInputTiming(rr, delays);
            Assert.Matches(@"^input_timing ready: send 3 bytes\nbyte a code 97 iterations \d+ mtime \d+\nbyte b code 98 iterations \d+ mtime \d+\nbyte c code 99 iterations \d+ mtime \d+\nrtc start ns \d+\n$", rec.Stdout);
            var first = Replay("input_timing", rr);
            var second = Replay("input_timing", rr);
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Equal(rec.Stdout, first.Stdout);
            Assert.Equal(first, second);
            Assert.Equal(FinalIcount(rr), FinalIcount(rr));
            outputs.Add(rec.Stdout);
        }
        // The iteration counts follow the host's timing, so the two recordings differ; replay does not care.
        Assert.NotEqual(outputs[0], outputs[1]);
    }

    [Fact]
    public void Replay_with_another_kernel_or_ram_size_is_refused_naming_what_differs()
    {
        using var dir = new TempDir();
        string rr = dir.File("it.rr");
        RecordInputTiming(rr, [10, 10, 10]);
        var r = Replay("hello", rr);
        AssertOneLineError(r, "kernel");
        Assert.Contains("input_timing.elf", r.Stderr);
        Assert.Contains("hello.elf", r.Stderr);
        Assert.Equal("", r.Stdout);

        var m = RewindProcess.Run(["-M", "virt", "-m", "256M", "-bios", "none", "-kernel", RepoPaths.Guest("input_timing"), "-nographic", .. Rr("replay", rr)]);
        AssertOneLineError(m, "ram");
        Assert.Contains("256", m.Stderr);
        Assert.Equal("", m.Stdout);

        var shift = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("input_timing"), "-nographic", "-icount", $"shift=5,rr=replay,rrfile={rr}"]);
        AssertOneLineError(shift, "icount");
    }

    [Fact]
    public void A_truncated_recording_replays_up_to_where_it_ends_then_says_so_in_one_line()
    {
        using var dir = new TempDir();
        string rr = dir.File("it.rr");
        var rec = RecordInputTiming(rr, [300, 300, 300]);
        byte[] full = File.ReadAllBytes(rr);
        long headerLength;
        using (var reader = ReplayLogReader.Open(rr)) headerLength = reader.Position;
        var records = ReadRecords(rr);
        int first = records.FindIndex(x => x.Kind == RecordKind.InputEvent);
        long firstInputEnd = records[first + 1].Offset;
        var cuts = new[] { headerLength + 3, full.Length / 2, full.Length * 3 / 4, firstInputEnd, full.Length - 5, full.Length - 1 };
        // A recording made on a slow host has few digests, and half of it may still be header (cut below).
        foreach (long cut in cuts.Where(c => c > headerLength).Distinct())
        {
            string part = dir.File($"cut{cut}.rr");
            File.WriteAllBytes(part, full[..(int)cut]);
            var r = Replay("input_timing", part);
            AssertOneLineError(r, "replay stopped at instruction ");
            Assert.Contains("without an end record", r.Stderr);
            Assert.True(rec.Stdout.StartsWith(r.Stdout, StringComparison.Ordinal), $"cut {cut}: {r}");
            // The guest says it is ready before it takes the first byte, so a cut that keeps that byte keeps the line.
            if (cut >= firstInputEnd) Assert.StartsWith("input_timing ready", r.Stdout);
        }
        // A cut inside the header is not a recording at all.
        string head = dir.File("head.rr");
        File.WriteAllBytes(head, full[..(int)(headerLength - 2)]);
        AssertOneLineError(Replay("input_timing", head), "corrupt recording header");
    }

    [Fact]
    public void Flipped_bits_give_a_one_line_corruption_message_not_a_crash()
    {
        using var dir = new TempDir();
        string rr = dir.File("it.rr");
        var rec = RecordInputTiming(rr, [200, 200, 200]);
        byte[] full = File.ReadAllBytes(rr);
        long headerLength;
        using (var reader = ReplayLogReader.Open(rr)) headerLength = reader.Position;
        var rng = new Random(1234);
        var offsets = new List<int> { 3, 9, 20, (int)headerLength - 1, (int)headerLength, (int)headerLength + 1, full.Length - 1 };
        for (int i = 0; i < 6; i++) offsets.Add(rng.Next((int)headerLength, full.Length));
        // A longer length in the last record is what a recorder killed while writing it leaves: that
        // reads as truncation (tested elsewhere), so the end record's length byte is left out here.
        long endLength = ReadRecords(rr)[^1].Offset + 1;
        offsets.RemoveAll(o => o == endLength);
        foreach (int off in offsets)
        {
            byte[] bad = (byte[])full.Clone();
            bad[off] ^= (byte)(1 << rng.Next(8));
            string f = dir.File($"flip{off}.rr");
            File.WriteAllBytes(f, bad);
            var r = Replay("input_timing", f);
            string ctx = $"offset {off}: {r}";
            Assert.True(r.ExitCode == 1, ctx);
            Assert.True(r.StderrLines.Length == 1, ctx);
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.DoesNotContain("internal error", r.Stderr);
            Assert.True(Regex.IsMatch(r.Stderr, "corrupt|not a Rewind recording|unsupported"), ctx);
            Assert.True(rec.Stdout.StartsWith(r.Stdout, StringComparison.Ordinal), ctx);
        }
    }

    [Fact]
    public void A_changed_input_byte_under_the_recorded_digests_stops_with_replay_diverged()
    {
        using var dir = new TempDir();
        string rr = dir.File("it.rr");
        // The guest carries a sum of the bytes in a register to the end, so every digest after the first
        // byte sees a forged one. The premise is a digest (every 2^24 instructions) after that byte, which
        // host speed decides: a slow host gets a longer wait before the last byte. A byte delivered at a
        // digest's own count is in that digest (in the UART) before the guest can print it: record again.
        for (int attempt = 0; ; attempt++)
        {
            RecordInputTiming(rr, [400, 200, 200 << attempt]);
            var records = ReadRecords(rr);
            ulong first = records.First(r => r.Kind == RecordKind.InputEvent).Icount;
            if (first % Rewind.Replay.Recording.RecordingInput.DigestInterval != 0
                && records.Any(r => r.Kind == RecordKind.Digest && r.Icount > first)) break;
            Assert.True(attempt < 3, "no recording had a state digest after its first byte\n" + string.Join("\n", records));
        }
        string forged = dir.File("forged.rr");
        using (var reader = ReplayLogReader.Open(rr))
        using (var w = ReplayLogWriter.Create(forged, reader.Header))
        {
            bool changed = false;
            while (reader.TryReadNext(out var r))
            {
                switch (r.Kind)
                {
                    case RecordKind.InputEvent:
                        // 0x01 prints as '.' and its code has one digit: the guest takes another path.
                        w.WriteInput(r.Icount, r.Channel, changed ? r.Data.Span : [0x01]);
                        changed = true;
                        break;
                    case RecordKind.ClockRead: w.WriteClockRead(r.Icount, r.Value); break;
                    case RecordKind.Digest: w.WriteDigest(r.Icount, r.Data.Span); break;
                    case RecordKind.Snapshot: w.WriteSnapshot(r.Icount, r.Name!, r.Data.Span); break;
                    case RecordKind.Monitor: w.WriteMonitor(r.Icount, r.Text!); break;
                    case RecordKind.End: w.WriteEnd(r.Icount, r.Text!); break;
                }
            }
            Assert.True(reader.EndedCleanly);
            Assert.True(changed);
        }
        var res = Replay("input_timing", forged);
        AssertOneLineError(res, "replay diverged at instruction ");
        Assert.Matches(@"replay diverged at instruction \d+: ", res.Stderr);
        Assert.True(res.Stdout.Contains("byte . code 1 ", StringComparison.Ordinal), res + "\n--- records ---\n" + string.Join("\n", ReadRecords(forged)));
    }

    [Fact]
    public void Hello_records_with_no_input_and_replays_identically_and_info_lists_events_by_kind()
    {
        using var dir = new TempDir();
        string rr = dir.File("hello.rr");
        var rec = RewindProcess.RunKernel(RepoPaths.Guest("hello"), null, Rr("record", rr));
        Assert.True(rec.ExitCode == 0, rec.ToString());
        var rep = Replay("hello", rr);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal("Hello from Rewind guest\n", rep.Stdout);
        Assert.DoesNotContain("   at ", rep.Stderr);

        string it = dir.File("it.rr");
        RecordInputTiming(it, [200, 200, 200]);
        var info = RewindProcess.Run("info", it);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("ended cleanly (poweroff)", info.Stdout);
        Assert.Matches(@"input events\s+3\s+\(serial0 3 bytes\)", info.Stdout);
        Assert.Matches(@"clock reads\s+1\n", info.Stdout);
        // One digest per 2^24 instructions, however fast the host ran the guest.
        Assert.Matches($@"digests\s+{FinalIcount(it) >> 24}\n", info.Stdout);
        Assert.Matches(@"snapshots\s+0\n", info.Stdout);
        Assert.Contains("input_timing.elf", info.Stdout);

        var hinfo = RewindProcess.Run("info", rr);
        Assert.Matches(@"input events\s+0", hinfo.Stdout);
    }

    [Fact]
    public void A_killed_recording_replays_to_its_last_complete_record_and_stops_with_a_clear_message()
    {
        using var dir = new TempDir();
        string rr = dir.File("killed.rr");
        using (var run = RewindRun.Kernel("uart_echo", Rr("record", rr)))
        {
            run.WaitForOutput("echo ready\n");
            // The console flushes guest output at line ends: end with a newline to see the echo live.
            foreach (char c in "abc\n")
            {
                run.Write(c.ToString());
                Thread.Sleep(100);
            }
            run.WaitForOutput("echo ready\nabc\n");
            // The recorder flushes once a second. Kill it once the file on disk holds the four bytes and a
            // record after the last one (a state digest of the idle guest): a replay stops at the last
            // complete record, and only a later one shows that the guest went on to echo the newline.
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (!HoldsInputsAndALaterRecord(rr, 4))
            {
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "the recording never held the 4 typed bytes and a later record on disk");
                Thread.Sleep(200);
            }
            run.Kill(); // SIGKILL: no end record, no final flush
        }
        var info = RewindProcess.Run("info", rr);
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("TRUNCATED", info.Stdout);
        Assert.Matches(@"input events\s+4\s+\(serial0 4 bytes\)", info.Stdout);

        var r = Replay("uart_echo", rr);
        AssertOneLineError(r, "replay stopped at instruction ");
        Assert.Contains("the recorder was probably killed", r.Stderr);
        Assert.Equal("echo ready\nabc\n", r.Stdout);
    }
}
