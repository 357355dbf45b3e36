using Rewind.Arm64;
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
    /// <summary>-initrd: an initial RAM disk placed in RAM after the kernel, as QEMU places it.</summary>
    public string? Initrd { get; init; }
    public int IcountShift { get; init; } = VirtualClock.DefaultShift;
    public ISerialBackend Serial { get; init; } = new NullSerialBackend();
    public IInputBoundary? Input { get; init; }
    /// <summary>The guest architecture: which virt board (QEMU's riscv64 or aarch64 one) is built.</summary>
    public GuestArch Arch { get; init; } = GuestArch.Riscv64;
    /// <summary>-cpu on aarch64: what MIDR_EL1 and the device tree say.</summary>
    public ArmCpuModel ArmCpu { get; init; } = ArmCpuModel.CortexA57;
    /// <summary>-machine gic-version on aarch64: 2 (the default) or 3.</summary>
    public int GicVersion { get; init; } = 2;
    /// <summary>-semihosting-config enable=on: HLT #0xF000 calls reach the board (aarch64).</summary>
    public bool Semihosting { get; init; }
    /// <summary>virtio-mmio transports answer version 1 (QEMU 7.2's default) unless -global virtio-mmio.force-legacy=false.</summary>
    public bool VirtioLegacy { get; init; } = true;
    /// <summary>virtio devices in command-line order (QEMU places them in that order).</summary>
    public IReadOnlyList<VirtioDeviceSpec> VirtioDevices { get; init; } = [];
    /// <summary>
    /// Where each net device's transmitted frames go, by netdev id (the host's sockets, opened by the
    /// front end); a netdev without one (a replay) drops them.
    /// </summary>
    public IReadOnlyDictionary<string, Rewind.Devices.Net.INetworkPeer> NetPeers { get; init; } = new Dictionary<string, Rewind.Devices.Net.INetworkPeer>();
    /// <summary>
    /// Where each character device's output goes, by chardev id (a virtconsole's host side, opened by the
    /// front end); a chardev without an entry discards what it is given.
    /// </summary>
    public IReadOnlyDictionary<string, Rewind.Devices.Serial.IConsoleOutput> ConsoleOutputs { get; init; } = new Dictionary<string, Rewind.Devices.Serial.IConsoleOutput>();
    /// <summary>
    /// A live run (no record or replay): disks without -snapshot or readonly=on write through to their
    /// image files, as QEMU's do. Otherwise the guest's writes stay in the machine's overlay.
    /// </summary>
    public bool DiskWriteThrough { get; init; }
    /// <summary>Compile hot guest code (see Rewind.Riscv.Jit); off, every instruction is interpreted. Same results either way.</summary>
    public bool Jit { get; init; } = Rewind.Riscv.Jit.JitSettings.EnabledByDefault();
}

/// <summary>The instruction set of the guest, and so which board: RISC-V's virt or Arm's virt.</summary>
public enum GuestArch { Riscv64, Aarch64 }

/// <summary>An image the board loaded, as a recording header names it.</summary>
public sealed record LoadedFile(string Role, string Path, byte[] Contents);
