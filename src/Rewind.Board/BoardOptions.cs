using Rewind.Board.Devices;
using Rewind.Core.Input;
using Rewind.Core.Time;

namespace Rewind.Board;

/// <summary>What the command line says about the machine to build.</summary>
public sealed record BoardOptions
{
    public ulong RamSize { get; init; } = 128UL * 1024 * 1024;
    public int Smp { get; init; } = 1;
    /// <summary>"none", "default", or a path.</summary>
    public string Bios { get; init; } = "default";
    public string? Kernel { get; init; }
    public string? Append { get; init; }
    public int IcountShift { get; init; } = VirtualClock.DefaultShift;
    public ISerialBackend Serial { get; init; } = new NullSerialBackend();
    public IInputBoundary? Input { get; init; }
    /// <summary>virtio-mmio transports answer version 1 (QEMU 7.2's default) unless -global virtio-mmio.force-legacy=false.</summary>
    public bool VirtioLegacy { get; init; } = true;
    /// <summary>virtio devices in command-line order (QEMU places them in that order).</summary>
    public IReadOnlyList<VirtioDeviceSpec> VirtioDevices { get; init; } = [];
    /// <summary>
    /// A live run (no record or replay): disks without -snapshot or readonly=on write through to their
    /// image files, as QEMU's do. Otherwise the guest's writes stay in the machine's overlay.
    /// </summary>
    public bool DiskWriteThrough { get; init; }
}

/// <summary>An image the board loaded, as a recording header names it.</summary>
public sealed record LoadedFile(string Role, string Path, byte[] Contents);
