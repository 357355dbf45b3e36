namespace Rewind.Arm64;

/// <summary>
/// CRC32B/H/W/X and CRC32CB/H/W/X (data-processing, two sources, opcode 010csz): the bit-reflected CRC
/// of the polynomial 0x04C11DB7 (or Castagnoli's 0x1EDC6F41) over 1, 2, 4 or 8 bytes of Rm, with the
/// accumulator in Wn and no inversion before or after, as the Arm ARM defines them.
/// </summary>
public sealed partial class Arm64Cpu
{
    private const uint Crc32Reflected = 0xEDB8_8320, Crc32CReflected = 0x82F6_3B78;
    private static readonly uint[] Crc32Table = CrcTable(Crc32Reflected), Crc32CTable = CrcTable(Crc32CReflected);

    private static uint[] CrcTable(uint poly)
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1) != 0 ? poly : 0);
            table[i] = c;
        }
        return table;
    }

    private void Crc32(uint insn, bool sf, int rd, int rn, int rm)
    {
        int sizeLog = (int)((insn >> 10) & 3);
        // The 64-bit form exists only for the doubleword size, and only it.
        if (sf != (sizeLog == 3)) throw Undefined();
        uint[] table = (insn & (1u << 12)) != 0 ? Crc32CTable : Crc32Table;
        uint crc = (uint)Xr(rn);
        ulong data = Xr(rm);
        for (int i = 0; i < 1 << sizeLog; i++)
        {
            crc = (crc >> 8) ^ table[(byte)(crc ^ data)];
            data >>= 8;
        }
        SetXr(rd, crc);
    }
}
