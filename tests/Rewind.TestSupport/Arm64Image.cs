using System.Buffers.Binary;
using Rewind.Board.Arm;

namespace Rewind.TestSupport;

/// <summary>
/// A small arm64 Linux Image for tests that boot the virt board with -kernel: the header of Linux's
/// arm64 booting document (a branch to the code at 0x40, text_offset 0, image_size, flags 0xa:
/// little-endian, 4 KiB pages, anywhere in RAM; the magic at 0x38), then the code.
/// </summary>
public static class Arm64Image
{
    public const int CodeOffset = 0x40;

    /// <summary>The header and <paramref name="code"/> at 0x40, in <paramref name="length"/> bytes (at least what the code needs).</summary>
    public static byte[] Build(uint[] code, int length = 0)
    {
        byte[] image = new byte[Math.Max(length, CodeOffset + 4 * code.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(image, 0x1400_0010); // b 0x40
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(16), (ulong)image.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), 0xa);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x38), ArmLinuxImage.Magic);
        Put(image, CodeOffset, code);
        return image;
    }

    /// <summary>Writes <paramref name="words"/> into <paramref name="image"/> from <paramref name="offset"/> on.</summary>
    public static void Put(byte[] image, int offset, uint[] words)
    {
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(offset + 4 * i), words[i]);
    }

    /// <summary>Saves <paramref name="image"/> as <c>Image</c> in <paramref name="dir"/>; the path, for -kernel.</summary>
    public static string Save(string dir, byte[] image)
    {
        string path = Path.Combine(dir, "Image");
        File.WriteAllBytes(path, image);
        return path;
    }
}
