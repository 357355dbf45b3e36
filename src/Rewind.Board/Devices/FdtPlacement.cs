namespace Rewind.Board.Devices;

/// <summary>Where QEMU 7.2 (hw/riscv/boot.c, riscv_load_fdt) puts the device tree in RAM.</summary>
public static class FdtPlacement
{
    private const ulong MiB = 1024 * 1024;

    /// <summary>
    /// QEMU sizes this from the unpacked tree buffer, which is 1 MiB, not from the packed blob; using
    /// the same figure puts the tree at the same address (0x87e00000 with 128 MiB).
    /// </summary>
    public const ulong QemuTreeBufferSize = MiB;

    /// <summary>
    /// The highest 2 MiB-aligned address that leaves <paramref name="treeSize"/> bytes below the end
    /// of RAM or below 3 GiB, whichever is lower, so 32-bit kernels can reach it too.
    /// </summary>
    public static ulong Compute(ulong ramBase, ulong ramSize, ulong treeSize = QemuTreeBufferSize)
    {
        ulong ramEnd = ramBase + ramSize;
        ulong limit = ramBase < 3072 * MiB ? Math.Min(ramEnd, 3072 * MiB) : ramEnd;
        if (treeSize > limit - ramBase) throw new ArgumentException($"a device tree of {treeSize} bytes does not fit in RAM");
        return (limit - treeSize) & ~(2 * MiB - 1);
    }
}
