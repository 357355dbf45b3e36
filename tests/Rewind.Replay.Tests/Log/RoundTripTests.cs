using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Replay.Tests.Log;

public class RoundTripTests
{
    [Fact]
    public void Every_record_kind_reads_back_as_written()
    {
        var (records, reader) = LogTestData.ReadAll(LogTestData.SmallRecording());

        Assert.True(reader.EndedCleanly);
        Assert.Null(reader.Truncation);
        Assert.Null(reader.Corruption);
        Assert.Equal("poweroff", reader.EndReason);
        Assert.Equal(LogTestData.SmallRecordingRecords, records.Count);

        Assert.Equal(RecordKind.Snapshot, records[0].Kind);
        Assert.Equal(0ul, records[0].Icount);
        Assert.Equal("init", records[0].Name);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, records[0].Data.ToArray());

        Assert.Equal(RecordKind.ClockRead, records[1].Kind);
        Assert.Equal(10ul, records[1].Icount);
        Assert.Equal(1_700_000_000_000_000_000ul, records[1].Value);

        Assert.Equal(RecordKind.InputEvent, records[2].Kind);
        Assert.Equal(1000ul, records[2].Icount);
        Assert.Equal(InputChannel.Serial0, records[2].Channel);
        Assert.Equal("ls\r"u8.ToArray(), records[2].Data.ToArray());

        Assert.Equal(RecordKind.Digest, records[3].Kind);
        Assert.Equal(5000ul, records[3].Icount);
        Assert.Equal(LogTestData.Hash(9), records[3].Data.ToArray());

        Assert.Equal(RecordKind.Monitor, records[4].Kind);
        Assert.Equal(6000ul, records[4].Icount);
        Assert.Equal("info registers", records[4].Text);

        Assert.Equal(RecordKind.InputEvent, records[5].Kind);
        Assert.Equal(InputChannel.Power, records[5].Channel);
        Assert.Equal(7000ul, records[5].Icount);

        Assert.Equal(RecordKind.End, records[6].Kind);
        Assert.Equal(7001ul, records[6].Icount);
        Assert.Equal("poweroff", records[6].Text);

        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), records.Select(r => r.Index));
        Assert.False(reader.TryReadNext(out _));
    }

    [Fact]
    public void Header_reads_back_with_configuration_order_and_image_hashes()
    {
        using var reader = new ReplayLogReader(new MemoryStream(LogTestData.SmallRecording()));
        var expected = LogTestData.Header();

        Assert.Equal(RecordingHeader.CurrentVersion, reader.Header.Version);
        Assert.Equal(expected.Config.Keys, reader.Header.Config.Keys);
        Assert.Equal(expected.Config.Values, reader.Header.Config.Values);
        Assert.Equal(expected.Images, reader.Header.Images);
        Assert.Equal(expected, reader.Header);
        Assert.Empty(expected.Differences(reader.Header));
    }

    [Fact]
    public void Icounts_survive_big_jumps_and_repeats()
    {
        ulong[] icounts = [0, 0, 1, 127, 128, 16_383, 16_384, 1ul << 32, (1ul << 32) + 1, 1ul << 62, ulong.MaxValue - 1, ulong.MaxValue];
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
        {
            foreach (ulong ic in icounts)
                w.WriteInput(ic, InputChannel.Serial0, [(byte)ic]);
            w.WriteEnd(ulong.MaxValue, "quit");
        }
        var (records, reader) = LogTestData.ReadAll(ms.ToArray());

        Assert.True(reader.EndedCleanly);
        Assert.Equal([.. icounts, ulong.MaxValue], records.Select(r => r.Icount));
        Assert.Equal(icounts.Select(ic => (byte)ic), records.Take(icounts.Length).Select(r => r.Data.Span[0]));
    }

    [Fact]
    public void Writer_refuses_icounts_that_go_backwards()
    {
        using var w = new ReplayLogWriter(new MemoryStream(), new RecordingHeader());
        w.WriteClockRead(100, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => w.WriteInput(99, InputChannel.Serial0, [1]));
    }

    [Fact]
    public void Writer_refuses_records_after_the_end()
    {
        using var w = new ReplayLogWriter(new MemoryStream(), new RecordingHeader());
        w.WriteEnd(5, "quit");
        Assert.Throws<InvalidOperationException>(() => w.WriteMonitor(6, "cont"));
    }

    [Fact]
    public void Eight_byte_and_sha256_digests_both_keep_their_length()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
        {
            w.WriteDigest(1, [1, 2, 3, 4, 5, 6, 7, 8]);
            w.WriteDigest(2, LogTestData.Hash(3));
        }
        var (records, _) = LogTestData.ReadAll(ms.ToArray());
        Assert.Equal(8, records[0].Data.Length);
        Assert.Equal(32, records[1].Data.Length);
    }

    [Fact]
    public void Large_snapshot_payload_round_trips_and_can_be_skipped()
    {
        var payload = new byte[3 * 1024 * 1024 + 17];
        new Random(42).NextBytes(payload);
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
        {
            w.WriteSnapshot(0, "init", payload);
            w.WriteSnapshot(123_456, "auto-1", payload.AsSpan(0, 20_000));
            w.WriteEnd(200_000, "exit 3");
        }
        byte[] file = ms.ToArray();

        var (records, reader) = LogTestData.ReadAll(file);
        Assert.True(reader.EndedCleanly);
        Assert.Equal(payload, records[0].Data.ToArray());
        Assert.Equal(payload.AsSpan(0, 20_000).ToArray(), records[1].Data.ToArray());
        Assert.Equal("auto-1", records[1].Name);

        using var skipping = new ReplayLogReader(new MemoryStream(file), loadSnapshotPayloads: false);
        Assert.True(skipping.TryReadNext(out var first));
        Assert.Equal("init", first.Name);
        Assert.Equal(payload.Length, first.DataLength);
        Assert.True(first.Data.IsEmpty);
        Assert.True(skipping.TryReadNext(out _));
        Assert.True(skipping.TryReadNext(out var end));
        Assert.Equal("exit 3", end.Text);
        Assert.True(skipping.EndedCleanly);
    }

    [Fact]
    public void Non_seekable_stream_reads_the_same_records()
    {
        byte[] file = LogTestData.SmallRecording();
        using var reader = new ReplayLogReader(new LogTestData.NonSeekableStream(file));
        int n = 0;
        while (reader.TryReadNext(out _))
            n++;
        Assert.Equal(LogTestData.SmallRecordingRecords, n);
        Assert.True(reader.EndedCleanly);
    }

    [Fact]
    public void Records_become_visible_to_a_reader_after_64_writes_without_an_explicit_flush()
    {
        string path = Path.GetTempFileName();
        try
        {
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 20);
            using var w = new ReplayLogWriter(file, new RecordingHeader());
            for (int i = 0; i < ReplayLogWriter.FlushEveryRecords; i++)
                w.WriteInput((ulong)i * 10, InputChannel.Serial0, [(byte)'a']);

            using var reader = new ReplayLogReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            int n = 0;
            while (reader.TryReadNext(out _))
                n++;
            Assert.Equal(ReplayLogWriter.FlushEveryRecords, n);
            Assert.NotNull(reader.Truncation);
            Assert.Contains("without an end record", reader.Truncation);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Explicit_flush_makes_a_single_record_visible()
    {
        string path = Path.GetTempFileName();
        try
        {
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 20);
            using var w = new ReplayLogWriter(file, new RecordingHeader());
            w.WriteInput(42, InputChannel.Serial0, "x"u8);
            w.Flush();

            using var reader = ReplayLogReader.Open(path);
            Assert.True(reader.TryReadNext(out var r));
            Assert.Equal(42ul, r.Icount);
            Assert.False(reader.TryReadNext(out _));
            Assert.Equal(
                "recording ends after 1 complete records at icount 42 without an end record (the recorder was probably killed)",
                reader.Truncation);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Concurrent_timer_flushes_do_not_damage_the_recording()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
        {
            bool stop = false;
            var timer = new Thread(() =>
            {
                while (!Volatile.Read(ref stop))
                    w.Flush();
            });
            timer.Start();
            for (int i = 0; i < 20_000; i++)
                w.WriteInput((ulong)i, InputChannel.Serial0, [(byte)i]);
            Volatile.Write(ref stop, true);
            timer.Join();
            w.WriteEnd(20_000, "quit");
        }
        var (records, reader) = LogTestData.ReadAll(ms.ToArray());
        Assert.True(reader.EndedCleanly);
        Assert.Equal(20_001, records.Count);
    }
}
