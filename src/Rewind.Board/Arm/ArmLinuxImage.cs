using System.Buffers.Binary;

namespace Rewind.Board.Arm;

/// <summary>
/// The arm64 Linux Image header (Documentation/arm64/booting.rst): text_offset at 8, image_size at 16,
/// flags at 24, the magic "ARM\x64" at 0x38. Where the image goes in RAM follows QEMU 7.2's
/// load_aarch64_image: an image with an image_size is placed at its text_offset from a 2 MiB aligned
/// base, moved up by 2 MiB when that offset would overlap QEMU's boot stub in the first 4 KiB; an image
/// without one (a kernel before 3.17, or any flat binary) goes to 0x80000.
/// </summary>
public readonly record struct ArmLinuxImage(bool HasHeader, ulong TextOffset, ulong ImageSize, ulong Flags)
{
    public const uint Magic = 0x644d_5241;
    private const ulong BootStubSize = 4096, TwoMiB = 2 * 1024 * 1024;

    public static ArmLinuxImage Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 64 || BinaryPrimitives.ReadUInt32LittleEndian(bytes[0x38..]) != Magic) return default;
        return new ArmLinuxImage(true, BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));
    }

    /// <summary>The offset from the start of RAM where the image is loaded (and entered).</summary>
    public ulong LoadOffset => !HasHeader || ImageSize == 0 ? ArmVirtMap.KernelLoadOffset
        : TextOffset < BootStubSize ? TextOffset + TwoMiB : TextOffset;
}
