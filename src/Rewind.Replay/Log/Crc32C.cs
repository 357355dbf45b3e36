using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Rewind.Replay.Log;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF), the
/// checksum of every record in a recording. Uses the CPU's CRC32 instructions where present (SSE4.2,
/// ARMv8 CRC) and an 8-way table otherwise; both give the same values.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(~0u, data);

    /// <summary>
    /// Continues a running checksum. Start with <c>0xFFFFFFFF</c>, feed the pieces in order and invert
    /// the result (<c>~state</c>) at the end.
    /// </summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong crc = state;
            while (data.Length >= 8)
            {
                crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            state = (uint)crc;
            foreach (byte b in data)
                state = Sse42.Crc32(state, b);
            return state;
        }
        if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                state = Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            foreach (byte b in data)
                state = Crc32.ComputeCrc32C(state, b);
            return state;
        }
        return UpdateSoftware(state, data);
    }

    /// <summary>The table-driven path; visible to the tests so they can check it against the hardware path.</summary>
    internal static uint UpdateSoftware(uint state, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        while (data.Length >= 8)
        {
            uint lo = state ^ BinaryPrimitives.ReadUInt32LittleEndian(data);
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            state = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^
                    t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)] ^
                    t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^
                    t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (byte b in data)
            state = t[(state ^ b) & 0xFF] ^ (state >> 8);
        return state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[i] = c;
        }
        for (int s = 1; s < 8; s++)
            for (int i = 0; i < 256; i++)
            {
                uint prev = table[(s - 1) * 256 + i];
                table[s * 256 + i] = table[prev & 0xFF] ^ (prev >> 8);
            }
        return table;
    }
}
