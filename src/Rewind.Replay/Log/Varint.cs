namespace Rewind.Replay.Log;

/// <summary>Unsigned LEB128: 7 bits a byte, least significant group first, top bit = more follows.</summary>
internal static class Varint
{
    public const int MaxLength64 = 10;

    public static int Size(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="dest"/>; returns the byte count.</summary>
    public static int Write(Span<byte> dest, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            dest[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dest[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads a varint from the start of <paramref name="src"/>. Returns the byte count, 0 when the
    /// span ends inside the number, or -1 when the encoding is invalid (over 10 bytes or over 64 bits).
    /// </summary>
    public static int TryRead(ReadOnlySpan<byte> src, out ulong value)
    {
        value = 0;
        for (int i = 0; i < MaxLength64; i++)
        {
            if (i >= src.Length)
                return 0;
            byte b = src[i];
            if (i == MaxLength64 - 1 && b > 1)
                return -1;
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
                return i + 1;
        }
        return -1;
    }
}
