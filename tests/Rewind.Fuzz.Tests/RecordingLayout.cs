using System.Buffers.Binary;
using Rewind.Replay.Log;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// A recording cut into its records as docs/recording-format.md lays them out (kind, varint length,
/// payload, CRC-32C chained from the previous record's), so that the fuzzer can move whole records
/// and craft fields with their checksums made right again.
/// </summary>
public sealed class RecordingLayout
{
    public const int Preamble = 12; // magic, version, flags

    public sealed record Record(byte Kind, byte[] Payload)
    {
        public Record WithPayload(byte[] payload) => this with { Payload = payload };
    }

    public RecordingLayout(byte[] file)
    {
        int at = Preamble;
        while (at < file.Length)
        {
            byte kind = file[at];
            int n = ReadVarint(file.AsSpan(at + 1), out ulong length);
            int start = at + 1 + n;
            Records.Add(new Record(kind, file.AsSpan(start, (int)length).ToArray()));
            Spans.Add((at, start + (int)length + 4 - at));
            at = start + (int)length + 4;
        }
        PreambleBytes = file[..Preamble];
    }

    public byte[] PreambleBytes { get; }

    /// <summary>Records in order, the header record first.</summary>
    public List<Record> Records { get; } = [];

    /// <summary>Where each record sits in the original file: offset and total size.</summary>
    public List<(int Offset, int Size)> Spans { get; } = [];

    /// <summary>Writes the records back with every CRC chained as a writer would.</summary>
    public static byte[] Build(byte[] preamble, IEnumerable<Record> records, Func<int, ulong, byte[]>? lengthField = null)
    {
        var ms = new MemoryStream();
        ms.Write(preamble);
        uint previous = 0;
        int index = 0;
        Span<byte> c = stackalloc byte[4];
        foreach (var r in records)
        {
            var body = new MemoryStream();
            body.WriteByte(r.Kind);
            body.Write(lengthField?.Invoke(index, (ulong)r.Payload.Length) ?? Varint((ulong)r.Payload.Length));
            body.Write(r.Payload);
            byte[] bytes = body.ToArray();
            uint crc = index == 0 ? Crc32C.Compute(bytes) : Chain(previous, bytes);
            ms.Write(bytes);
            BinaryPrimitives.WriteUInt32LittleEndian(c, crc);
            ms.Write(c);
            previous = crc;
            index++;
        }
        return ms.ToArray();
    }

    private static uint Chain(uint previous, byte[] bytes)
    {
        Span<byte> p = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(p, previous);
        return ~Crc32C.Update(Crc32C.Update(~0u, p), bytes);
    }

    public static byte[] Varint(ulong value)
    {
        var b = new List<byte>();
        do
        {
            byte x = (byte)(value & 0x7f);
            value >>= 7;
            b.Add(value != 0 ? (byte)(x | 0x80) : x);
        }
        while (value != 0);
        return [.. b];
    }

    public static int ReadVarint(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10 && i < s.Length; i++)
        {
            value |= (ulong)(s[i] & 0x7f) << (7 * i);
            if ((s[i] & 0x80) == 0) return i + 1;
        }
        throw new InvalidDataException("bad varint in the unmutated recording");
    }
}
