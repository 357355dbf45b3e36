using System.Buffers.Binary;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Replay.Tests.Log;

public class DamageTests
{
    /// <summary>Where the first record starts: everything before is the header.</summary>
    private static long HeaderLength(byte[] file)
    {
        using var reader = new ReplayLogReader(new MemoryStream(file));
        return reader.Position;
    }

    [Fact]
    public void Truncation_at_every_byte_stops_cleanly_with_the_complete_records_before_it()
    {
        byte[] full = LogTestData.SmallRecording();
        var (allRecords, _) = LogTestData.ReadAll(full);
        long headerLength = HeaderLength(full);

        foreach (bool seekable in new[] { true, false })
        {
            for (int cut = 0; cut < full.Length; cut++)
            {
                byte[] part = full[..cut];
                Stream stream = seekable ? new MemoryStream(part) : new LogTestData.NonSeekableStream(part);
                if (cut < headerLength)
                {
                    var e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(stream));
                    Assert.DoesNotContain('\n', e.Message);
                    continue;
                }
                using var reader = new ReplayLogReader(stream);
                var got = new List<LogRecord>();
                while (reader.TryReadNext(out var r))
                    got.Add(r);

                // Exactly the records that end at or before the cut.
                int expected = allRecords.Count(r => RecordEnd(allRecords, r, full.Length) <= cut);
                Assert.Equal(expected, got.Count);
                Assert.Equal(allRecords.Take(expected).Select(r => (r.Kind, r.Icount)), got.Select(r => (r.Kind, r.Icount)));
                Assert.Null(reader.Corruption);
                Assert.False(reader.EndedCleanly);
                Assert.StartsWith($"recording ends after {expected} complete records at icount {(expected == 0 ? 0 : got[^1].Icount)} without an end record", reader.Truncation);
                Assert.False(reader.TryReadNext(out _));
            }
        }
    }

    private static long RecordEnd(List<LogRecord> all, LogRecord r, long fileLength)
    {
        int i = all.FindIndex(x => x.Index == r.Index);
        return i + 1 < all.Count ? all[i + 1].Offset : fileLength;
    }

    [Fact]
    public void A_flipped_bit_anywhere_is_reported_and_never_throws_anything_else()
    {
        byte[] full = LogTestData.SmallRecording();
        long headerLength = HeaderLength(full);
        int reportedAsCorrupt = 0, headerErrors = 0, truncations = 0;

        for (int bit = 0; bit < full.Length * 8; bit++)
        {
            byte[] damaged = (byte[])full.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            ReplayLogReader reader;
            try
            {
                reader = new ReplayLogReader(new MemoryStream(damaged));
            }
            catch (RecordingFormatException e)
            {
                Assert.True(bit / 8 < headerLength, $"bit {bit} after the header threw: {e.Message}");
                Assert.DoesNotContain('\n', e.Message);
                headerErrors++;
                continue;
            }
            using (reader)
            {
                int n = 0;
                while (reader.TryReadNext(out _))
                    Assert.True(++n <= LogTestData.SmallRecordingRecords, "more records than were written");

                // CRC-32C catches every single-bit error: a damaged file never reads as complete and clean.
                Assert.False(reader.EndedCleanly, $"bit {bit} went unnoticed");
                Assert.True(reader.Corruption is not null || reader.Truncation is not null);
                if (reader.Corruption is not null)
                {
                    Assert.Matches(@"^record \d+ at byte offset \d+ is corrupt \(.+\)$|^unexpected data after the end record", reader.Corruption);
                    reportedAsCorrupt++;
                }
                else
                {
                    truncations++; // a length byte made larger, so the record seems to run past the end
                }
            }
        }
        Assert.True(headerErrors > 0 && reportedAsCorrupt > 0);
        Assert.True(truncations < reportedAsCorrupt / 10, $"{truncations} truncations vs {reportedAsCorrupt} corruptions");
    }

    [Fact]
    public void Checksum_mismatch_names_the_record_and_its_byte_offset()
    {
        byte[] file = LogTestData.SmallRecording();
        var (records, _) = LogTestData.ReadAll(file);
        var third = records[2]; // the "ls\r" input
        file[third.Offset + 4] ^= 0x20; // inside its payload

        var (got, reader) = LogTestData.ReadAll(file);
        Assert.Equal(2, got.Count);
        Assert.Equal($"record 3 at byte offset {third.Offset} is corrupt (checksum mismatch)", reader.Corruption);
        Assert.Null(reader.Truncation);
    }

    [Fact]
    public void A_length_grown_past_an_intact_end_record_is_corruption_not_a_killed_recorder()
    {
        byte[] file = LogTestData.SmallRecording();
        var (records, _) = LogTestData.ReadAll(file);
        var first = records[0];
        Assert.True(file[first.Offset + 1] < 0x80 && file.Length - first.Offset < 0x4000, "layout this test relies on");
        // A two-byte varint length of 0x3fff: longer than the rest of the file.
        var damaged = new List<byte>(file);
        damaged[(int)first.Offset + 1] = 0xff;
        damaged.Insert((int)first.Offset + 2, 0x7f);
        file = [.. damaged];

        var (got, reader) = LogTestData.ReadAll(file);
        Assert.Empty(got);
        Assert.Null(reader.Truncation);
        Assert.StartsWith($"record 1 at byte offset {first.Offset} is corrupt (its length ", reader.Corruption);

        // Without the end record the same bytes look like (and may be) a recorder killed mid-write.
        var end = records[^1];
        Assert.Equal(RecordKind.End, end.Kind);
        var (_, cut) = LogTestData.ReadAll(file[..(int)(end.Offset + 1)]);
        Assert.Null(cut.Corruption);
        Assert.NotNull(cut.Truncation);
    }

    [Fact]
    public void A_corrupt_huge_length_does_not_allocate_it()
    {
        // Kind byte + a 5-byte varint claiming 1 GiB - 1 ... on a stream that hides its length.
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
            w.WriteClockRead(1, 2);
        ms.Write([(byte)RecordKind.InputEvent, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 1, 1, 1]);
        byte[] file = ms.ToArray();

        long before = GC.GetAllocatedBytesForCurrentThread();
        using var reader = new ReplayLogReader(new LogTestData.NonSeekableStream(file));
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotNull(reader.Truncation);
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_length_beyond_the_format_limit_is_corruption()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
            w.WriteClockRead(1, 2);
        long offset = ms.Length;
        ms.Write([(byte)RecordKind.InputEvent, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
        var (records, reader) = LogTestData.ReadAll(ms.ToArray());
        Assert.Single(records);
        Assert.StartsWith($"record 2 at byte offset {offset} is corrupt (impossible length", reader.Corruption);
    }

    [Fact]
    public void Garbage_after_the_end_record_is_reported()
    {
        byte[] file = [.. LogTestData.SmallRecording(), 0x42];
        var (records, reader) = LogTestData.ReadAll(file);
        Assert.Equal(LogTestData.SmallRecordingRecords, records.Count);
        Assert.True(reader.EndReached);
        Assert.False(reader.EndedCleanly);
        Assert.StartsWith("unexpected data after the end record", reader.Corruption);
    }

    [Fact]
    public void Random_garbage_after_the_header_never_throws_or_loops()
    {
        var ms = new MemoryStream();
        using (new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true)) { }
        byte[] header = ms.ToArray();
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var junk = new byte[rng.Next(0, 200)];
            rng.NextBytes(junk);
            var (_, reader) = LogTestData.ReadAll([.. header, .. junk]);
            Assert.True(reader.Corruption is not null || reader.Truncation is not null);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_recording_is_refused_with_one_line()
    {
        var e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(new MemoryStream([0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
        Assert.Equal("not a Rewind recording (bad magic: expected \"REWINDRR\")", e.Message);

        e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(new MemoryStream([])));
        Assert.Equal("not a Rewind recording (the file is empty)", e.Message);
    }

    [Fact]
    public void A_newer_format_version_is_refused_naming_both_versions()
    {
        byte[] file = LogTestData.SmallRecording();
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), 6);
        var e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(new MemoryStream(file)));
        Assert.Equal("unsupported recording format version 6 (this build reads versions 1 to 5)", e.Message);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), 0);
        e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(new MemoryStream(file)));
        Assert.Equal("unsupported recording format version 0 (this build reads versions 1 to 5)", e.Message);
    }

    [Fact]
    public void Unknown_flags_are_refused()
    {
        byte[] file = LogTestData.SmallRecording();
        file[10] = 0x04;
        var e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(new MemoryStream(file)));
        Assert.Equal("unsupported recording flags 0x0004 (this build knows none)", e.Message);
    }

    [Fact]
    public void A_damaged_header_is_refused_as_corrupt()
    {
        byte[] file = LogTestData.SmallRecording();
        file[20] ^= 1;
        var e = Assert.Throws<RecordingFormatException>(() => new ReplayLogReader(new MemoryStream(file)));
        Assert.StartsWith("corrupt recording header (", e.Message);
    }

    [Fact]
    public void Opening_by_path_names_the_file_in_header_errors()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "hello, world");
            var e = Assert.Throws<RecordingFormatException>(() => ReplayLogReader.Open(path));
            Assert.Equal($"{path}: not a Rewind recording (bad magic: expected \"REWINDRR\")", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unknown_record_kind_with_a_valid_checksum_is_corruption_not_an_exception()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, new RecordingHeader(), leaveOpen: true))
            w.WriteInput(3, InputChannel.Serial0, [9]);
        long offset = ms.Length;
        byte[] rec = [0x7E, 1, 0];
        // Format 3: the CRC chains the previous record's, the file's last 4 bytes.
        uint previous = BinaryPrimitives.ReadUInt32LittleEndian(ms.GetBuffer().AsSpan((int)offset - 4, 4));
        uint crc = ~Crc32C.Update(ReplayLogWriter.ChainSeed(previous), rec);
        ms.Write(rec);
        Span<byte> c = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(c, crc);
        ms.Write(c);
        var (records, reader) = LogTestData.ReadAll(ms.ToArray());
        Assert.Single(records);
        Assert.Equal($"record 2 at byte offset {offset} is corrupt (unknown record kind 0x7e)", reader.Corruption);
    }
}
