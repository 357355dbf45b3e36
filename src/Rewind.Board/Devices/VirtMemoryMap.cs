namespace Rewind.Board.Devices;

/// <summary>Addresses and interrupt numbers of QEMU 7.2's riscv64 virt machine.</summary>
public static class VirtMemoryMap
{
    public const ulong BootRomBase = 0x1000;
    public const ulong BootRomSize = 0xf000;
    public const ulong TestBase = 0x100000;
    public const ulong TestSize = 0x1000;
    public const ulong RtcBase = 0x101000;
    public const ulong RtcSize = 0x1000;
    public const ulong ClintBase = 0x2000000;
    public const ulong ClintSize = 0x10000;
    public const ulong PlicBase = 0xc000000;
    public const ulong PlicSize = 0x600000;
    public const ulong Uart0Base = 0x10000000;
    public const ulong Uart0Size = 0x100;
    public const ulong VirtioBase = 0x10001000;
    public const ulong VirtioSize = 0x1000;
    public const int VirtioCount = 8;
    public const ulong DramBase = 0x80000000;

    public const int Uart0Irq = 10;
    public const int RtcIrq = 11;
    /// <summary>virtio-mmio slot i uses IRQ FirstVirtioIrq + i.</summary>
    public const int FirstVirtioIrq = 1;
    /// <summary>QEMU's PLIC has 96 sources counting the unused source 0.</summary>
    public const int PlicSources = 96;
}
