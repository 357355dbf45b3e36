using System.Buffers.Binary;
using System.Text;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Replay.Tests.Log;

/// <summary>Format 4's Output records: console output stamped with counts, and readers of older formats unchanged.</summary>
public class OutputRecordTests
{
    private static byte[] WithOutput()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, LogTestData.Header(), leaveOpen: true))
        {
            w.WriteInput(100, InputChannel.Serial0, "x"u8);
            w.WriteOutput(150, 150, "hello\n"u8);
            w.WriteDigest(200, LogTestData.Hash(1));
            // Written later than its last byte (an unfinished line flushed at the end): both counts kept.
            w.WriteOutput(400, 320, "bye"u8);
            w.WriteEnd(400, "quit");
        }
        return ms.ToArray();
    }

    [Fact]
    public void An_output_record_keeps_its_bytes_and_the_count_of_its_last_byte()
    {
        using var reader = new ReplayLogReader(new MemoryStream(WithOutput()));
        Assert.Equal(RecordingHeader.CurrentVersion, reader.Header.Version);
        var output = new List<LogRecord>();
        while (reader.TryReadNext(out var r))
            if (r.Kind == RecordKind.Output) output.Add(r);
        Assert.True(reader.EndedCleanly, reader.Corruption ?? reader.Truncation);
        Assert.Equal(2, output.Count);
        Assert.Equal((150UL, 150UL, "hello\n"), (output[0].Icount, output[0].Value, Encoding.ASCII.GetString(output[0].Data.Span)));
        Assert.Equal((400UL, 320UL, "bye"), (output[1].Icount, output[1].Value, Encoding.ASCII.GetString(output[1].Data.Span)));
    }

    [Fact]
    public void A_replay_ignores_output_records_and_offers_them_as_console_lines()
    {
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(WithOutput())));
        Assert.Equal(100UL, replay.NextDueIcount);
        Assert.True(replay.Console.FromRecording);
        Assert.Equal([new ConsoleLine(150, "hello"), new ConsoleLine(320, "bye")], replay.Console.Lines);
    }

    [Fact]
    public void A_format_3_file_with_an_output_record_is_corrupt_there()
    {
        // An older format has no kind 8: claiming version 3 makes that record unknown, as a version-3 reader finds it.
        byte[] file = Relabel(WithOutput(), 3);
        using var reader = new ReplayLogReader(new MemoryStream(file));
        while (reader.TryReadNext(out _)) { }
        Assert.Contains("unknown record kind 0x08", reader.Corruption);
    }

    [Fact]
    public void Recordings_of_older_formats_read_as_before_with_no_console_output()
    {
        var replay = ReplayInput.Open(Path.Combine(RepoPaths.Root, "tests", "Rewind.Replay.Tests", "Data", "v1", "bench.rr"));
        Assert.False(replay.Console.FromRecording);
        Assert.Empty(replay.Console.Lines);
    }

    [Fact]
    public void A_recorder_writes_one_output_record_per_line_at_the_newline_count()
    {
        var ms = new MemoryStream();
        using (var rec = new RecordingInput(new ReplayLogWriter(ms, LogTestData.Header(), leaveOpen: true)))
        {
            ulong ic = 10;
            foreach (byte b in "ab\ncd"u8) rec.NoteOutput(ic++, b);
            rec.Finish(50, "quit");
        }
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(ms.ToArray())));
        Assert.Equal([new ConsoleLine(12, "ab"), new ConsoleLine(14, "cd")], replay.Console.Lines);
    }
    /// <summary>
    /// The file as if written in an older format <paramref name="version"/> (≥ 3, chained CRCs): the
    /// version is changed and every CRC recomputed, the header's without the preamble as before version 5.
    /// </summary>
    private static byte[] Relabel(byte[] file, ushort version)
    {
        byte[] f = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(8), version);
        int pos = 12;
        uint? previous = null;
        while (pos < f.Length)
        {
            int start = pos++;
            ulong length = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = f[pos++];
                length |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) break;
            }
            pos += (int)length;
            uint seed = previous is uint p ? ReplayLogWriter.ChainSeed(p) : ~0u;
            uint crc = ~Crc32C.Update(seed, f.AsSpan(start, pos - start));
            BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(pos), crc);
            previous = crc;
            pos += 4;
        }
        return f;
    }
}
