using System.Globalization;

namespace Rewind.Devices.Net;

/// <summary>A 48-bit Ethernet address in QEMU's spelling, 52:54:00:12:34:56.</summary>
public static class MacAddress
{
    /// <summary>
    /// QEMU's default for the <paramref name="index"/>-th NIC without mac= (qemu_macaddr_default_if_unset):
    /// 52:54:00:12:34:56, then :57, :58, …
    /// </summary>
    public static byte[] Default(int index) => [0x52, 0x54, 0x00, 0x12, 0x34, (byte)(0x56 + index)];

    /// <summary>Parses six hex pairs separated by ':' (or '-'), or returns null.</summary>
    public static byte[]? Parse(string text)
    {
        string[] parts = text.Split(text.Contains('-') ? '-' : ':');
        if (parts.Length != 6) return null;
        var mac = new byte[6];
        for (int i = 0; i < 6; i++)
            if (parts[i].Length is < 1 or > 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
                return null;
        return mac;
    }

    public static string Format(ReadOnlySpan<byte> mac) =>
        string.Join(':', mac.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>A multicast address (bit 0 of the first byte) cannot be a NIC's own.</summary>
    public static bool IsMulticast(ReadOnlySpan<byte> mac) => (mac[0] & 1) != 0;
}
