using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Replay.Tests.Recording;

/// <summary>
/// Record and replay of real guests through the library API: a VirtBoard with a RecordingInput, input
/// injected at chosen instruction counts (standing in for host delays), then replays of the log.
/// </summary>
public class RecordReplayApiTests
{
    private sealed class Collect : ISerialBackend
    {
        private readonly MemoryStream _bytes = new();
        public void Write(byte b) => _bytes.WriteByte(b);
        public byte[] Bytes => _bytes.ToArray();
        public string Text => Encoding.Latin1.GetString(Bytes);
    }

    internal sealed record Run(string Output, byte[] Digest, ulong Icount, StopKind Stop, int ExitCode, int DigestsChecked);

    private const ulong Fuel = 1_000_000_000; // no guest here needs more than ~300 M instructions

    private static RecordingHeader HeaderFor(string kernel) => new(
        [new("machine", "virt"), new("ram", "134217728"), new("smp", "1"), new("icount_shift", "3"),
         new("bios", "none"), new("kernel", kernel), new("append", "")],
        [ImageHash.Of("kernel", kernel)]);

    /// <summary>Records <paramref name="kernel"/>, delivering input[k] once the machine reaches at[k] instructions.</summary>
    internal static (byte[] Recording, Run Result) Record(string kernel, ulong[] at, byte[] input, ulong clockNs = 1_700_000_000_123_456_789, bool jit = true)
    {
        var ms = new MemoryStream();
        var writer = new ReplayLogWriter(ms, HeaderFor(kernel), leaveOpen: true);
        var rec = new RecordingInput(writer, () => clockNs);
        var serial = new Collect();
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Serial = serial, Input = rec, Jit = jit });
        var machine = board.Machine;
        rec.Machine = machine;
        int next = 0;
        MachineStop stop;
        while (true)
        {
            ulong limit = next < at.Length ? at[next] : Fuel;
            stop = machine.Run(limit);
            if (stop.Kind == StopKind.Reached && next < at.Length && machine.Icount >= at[next])
            {
                rec.Enqueue(InputChannel.Serial0, [input[next]]);
                next++;
                continue;
            }
            if (stop.Kind == StopKind.Reached && machine.Icount < Fuel) continue;
            break;
        }
        Assert.True(stop.Kind == StopKind.Exited, $"recording stopped with {stop.Kind} at {machine.Icount}: {serial.Text}");
        Assert.Equal(at.Length, next);
        rec.Finish(machine.Icount, stop.ExitCode == 0 ? "poweroff" : $"exit {stop.ExitCode}");
        var digest = MachineDigest.Compute(machine);
        rec.Dispose();
        return (ms.ToArray(), new Run(serial.Text, digest, machine.Icount, stop.Kind, stop.ExitCode, 0));
    }

    internal static Run Replay(string kernel, byte[] recording, bool jit = true)
    {
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording)));
        var serial = new Collect();
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Serial = serial, Input = replay, Jit = jit });
        replay.Machine = board.Machine;
        MachineStop stop;
        do stop = board.Machine.Run(Fuel);
        while (stop.Kind == StopKind.Reached && board.Machine.Icount < Fuel);
        return new Run(serial.Text, MachineDigest.Compute(board.Machine), board.Machine.Icount, stop.Kind, stop.ExitCode, replay.DigestsChecked);
    }

    public static TheoryData<ulong[]> Schedules => new()
    {
        new ulong[] { 2_000_000, 5_000_000, 9_000_000 },
        new ulong[] { 500_000, 40_000_000, 40_000_100 },
        new ulong[] { 30_000_000, 30_500_000, 90_000_000 },
    };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Input_timing_replays_twice_to_identical_output_digest_and_icount(ulong[] at)
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, recorded) = Record(kernel, at, "xyz"u8.ToArray());
        Assert.Contains("byte x code 120", recorded.Output);
        Assert.Contains("byte z code 122", recorded.Output);
        Assert.Contains("rtc start ns 1700000000123456789", recorded.Output);

        var first = Replay(kernel, recording);
        var second = Replay(kernel, recording);
        foreach (var r in new[] { first, second })
        {
            Assert.Equal(recorded.Output, r.Output);
            Assert.Equal(recorded.Icount, r.Icount);
            Assert.Equal(Convert.ToHexString(recorded.Digest), Convert.ToHexString(r.Digest));
            Assert.Equal((int)(recorded.Icount / RecordingInput.DigestInterval), r.DigestsChecked);
        }
        Assert.Equal(first.Output, second.Output);
    }

    [Fact]
    public void Different_input_timing_gives_different_output_so_the_log_really_carries_the_timing()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var a = Record(kernel, [2_000_000, 5_000_000, 9_000_000], "abc"u8.ToArray());
        var b = Record(kernel, [3_000_000, 5_000_000, 9_000_000], "abc"u8.ToArray());
        Assert.NotEqual(a.Result.Output, b.Result.Output);
        Assert.Equal(a.Result.Output, Replay(kernel, a.Recording).Output);
        Assert.Equal(b.Result.Output, Replay(kernel, b.Recording).Output);
    }

    [Fact]
    public void The_recording_holds_the_inputs_at_their_counts_a_clock_read_digests_and_an_end()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, result) = Record(kernel, [2_000_000, 5_000_000, 9_000_000], "abc"u8.ToArray());
        using var reader = new ReplayLogReader(new MemoryStream(recording));
        var records = new List<LogRecord>();
        while (reader.TryReadNext(out var r)) records.Add(r);
        Assert.True(reader.EndedCleanly, reader.Truncation ?? reader.Corruption);
        var inputs = records.Where(r => r.Kind == RecordKind.InputEvent).ToList();
        Assert.Equal(3, inputs.Count);
        Assert.Equal("abc", string.Concat(inputs.Select(r => (char)r.Data.Span[0])));
        Assert.All(inputs, r => Assert.Equal(InputChannel.Serial0, r.Channel));
        Assert.Equal([2_000_000UL, 5_000_000UL, 9_000_000UL], inputs.Select(r => r.Icount));
        Assert.Single(records, r => r.Kind == RecordKind.ClockRead);
        Assert.Equal(result.Icount / RecordingInput.DigestInterval, (ulong)records.Count(r => r.Kind == RecordKind.Digest));
        Assert.Equal(RecordKind.End, records[^1].Kind);
        Assert.Equal(result.Icount, records[^1].Icount);
        Assert.Equal("poweroff", records[^1].Text);
    }

    [Fact]
    public void Hello_with_no_input_records_and_replays()
    {
        string kernel = RepoPaths.Guest("hello");
        var (recording, recorded) = Record(kernel, [], []);
        Assert.Equal("Hello from Rewind guest\n", recorded.Output);
        var r = Replay(kernel, recording);
        Assert.Equal(recorded.Output, r.Output);
        Assert.Equal(recorded.Icount, r.Icount);
        Assert.Equal(recorded.Digest, r.Digest);
    }

    /// <summary>Copies a recording record by record, letting <paramref name="edit"/> change input bytes.</summary>
    internal static byte[] Rewrite(byte[] recording, Func<int, LogRecord, byte[]?> edit)
    {
        using var reader = new ReplayLogReader(new MemoryStream(recording));
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, reader.Header, leaveOpen: true))
        {
            int inputNo = 0;
            while (reader.TryReadNext(out var r))
            {
                switch (r.Kind)
                {
                    case RecordKind.InputEvent:
                        w.WriteInput(r.Icount, r.Channel, edit(inputNo++, r) ?? r.Data.ToArray());
                        break;
                    case RecordKind.ClockRead: w.WriteClockRead(r.Icount, r.Value); break;
                    case RecordKind.Digest: w.WriteDigest(r.Icount, r.Data.Span); break;
                    case RecordKind.Snapshot: w.WriteSnapshot(r.Icount, r.Name!, r.Data.Span); break;
                    case RecordKind.Monitor: w.WriteMonitor(r.Icount, r.Text!); break;
                    case RecordKind.End: w.WriteEnd(r.Icount, r.Text!); break;
                    case RecordKind.StateLayout: w.WriteStateLayout(r.Icount, r.Text!); break;
                }
            }
            Assert.True(reader.EndedCleanly);
        }
        return ms.ToArray();
    }

    [Fact]
    public void An_unchanged_rewrite_replays_identically()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, recorded) = Record(kernel, [2_000_000, 5_000_000, 9_000_000], "abc"u8.ToArray());
        byte[] copy = Rewrite(recording, (_, _) => null);
        Assert.Equal(recording, copy);
        Assert.Equal(recorded.Output, Replay(kernel, copy).Output);
    }

    [Fact]
    public void A_changed_input_byte_with_the_old_digests_is_caught_as_a_divergence()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, _) = Record(kernel, [20_000_000, 40_000_000, 60_000_000], "abc"u8.ToArray());
        // 0x01 prints as '.' with a one-digit code: a different path through the guest than 'a'.
        byte[] forged = Rewrite(recording, (n, _) => n == 0 ? [0x01] : null);
        var e = Assert.Throws<ReplayDivergenceException>(() => Replay(kernel, forged));
        Assert.StartsWith("replay diverged at instruction ", e.Message);
        Assert.True(e.Icount > 20_000_000 && e.Icount <= 20_000_000 + RecordingInput.DigestInterval, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_flipped_byte_inside_a_digest_payload_is_reported_as_corruption_by_the_reader()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, _) = Record(kernel, [20_000_000, 40_000_000, 60_000_000], "abc"u8.ToArray());
        LogRecord digest;
        using (var reader = new ReplayLogReader(new MemoryStream(recording)))
        {
            do Assert.True(reader.TryReadNext(out digest));
            while (digest.Kind != RecordKind.Digest);
        }
        byte[] damaged = (byte[])recording.Clone();
        // kind, length (1 byte), icount delta varint, digest length, digest: flip a byte near the digest's end.
        long at = digest.Offset + 1 + 1 + 40 - 5;
        damaged[at] ^= 0x40;
        using var r2 = new ReplayLogReader(new MemoryStream(damaged));
        var read = new List<LogRecord>();
        while (r2.TryReadNext(out var rec)) read.Add(rec);
        Assert.NotNull(r2.Corruption);
        Assert.Contains($"record {digest.Index} at byte offset {digest.Offset} is corrupt (checksum mismatch)", r2.Corruption);
        Assert.Equal(digest.Index - 1, read.Count);

        // Replaying it stops at the last good record with the problem named, without throwing.
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(damaged)));
        Assert.Equal(r2.Corruption, replay.Problem);
        Assert.False(replay.EndedCleanly);
        var run = ReplayWith(kernel, replay);
        Assert.Equal(StopKind.HistoryEnd, run.Stop);
        Assert.Equal(read[^1].Icount, run.Icount);
    }

    private static Run ReplayWith(string kernel, ReplayInput replay)
    {
        var serial = new Collect();
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Serial = serial, Input = replay });
        replay.Machine = board.Machine;
        MachineStop stop;
        do stop = board.Machine.Run(Fuel);
        while (stop.Kind == StopKind.Reached && board.Machine.Icount < Fuel);
        return new Run(serial.Text, MachineDigest.Compute(board.Machine), board.Machine.Icount, stop.Kind, stop.ExitCode, replay.DigestsChecked);
    }

    [Fact]
    public void A_truncated_recording_replays_the_output_up_to_its_last_complete_record()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, recorded) = Record(kernel, [2_000_000, 40_000_000, 90_000_000], "abc"u8.ToArray());
        for (int cut = recording.Length - 1; cut > recording.Length / 2; cut -= 37)
        {
            var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording[..cut])));
            Assert.NotNull(replay.Problem);
            Assert.False(replay.EndedCleanly);
            var run = ReplayWith(kernel, replay);
            Assert.Equal(StopKind.HistoryEnd, run.Stop);
            Assert.Equal(replay.EndIcount, run.Icount);
            Assert.True(recorded.Output.StartsWith(run.Output, StringComparison.Ordinal), $"cut {cut}: {run.Output}");
        }
    }
}
