using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Session;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// Real recordings of uart_echo (typed bytes, a state digest, a power-off; one also with an
/// rrsnapshot start snapshot), made and replayed through the same <see cref="MachineAssembly"/> and
/// <see cref="MachineRunner"/> that ./rewind uses, then damaged: bit flips, byte overwrites,
/// truncation, records removed, duplicated, swapped and moved, and crafted fields with their
/// checksums made right (lengths, icount deltas, varints, the snapshot's state length). Each must
/// give a clean one-line error or replay exactly as the original does; a damaged recording that
/// replays to another end, console or state is a wrong acceptance.
/// </summary>
[Collection(FuzzAreas.Name)]
public sealed class RecordingFuzzTests(ITestOutputHelper output)
{
    private const string Area = "recordings";
    private const string SnapshotName = "init";

    private sealed class Collect : ISerialBackend
    {
        private readonly MemoryStream _bytes = new();
        public void Write(byte b) => _bytes.WriteByte(b);
        public string Text => Encoding.Latin1.GetString(_bytes.ToArray());
    }

    /// <summary>A replay's end as the user sees it: status, console, count and state.</summary>
    internal readonly record struct Ending(int Status, string Console, ulong Icount, string State);

    internal sealed class Original(byte[] file, string? snapshot, Ending ending)
    {
        public byte[] File { get; } = file;
        public string? Snapshot { get; } = snapshot;
        public Ending Ending { get; } = ending;
    }

    private static readonly Lazy<Original> Plain = new(() => Make(snapshot: null, digest: false));

    /// <summary>uart_echo recorded typing "hi!" and a newline and "q": what the other areas replay.</summary>
    internal static byte[] PlainRecording => Plain.Value.File;
    private static readonly Lazy<Original> WithSnapshot = new(() => Make(snapshot: SnapshotName, digest: false));
    private static readonly Lazy<Original> WithDigest = new(() => Make(snapshot: null, digest: true));

    private static BoardOptions Board(ISerialBackend serial) =>
        new() { Bios = "none", Kernel = RepoPaths.Guest("uart_echo"), IcountShift = 3, Serial = serial };

    /// <summary>
    /// Typed while recording: bytes and the counts at which they reach the guest; 'q' ends it, after a
    /// state digest (2^24 instructions) in the long one, in about 2 M instructions in the others.
    /// </summary>
    private static (ulong At, byte Byte)[] Typing(bool digest) =>
        [(300_000, (byte)'h'), (420_000, (byte)'i'), (420_000, (byte)'!'), (2_000_000, (byte)'\n'), (digest ? RecordingInput.DigestInterval + 50_000 : 2_100_000, (byte)'q')];

    private static Original Make(string? snapshot, bool digest)
    {
        string dir = Directory.CreateTempSubdirectory("rewind-fuzz-rec-").FullName;
        string path = Path.Combine(dir, "echo.rr");
        try
        {
            using (var assembly = MachineAssembly.Create(new MachineSetup
            {
                Board = Board(new NullSerialBackend()),
                Mode = RunMode.Record,
                RecordFile = path,
                RecordSnapshot = snapshot,
            }, () => { }, TextWriter.Null))
            {
                foreach (var (at, b) in Typing(digest))
                {
                    while (assembly.Machine.Icount < at)
                        Assert.Equal(StopKind.Reached, assembly.Machine.Run(at).Kind);
                    assembly.Recorder!.Enqueue(InputChannel.Serial0, [b]);
                }
                Assert.Equal(0, assembly.Runner.RunAlone(() => false));
            }
            byte[] file = File.ReadAllBytes(path);
            var ending = Replay(file, snapshot, dir);
            Assert.Equal(0, ending.Status);
            Assert.Equal("echo ready\nhi!\nq", ending.Console);
            return new Original(file, snapshot, ending);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Replays <paramref name="file"/> as ./rewind -icount rr=replay does; exceptions are the caller's.</summary>
    internal static Ending Replay(byte[] file, string? snapshot, string dir)
    {
        string path = Path.Combine(dir, $"m{Environment.CurrentManagedThreadId}-{Guid.NewGuid():N}.rr");
        File.WriteAllBytes(path, file);
        try
        {
            var serial = new Collect();
            var log = new StringWriter();
            using var assembly = MachineAssembly.Create(new MachineSetup
            {
                Board = Board(serial),
                Mode = RunMode.Replay,
                RecordFile = path,
                RecordSnapshot = snapshot,
            }, () => { }, log);
            int status = assembly.Runner.RunAlone(() => false);
            if (status != 0 && !Bounded.IsOneLine(log.ToString().TrimEnd()))
                throw new InvalidOperationException($"status {status} without one line saying why: '{log}'");
            string state = Convert.ToHexString(SHA256.HashData(MachineDigest.Compute(assembly.Machine)));
            return new Ending(status, serial.Text, assembly.Machine.Icount, state);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Damaged_recordings_give_a_clean_error_or_replay_exactly()
    {
        var tally = new FuzzTally(Area, output);
        string dir = Directory.CreateTempSubdirectory("rewind-fuzz-rec-").FullName;
        try
        {
            // The long recording (with a digest) costs 8 times the others to replay: one input in 6.
            var originals = new[] { Plain.Value, Plain.Value, WithSnapshot.Value, WithSnapshot.Value, Plain.Value, WithDigest.Value };
            int inputs = FuzzBudget.Inputs(400);
            var deadline = DateTime.UtcNow + FuzzBudget.TimeLimit(25);
            for (int i = 0; FuzzBudget.More(i, inputs, deadline, minimum: 10); i++)
            {
                var rng = FuzzBudget.For(Area, FuzzBudget.Seed, i);
                var original = originals[rng.Next(originals.Length)];
                var (mutated, how) = Mutate(rng, original);
                var (outcome, detail) = Judge(original, mutated, dir);
                tally.Note(i, outcome, $"{how}{(original.Snapshot != null ? " (rrsnapshot)" : "")}: {detail}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        tally.Finish(minimumInputs: 10);
    }

    internal static (Outcome, string) Judge(Original original, byte[] mutated, string dir)
    {
        var r = Bounded.Run(() => Replay(mutated, original.Snapshot, dir));
        if (!r.Finished) return (Outcome.Hang, "the replay did not finish");
        switch (r.Error)
        {
            case null when r.Value.Status != 0:
                return (Outcome.CleanError, $"status {r.Value.Status}");
            case null when r.Value == original.Ending:
                return (Outcome.Accepted, "replays exactly");
            case null:
                return (Outcome.WrongAcceptance, $"replayed to {r.Value} instead of {original.Ending}");
            case SessionException or RecordingFormatException or ReplayDivergenceException when Bounded.IsOneLine(r.Error.Message):
                return (Outcome.CleanError, r.Error.Message);
            default:
                return (Outcome.Crash, $"{r.Error.GetType().Name}: {r.Error.Message}\n{r.Error.StackTrace}");
        }
    }

    internal static (byte[] File, string How) Mutate(Random rng, Original original)
    {
        byte[] file = original.File;
        var layout = new RecordingLayout(file);
        var records = layout.Records;
        int n = records.Count;
        // Records after the header (index 0).
        int Pick() => 1 + rng.Next(n - 1);
        switch (rng.Next(12))
        {
            case 0:
                {
                    byte[] m = (byte[])file.Clone();
                    int bit = rng.Next(m.Length * 8);
                    m[bit / 8] ^= (byte)(1 << (bit % 8));
                    return (m, $"bit {bit} flipped");
                }
            case 1:
                {
                    byte[] m = (byte[])file.Clone();
                    int at = rng.Next(m.Length);
                    int count = 1 + rng.Next(8);
                    for (int k = 0; k < count && at + k < m.Length; k++) m[at + k] = (byte)rng.Next(256);
                    return (m, $"{count} bytes overwritten at {at}");
                }
            case 2:
                {
                    int cut = rng.Next(file.Length);
                    return (file[..cut], $"truncated to {cut} bytes");
                }
            case 3:
                {
                    int k = Pick();
                    var (off, size) = layout.Spans[k];
                    return ([.. file[..off], .. file[(off + size)..]], $"record {k} removed");
                }
            case 4:
                {
                    int k = Pick();
                    var (off, size) = layout.Spans[k];
                    return ([.. file[..(off + size)], .. file.AsSpan(off, size), .. file[(off + size)..]], $"record {k} duplicated");
                }
            case 5:
                {
                    int a = Pick(), b = Pick();
                    if (a > b) (a, b) = (b, a);
                    if (a == b) b = Math.Min(n - 1, a + 1);
                    var spans = layout.Spans;
                    var order = Enumerable.Range(0, n).ToList();
                    (order[a], order[b]) = (order[b], order[a]);
                    return (Concat(file, spans, order), $"records {a} and {b} swapped");
                }
            case 6:
                {
                    int from = Pick(), to = Pick();
                    var order = Enumerable.Range(0, n).ToList();
                    order.RemoveAt(from);
                    order.Insert(to, from);
                    return (Concat(file, layout.Spans, order), $"record {from} moved to {to}");
                }
            case 7:
                {
                    // A crafted length field, every CRC right: the length is all that is wrong.
                    int k = rng.Next(n);
                    ulong[] lengths = [0, 1, 0x7fff_ffff, 0xffff_ffff, 1UL << 30, (1UL << 30) + 1, 1UL << 40, ulong.MaxValue,
                        (ulong)records[k].Payload.Length + 1, (ulong)Math.Max(0, records[k].Payload.Length - 1)];
                    ulong length = Mutator.Pick(rng, lengths);
                    return (RecordingLayout.Build(layout.PreambleBytes, records, (i, real) => i == k ? RecordingLayout.Varint(length) : RecordingLayout.Varint(real)),
                        $"record {k} length field {length}, CRCs made right");
                }
            case 8:
                {
                    // An overlong or unterminated varint in the length field.
                    int k = rng.Next(n);
                    return (RecordingLayout.Build(layout.PreambleBytes, records, (i, real) => i == k ? Overlong(real, rng) : RecordingLayout.Varint(real)),
                        $"record {k} length as an overlong varint, CRCs made right");
                }
            case 9:
                {
                    // A crafted icount delta that takes the count past 2^64, back below the previous record's.
                    // (A delta moved by a little is a different recording, as real as the original, and one
                    // that moves the rest of the recording centuries ahead replays for centuries: neither is tried.)
                    var absolute = new ulong[n];
                    for (int r = 1; r < n; r++)
                    {
                        RecordingLayout.ReadVarint(records[r].Payload, out ulong d);
                        absolute[r] = absolute[r - 1] + d;
                    }
                    var candidates = Enumerable.Range(2, n - 2).Where(r => absolute[r - 1] > 0).ToList();
                    if (candidates.Count == 0) return (file, "nothing changed");
                    int k = Mutator.Pick(rng, candidates);
                    var p = records[k].Payload;
                    int used = RecordingLayout.ReadVarint(p, out _);
                    ulong previous = absolute[k - 1];
                    ulong crafted = unchecked(0UL - previous + (ulong)rng.NextInt64(0, (long)Math.Min(previous, long.MaxValue)));
                    var copy = new List<RecordingLayout.Record>(records);
                    copy[k] = copy[k].WithPayload([.. RecordingLayout.Varint(crafted), .. p[used..]]);
                    return (RecordingLayout.Build(layout.PreambleBytes, copy), $"record {k} (kind {records[k].Kind}) icount delta {crafted}, CRCs made right");
                }
            case 10 when original.Snapshot != null:
                return CraftSnapshot(rng, layout);
            default:
                {
                    // A checked field changed, every CRC right: the header's configuration and image hashes, a
                    // digest, the state layout, the end reason, the snapshot's name, an input's channel. (A typed
                    // byte, a clock value or an icount changed by a little make another recording, as real as the
                    // original, which nothing can tell from it: those are not tried.)
                    int k = rng.Next(n);
                    var p = (byte[])records[k].Payload.Clone();
                    int first = k == 0 ? 0 : RecordingLayout.ReadVarint(p, out _);
                    int last = records[k].Kind switch
                    {
                        (byte)RecordKind.InputEvent => first + 1, // the channel byte only
                        (byte)RecordKind.ClockRead => first,
                        _ => p.Length,
                    };
                    if (last <= first) return (file, "nothing changed");
                    int at = first + rng.Next(last - first);
                    byte was = p[at];
                    p[at] = rng.Next(2) == 0 ? (byte)(was ^ (1 << rng.Next(8))) : (byte)rng.Next(256);
                    if (p[at] == was) return (file, "nothing changed");
                    var copy = new List<RecordingLayout.Record>(records);
                    copy[k] = copy[k].WithPayload(p);
                    return (RecordingLayout.Build(layout.PreambleBytes, copy), $"record {k} (kind {records[k].Kind}) payload byte {at} 0x{was:x2} -> 0x{p[at]:x2}, CRCs made right");
                }
        }
    }

    private static byte[] Overlong(ulong value, Random rng)
    {
        var v = new List<byte>(RecordingLayout.Varint(value));
        v[^1] |= 0x80;
        int extra = rng.Next(1, 12);
        for (int i = 1; i < extra; i++) v.Add(0x80);
        v.Add(rng.Next(2) == 0 ? (byte)0 : (byte)0x7f);
        return [.. v];
    }

    private static byte[] Concat(byte[] file, List<(int Offset, int Size)> spans, List<int> order)
    {
        var ms = new MemoryStream();
        ms.Write(file, 0, RecordingLayout.Preamble);
        foreach (int k in order) ms.Write(file, spans[k].Offset, spans[k].Size);
        return ms.ToArray();
    }

    /// <summary>The start snapshot's image with its state length or page count crafted, recompressed, CRCs right.</summary>
    private static (byte[], string) CraftSnapshot(Random rng, RecordingLayout layout)
    {
        int k = layout.Records.FindIndex(r => r.Kind == (byte)RecordKind.Snapshot);
        var payload = layout.Records[k].Payload;
        int at = RecordingLayout.ReadVarint(payload, out _);
        at += RecordingLayout.ReadVarint(payload.AsSpan(at), out ulong nameLength);
        at += (int)nameLength;
        byte[] image;
        using (var z = new ZLibStream(new MemoryStream(payload[at..]), CompressionMode.Decompress))
        using (var ms = new MemoryStream())
        {
            z.CopyTo(ms);
            image = ms.ToArray();
        }
        // magic u32, RAM size u64, state length i32 at 12, the state, then the page count.
        int stateLength = BitConverter.ToInt32(image, 12);
        int[] values = [-1, int.MinValue, int.MaxValue, 0, stateLength + 1, stateLength - 1, 1 << 30];
        int value = Mutator.Pick(rng, values);
        string field;
        switch (rng.Next(3))
        {
            case 0:
                BitConverter.TryWriteBytes(image.AsSpan(12), value);
                field = "state length";
                break;
            case 1:
                BitConverter.TryWriteBytes(image.AsSpan(16 + stateLength), value);
                field = "page count";
                break;
            default:
                BitConverter.TryWriteBytes(image.AsSpan(4), (ulong)(uint)value);
                field = "RAM size";
                break;
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(image);
        var copy = new List<RecordingLayout.Record>(layout.Records);
        copy[k] = copy[k].WithPayload([.. payload[..at], .. compressed.ToArray()]);
        return (RecordingLayout.Build(layout.PreambleBytes, copy), $"snapshot {field} {value}, CRCs made right");
    }
}
