using Rewind.Core.Bus;

namespace Rewind.Board.Devices;

/// <summary>
/// An empty virtio-mmio transport slot: firmware and kernels probe every slot (eight on RISC-V, 32 on
/// Arm) and skip those reporting device ID 0. QEMU 7.2's transports default to force-legacy=true and
/// so report version 1. Without a name, it is named as RISC-V's slot.
/// </summary>
public sealed class VirtioMmioPlaceholder(int slot, uint version = VirtioMmioPlaceholder.LegacyVersion, string? name = null) : IMmioDevice
{
    public const uint Magic = 0x74726976; // "virt"
    public const uint LegacyVersion = 1;
    public const uint ModernVersion = 2;
    public const uint QemuVendorId = 0x554d4551; // "QEMU"

    public string Name { get; } = name ?? $"virtio_mmio@{VirtMemoryMap.VirtioBase + (ulong)slot * VirtMemoryMap.VirtioSize:x}";

    public int Slot => slot;

    // No state: every register is constant or reads zero, so there is nothing to snapshot.
    public ulong Read(ulong offset, int size) => offset switch
    {
        0x000 => Magic,
        0x004 => version,
        0x00c => QemuVendorId,
        _ => 0,
    };

    public void Write(ulong offset, int size, ulong value) { }
}
