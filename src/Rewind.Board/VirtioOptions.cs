using Rewind.Devices.Block;

namespace Rewind.Board;

/// <summary>A virtio device the command line asks for (-device virtio-*-device, -drive if=virtio).</summary>
public abstract record VirtioDeviceSpec
{
    /// <summary>bus=virtio-mmio-bus.N: the slot it must take; null for QEMU's default placement.</summary>
    public int? Slot { get; init; }
    /// <summary>How the user named it, for messages ("-device virtio-blk-device,drive=d0").</summary>
    public string Origin { get; init; } = "";
    /// <summary>Its kind and parameters as a recording's header keeps them.</summary>
    public abstract string Describe();
}

/// <summary>virtio-blk with a disk image (-drive …, -device virtio-blk-device,drive=ID).</summary>
public sealed record BlockDeviceSpec(string Path, string Format = "raw") : VirtioDeviceSpec
{
    /// <summary>readonly=on: the guest cannot write.</summary>
    public bool ReadOnly { get; init; }
    /// <summary>-snapshot or snapshot=on: writes never reach the file, even in a live run.</summary>
    public bool Snapshot { get; init; }
    /// <summary>The ID that GET_ID returns (serial=).</summary>
    public string Serial { get; init; } = "";

    public override string Describe()
    {
        // The size the guest sees: a qcow2 image's virtual size, a raw image's length.
        long size = !File.Exists(Path) ? -1 : Format == "qcow2" ? Qcow2Image.VirtualSize(Path) : new FileInfo(Path).Length;
        return $"virtio-blk format={Format} size={size}{(ReadOnly ? " readonly" : "")}";
    }
}

/// <summary>virtio-rng (-device virtio-rng-device[,rng=ID] with -object rng-random|rng-builtin).</summary>
public sealed record RngDeviceSpec : VirtioDeviceSpec
{
    /// <summary>rng-random's filename (live runs read entropy from it), or null for the host's generator.</summary>
    public string? EntropyFile { get; init; }

    public override string Describe() => "virtio-rng";
}

/// <summary>virtio-net (-device virtio-net-device,netdev=ID[,mac=M] or -nic) on a stream netdev.</summary>
public sealed record NetDeviceSpec(string Netdev, byte[] Mac) : VirtioDeviceSpec
{
    /// <summary>Which net device this is, in command-line order: its frames arrive on <c>InputChannels.Net(Index)</c>.</summary>
    public int Index { get; init; }

    public override string Describe() => $"virtio-net mac={Rewind.Devices.Net.MacAddress.Format(Mac)}";
}

/// <summary>
/// virtio-serial (-device virtio-serial-device) with its ports (-device virtconsole or virtserialport on
/// its bus), each on a character device (-chardev) or on none.
/// </summary>
public sealed record SerialDeviceSpec : VirtioDeviceSpec
{
    public IReadOnlyList<ConsolePortSpec> Ports { get; init; } = [];

    public override string Describe() =>
        "virtio-serial" + string.Concat(Ports.Select(p => $" port{p.Nr}={(p.IsConsole ? "console" : "serial")}{(p.Name != null ? "(" + p.Name + ")" : "")}"));
}

/// <summary>
/// One virtconsole, or a virtserialport (<paramref name="IsConsole"/> false: a generic port the driver
/// makes /dev/vportNpM, not an hvc console): its port number on the device, its name=, its chardev=
/// (null: none, the host side is closed), and which port it is in command-line order: its host input
/// arrives on <c>InputChannels.VirtConsole(Index)</c>.
/// </summary>
public sealed record ConsolePortSpec(uint Nr, string? Name, string? Chardev, int Index, bool IsConsole = true);
