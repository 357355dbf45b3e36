namespace Rewind.Fuzz.Tests;

/// <summary>Byte-level mutations shared by the areas: flips, overwrites, inserts, deletions, splices.</summary>
public static class Mutator
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'$', (byte)'#', (byte)'}', (byte)'*', (byte)'"', (byte)'\\', (byte)'{', (byte)'[', 0x03, (byte)',', (byte)':', 0xc0, 0xed, 0xf4];

    /// <summary>Applies 1 to 4 random mutations to a copy of <paramref name="input"/>.</summary>
    public static byte[] Mutate(Random rng, byte[] input, int maxLength = 1 << 16)
    {
        var data = new List<byte>(input);
        int rounds = 1 + rng.Next(4);
        for (int r = 0; r < rounds; r++)
        {
            int at = data.Count == 0 ? 0 : rng.Next(data.Count);
            switch (rng.Next(8))
            {
                case 0 when data.Count > 0: data[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1 when data.Count > 0: data[at] = (byte)rng.Next(256); break;
                case 2 when data.Count > 0: data[at] = Interesting[rng.Next(Interesting.Length)]; break;
                case 3: data.Insert(at, (byte)rng.Next(256)); break;
                case 4 when data.Count > 0: data.RemoveRange(at, Math.Min(1 + rng.Next(8), data.Count - at)); break;
                case 5 when data.Count > 0:
                    {
                        // Repeat a slice: long runs of one token.
                        int len = Math.Min(1 + rng.Next(16), data.Count - at);
                        var slice = data.GetRange(at, len);
                        int times = 1 + rng.Next(rng.Next(2) == 0 ? 4 : 256);
                        for (int t = 0; t < times && data.Count < maxLength; t++) data.InsertRange(at, slice);
                        break;
                    }
                case 6 when data.Count > 0: data.RemoveRange(at, data.Count - at); break; // truncate
                default: data.Insert(at, Interesting[rng.Next(Interesting.Length)]); break;
            }
        }
        if (data.Count > maxLength) data.RemoveRange(maxLength, data.Count - maxLength);
        return [.. data];
    }

    /// <summary>Random bytes, half of the time printable ASCII only.</summary>
    public static byte[] Noise(Random rng, int maxLength)
    {
        var b = new byte[rng.Next(maxLength + 1)];
        rng.NextBytes(b);
        if (rng.Next(2) == 0)
            for (int i = 0; i < b.Length; i++) b[i] = (byte)(0x20 + b[i] % 95);
        return b;
    }

    public static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];
}
