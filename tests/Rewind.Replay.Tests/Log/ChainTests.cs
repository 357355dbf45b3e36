using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Replay.Tests.Log;

/// <summary>Format 3: each record's CRC chains the previous one's, so the records prove their order.</summary>
public class ChainTests
{
    /// <summary>The byte ranges of the records after the header, and the header's length.</summary>
    private static (long Header, List<(int Start, int End)> Records) Layout(byte[] file)
    {
        var (records, reader) = LogTestData.ReadAll(file);
        Assert.True(reader.EndedCleanly);
        var ranges = new List<(int, int)>();
        for (int i = 0; i < records.Count; i++)
            ranges.Add(((int)records[i].Offset, i + 1 < records.Count ? (int)records[i + 1].Offset : file.Length));
        return (records[0].Offset, ranges);
    }

    private static byte[] Splice(byte[] file, IEnumerable<(int Start, int End)> records, long header)
    {
        var ms = new MemoryStream();
        ms.Write(file, 0, (int)header);
        foreach (var (s, e) in records) ms.Write(file, s, e - s);
        return ms.ToArray();
    }

    private static void AssertNeverEndsCleanly(byte[] file, string what)
    {
        var (_, reader) = LogTestData.ReadAll(file);
        Assert.False(reader.EndedCleanly, what);
        Assert.True(reader.Corruption != null || reader.Truncation != null, what);
    }

    [Fact]
    public void The_writer_writes_format_version_5()
    {
        byte[] file = LogTestData.SmallRecording();
        Assert.Equal(5, file[8] | (file[9] << 8));
        using var reader = new ReplayLogReader(new MemoryStream(file));
        Assert.Equal(RecordingHeader.CurrentVersion, reader.Header.Version);
    }

    [Fact]
    public void Removing_any_record_is_reported_as_corruption_naming_its_offset()
    {
        byte[] file = LogTestData.SmallRecording();
        var (header, recs) = Layout(file);
        for (int i = 0; i < recs.Count; i++)
        {
            byte[] bad = Splice(file, recs.Where((_, j) => j != i), header);
            var (_, reader) = LogTestData.ReadAll(bad);
            Assert.False(reader.EndedCleanly, $"record {i + 1} removed");
            if (i < recs.Count - 1)
            {
                // The record that now follows the gap no longer chains.
                Assert.Equal($"record {i + 1} at byte offset {recs[i].Start} is corrupt (checksum mismatch)", reader.Corruption);
            }
            else
            {
                Assert.NotNull(reader.Truncation); // without its end record
            }
        }
    }

    [Fact]
    public void Duplicating_any_record_is_reported_as_corruption()
    {
        byte[] file = LogTestData.SmallRecording();
        var (header, recs) = Layout(file);
        for (int i = 0; i < recs.Count; i++)
        {
            var list = recs.ToList();
            list.Insert(i, recs[i]);
            AssertNeverEndsCleanly(Splice(file, list, header), $"record {i + 1} duplicated");
        }
    }

    [Fact]
    public void Swapping_any_two_records_is_reported_as_corruption()
    {
        byte[] file = LogTestData.SmallRecording();
        var (header, recs) = Layout(file);
        for (int i = 0; i < recs.Count; i++)
            for (int j = i + 1; j < recs.Count; j++)
            {
                var list = recs.ToList();
                (list[i], list[j]) = (list[j], list[i]);
                AssertNeverEndsCleanly(Splice(file, list, header), $"records {i + 1} and {j + 1} swapped");
            }
    }

    [Fact]
    public void Records_from_another_recording_do_not_chain_even_at_the_same_place()
    {
        byte[] a = LogTestData.SmallRecording();
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, LogTestData.Header(), leaveOpen: true))
        {
            w.WriteSnapshot(0, "init", [1, 2, 3, 4, 5]);
            w.WriteClockRead(10, 1_700_000_000_000_000_001); // differs here
            w.WriteInput(1000, InputChannel.Serial0, "ls\r"u8);
            w.WriteEnd(2000, "poweroff");
        }
        byte[] b = ms.ToArray();
        var (headerA, recsA) = Layout(a);
        var (_, recsB) = Layout(b);
        // A's first two records, then B's third (identical bytes apart from its CRC chain).
        var mixed = new MemoryStream();
        mixed.Write(a, 0, recsA[1].End);
        mixed.Write(b, recsB[2].Start, recsB[2].End - recsB[2].Start);
        var (got, reader) = LogTestData.ReadAll(mixed.ToArray());
        Assert.Equal(2, got.Count);
        Assert.Contains("checksum mismatch", reader.Corruption);
        Assert.True(headerA > 0);
    }

    [Fact]
    public void A_damaged_length_of_the_last_chained_record_still_counts_as_damage_before_an_intact_end_record()
    {
        byte[] file = LogTestData.SmallRecording();
        var (_, recs) = Layout(file);
        // The Power input before the end record: make its length claim more than is left.
        byte[] bad = (byte[])file.Clone();
        bad[recs[^2].Start + 1] = 0x7f;
        var (_, reader) = LogTestData.ReadAll(bad);
        Assert.Contains("runs past the end record", reader.Corruption);
    }

    [Fact]
    public void An_icount_that_would_go_back_by_wrapping_past_2_64_is_corruption_naming_the_offset()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, LogTestData.Header(), leaveOpen: true))
        {
            w.WriteInput(1000, InputChannel.Serial0, "a"u8);
            w.WriteInput(ulong.MaxValue, InputChannel.Serial0, "b"u8); // delta 2^64-1001
            w.WriteEnd(ulong.MaxValue, "quit");
        }
        byte[] file = ms.ToArray();
        var (recs, _) = LogTestData.ReadAll(file);
        // Rewrite the first record with delta 2000, so the second one's delta wraps: icount 999.
        byte[] forged = Forge(file, recs);
        var (got, reader) = LogTestData.ReadAll(forged);
        Assert.Single(got);
        Assert.Equal($"record 2 at byte offset {got[0].Offset + 10} is corrupt (malformed InputEvent record (its icount goes back: the delta wraps past 2^64 from 2000))", reader.Corruption);

        static byte[] Forge(byte[] file, List<LogRecord> recs)
        {
            using var reader = new ReplayLogReader(new MemoryStream(file));
            long header = recs[0].Offset;
            var ms = new MemoryStream();
            ms.Write(file, 0, (int)header);
            // kind, len 4, delta 2000 (d0 0f), channel, 'a', then a chained CRC.
            byte[] rec = [(byte)RecordKind.InputEvent, 4, 0xd0, 0x0f, (byte)InputChannel.Serial0, (byte)'a'];
            uint headerCrc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)header - 4));
            uint crc = Chain(headerCrc, rec);
            ms.Write(rec);
            ms.Write(BitConverter.GetBytes(crc));
            int second = (int)recs[1].Offset;
            int secondEnd = (int)recs[2].Offset;
            byte[] body = file[second..(secondEnd - 4)];
            ms.Write(body);
            ms.Write(BitConverter.GetBytes(Chain(crc, body)));
            return ms.ToArray();
        }
    }

    private static uint Chain(uint previous, byte[] record)
    {
        byte[] all = [.. BitConverter.GetBytes(previous), .. record];
        return Crc32C.Compute(all);
    }

    [Fact]
    public void The_documented_example_recording_has_the_documented_chained_checksums()
    {
        var header = new RecordingHeader(
            [new("machine", "virt"), new("ram", "134217728")],
            [new ImageHash("kernel", "hello.elf", System.Security.Cryptography.SHA256.HashData("hello"u8))]);
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, header, leaveOpen: true))
        {
            w.WriteInput(1000, InputChannel.Serial0, "a"u8);
            w.WriteClockRead(1200, 0x1797_9cfe_362a_0000);
            w.WriteEnd(5000, "poweroff");
        }
        byte[] file = ms.ToArray();
        Assert.Equal(0x8a, file.Length);
        Assert.Equal("a4e8d52e", Convert.ToHexStringLower(file.AsSpan(0x5c, 4)));
        Assert.Equal("2a4ccd66", Convert.ToHexStringLower(file.AsSpan(0x66, 4)));
        Assert.Equal("78d21215", Convert.ToHexStringLower(file.AsSpan(0x76, 4)));
        Assert.Equal("b02a3eae", Convert.ToHexStringLower(file.AsSpan(0x86, 4)));
    }
}
