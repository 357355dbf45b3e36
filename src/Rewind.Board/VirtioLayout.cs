using Rewind.Board.Arm;
using Rewind.Board.Devices;

namespace Rewind.Board;

/// <summary>
/// Where a virt board puts its virtio-mmio transports: <see cref="Count"/> windows of <see cref="Stride"/>
/// bytes from <see cref="Base"/>, slot N on interrupt line <see cref="FirstIrq"/> + N of the board's
/// interrupt controller (a PLIC source on RISC-V, an SPI on Arm).
/// </summary>
public sealed record VirtioLayout(ulong Base, ulong Stride, int Count, int FirstIrq)
{
    /// <summary>QEMU's riscv64 virt: eight 4 KiB windows at 0x10001000 on PLIC sources 1 to 8.</summary>
    public static readonly VirtioLayout Riscv = new(VirtMemoryMap.VirtioBase, VirtMemoryMap.VirtioSize, VirtMemoryMap.VirtioCount, VirtMemoryMap.FirstVirtioIrq);

    /// <summary>QEMU's aarch64 virt: 32 windows of 0x200 bytes at 0x0a000000 on SPIs 16 to 47.</summary>
    public static readonly VirtioLayout Arm = new(ArmVirtMap.VirtioBase, ArmVirtMap.VirtioSize, ArmVirtMap.VirtioCount, ArmVirtMap.FirstVirtioSpi);

    public static VirtioLayout For(GuestArch arch) => arch == GuestArch.Aarch64 ? Arm : Riscv;

    public ulong Address(int slot) => Base + (ulong)slot * Stride;

    /// <summary>The slot's device tree node name, which is also its device's name in the machine.</summary>
    public string NodeName(int slot) => $"virtio_mmio@{Address(slot):x}";

    /// <summary>The slot whose window starts at <paramref name="address"/>.</summary>
    public int SlotAt(ulong address) => (int)((address - Base) / Stride);
}
