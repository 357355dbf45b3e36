namespace Rewind.Board.Arm;

/// <summary>QEMU's arm virt memory map and interrupt numbers (hw/arm/virt.c, base_memmap and a15irqmap).</summary>
public static class ArmVirtMap
{
    public const ulong GicDistBase = 0x0800_0000, GicCpuBase = 0x0801_0000;
    public const ulong UartBase = 0x0900_0000, UartSize = 0x1000;
    public const ulong RtcBase = 0x0901_0000, RtcSize = 0x1000;
    public const ulong RamBase = 0x4000_0000;
    /// <summary>SPI numbers (interrupt ID minus 32), as the device tree gives them.</summary>
    public const int UartSpi = 1, RtcSpi = 2;
    /// <summary>Where an arm64 Linux Image goes without a text_offset in its header (QEMU's KERNEL64_LOAD_ADDR).</summary>
    public const ulong KernelLoadOffset = 0x80000;
}
