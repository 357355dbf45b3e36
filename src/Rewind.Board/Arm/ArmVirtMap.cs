namespace Rewind.Board.Arm;

/// <summary>QEMU's arm virt memory map and interrupt numbers (hw/arm/virt.c, base_memmap and a15irqmap).</summary>
public static class ArmVirtMap
{
    /// <summary>The two flash banks; -bios loads the firmware into the first, and the CPU starts at 0.</summary>
    public const ulong Flash0Base = 0x0000_0000, Flash1Base = 0x0400_0000;
    public const ulong GicDistBase = 0x0800_0000, GicCpuBase = 0x0801_0000;
    /// <summary>GICv3: the redistributors, 128 KiB per CPU (the GICv2's CPU interface is absent then).</summary>
    public const ulong GicRedistBase = 0x080a_0000;
    public const ulong UartBase = 0x0900_0000, UartSize = 0x1000;
    public const ulong RtcBase = 0x0901_0000, RtcSize = 0x1000;
    public const ulong FwCfgBase = 0x0902_0000;
    /// <summary>QEMU's 32 virtio-mmio transports, 0x200 bytes apart, on SPIs 16 to 47.</summary>
    public const ulong VirtioBase = 0x0a00_0000, VirtioSize = 0x200;
    public const int VirtioCount = 32, FirstVirtioSpi = 16;
    public const ulong RamBase = 0x4000_0000;
    /// <summary>SPI numbers (interrupt ID minus 32), as the device tree gives them.</summary>
    public const int UartSpi = 1, RtcSpi = 2;
    /// <summary>Where an arm64 Linux Image goes without a text_offset in its header (QEMU's KERNEL64_LOAD_ADDR).</summary>
    public const ulong KernelLoadOffset = 0x80000;
}
