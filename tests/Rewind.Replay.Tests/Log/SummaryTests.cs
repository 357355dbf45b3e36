using Rewind.Core.Input;
using Rewind.Replay.Log;
using Xunit.Abstractions;

namespace Rewind.Replay.Tests.Log;

public class SummaryTests(ITestOutputHelper output)
{
    private static string WriteTemp(Action<ReplayLogWriter> body)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rewind-summary-{Guid.NewGuid():N}.rr");
        using (var w = ReplayLogWriter.Create(path, LogTestData.Header()))
            body(w);
        return path;
    }

    [Fact]
    public void Summary_of_a_clean_recording_counts_everything()
    {
        string path = WriteTemp(w =>
        {
            w.WriteSnapshot(0, "init", new byte[100_000]);
            w.WriteClockRead(5, 1);
            for (int i = 0; i < 10; i++)
                w.WriteInput(1000 + (ulong)i * 50, InputChannel.Serial0, "ab"u8);
            w.WriteMonitor(2000, "replay_break 5000");
            w.WriteDigest(3000, LogTestData.Hash(1));
            w.WriteDigest(4000, LogTestData.Hash(2));
            w.WriteSnapshot(100_000_000, "auto-1", new byte[4096]);
            w.WriteInput(123_456_789, InputChannel.Power, [1]);
            w.WriteEnd(123_456_789, "poweroff");
        });
        try
        {
            var s = RecordingSummary.Read(path);
            output.WriteLine(s.Format());

            Assert.True(s.EndedCleanly);
            Assert.Equal("poweroff", s.EndReason);
            Assert.Equal(123_456_789ul, s.FinalIcount);
            Assert.Equal(new FileInfo(path).Length, s.FileSize);
            Assert.Equal(11, s.CountsByKind[RecordKind.InputEvent]);
            Assert.Equal(1, s.CountsByKind[RecordKind.ClockRead]);
            Assert.Equal(1, s.CountsByKind[RecordKind.Monitor]);
            Assert.Equal(2, s.DigestCount);
            Assert.Equal(20, s.InputBytesByChannel[InputChannel.Serial0]);
            Assert.Equal(
                [new SnapshotInfo("init", 0, 100_000), new SnapshotInfo("auto-1", 100_000_000, 4096)],
                s.Snapshots);
            Assert.Equal("virt", s.Config["machine"]);
            Assert.Equal(2, s.Images.Count);

            string text = s.Format();
            Assert.Contains("ended cleanly (poweroff) at icount 123,456,789", text);
            Assert.Contains("ram           128 MiB", text);
            Assert.Contains("kernel  hello.elf", text);
            Assert.Contains(Convert.ToHexStringLower(LogTestData.Hash(2)), text);
            Assert.Contains("987.654 ms of guest time", text);  // 123,456,789 << 3 ns
            Assert.Matches(@"input events\s+11  \(serial0 20 bytes, power 1 byte\)", text);
            Assert.Matches(@"digests\s+2", text);
            Assert.Matches(@"init\s+at icount\s+0\s+100,000 bytes", text);
            Assert.Matches(@"auto-1\s+at icount\s+100,000,000\s+4,096 bytes", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Summary_of_a_killed_recording_says_so_and_gives_the_last_icount()
    {
        string path = WriteTemp(w =>
        {
            for (int i = 1; i <= 5; i++)
                w.WriteInput((ulong)i * 100, InputChannel.Serial0, "x"u8);
        });
        try
        {
            // Simulate a kill in the middle of the next record.
            using (var f = new FileStream(path, FileMode.Append))
                f.Write([(byte)RecordKind.InputEvent, 3, 0x10]);
            var s = RecordingSummary.Read(path);
            output.WriteLine(s.Format());

            Assert.Equal(RecordingEnding.Truncated, s.Ending);
            Assert.Equal(500ul, s.FinalIcount);
            Assert.Contains("TRUNCATED: recording ends after 5 complete records at icount 500 without an end record (the recorder was probably killed)", s.Format());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Summary_of_a_damaged_recording_points_at_the_bad_record()
    {
        string path = WriteTemp(w =>
        {
            w.WriteInput(100, InputChannel.Serial0, "x"u8);
            w.WriteInput(200, InputChannel.Serial0, "y"u8);
            w.WriteEnd(300, "quit");
        });
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            bytes[^3] ^= 0x01; // inside the end record's text
            File.WriteAllBytes(path, bytes);
            var s = RecordingSummary.Read(path);
            output.WriteLine(s.Format());

            Assert.Equal(RecordingEnding.Corrupt, s.Ending);
            Assert.Equal(200ul, s.FinalIcount);
            Assert.Matches(@"CORRUPT: record 3 at byte offset \d+ is corrupt \(checksum mismatch\); 2 good records up to icount 200", s.Format());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
