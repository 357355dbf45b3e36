using Rewind.Session;

namespace Rewind.Cli.CommandLine;

/// <summary>The parsed command line, in QEMU's terms.</summary>
public sealed record Options
{
    public string Machine { get; set; } = "virt";
    public string? DumpDtb { get; set; }
    public ulong RamSize { get; set; } = 128UL * 1024 * 1024;
    public int Smp { get; set; } = 1;
    public string Bios { get; set; } = "default";
    public string? Kernel { get; set; }
    public string? Append { get; set; }
    public string? Initrd { get; set; }
    public bool NoGraphic { get; set; }
    public string? Display { get; set; }
    public string? Serial { get; set; }
    /// <summary>-serial tcp:… or unix:…: the console on a socket.</summary>
    public SocketSpec? SerialSocket { get; set; }
    public string? Monitor { get; set; }
    public int IcountShift { get; set; } = Core.Time.VirtualClock.DefaultShift;
    /// <summary>-icount sleep=: idle time follows the wall clock (on, QEMU's default) or jumps to the next deadline (off).</summary>
    public bool IcountSleep { get; set; } = true;
    public bool IcountGiven { get; set; }
    public RunMode RecordReplay { get; set; }
    public string? RecordFile { get; set; }
    public string? RecordSnapshot { get; set; }
    public bool NoReboot { get; set; }
    public bool StartPaused { get; set; }
    public string? Gdb { get; set; }
    public string? Qmp { get; set; }
    public SocketSpec? QmpSocket { get; set; }
    public bool NoShutdown { get; set; }
    /// <summary>-timeline PORT: serve the timeline page of the replay on 127.0.0.1:PORT.</summary>
    public int? Timeline { get; set; }
    public bool Help { get; set; }
    /// <summary>-arch (or the launcher's name): which architecture's virt board to build.</summary>
    public Board.GuestArch Arch { get; set; } = Board.GuestArch.Riscv64;
    /// <summary>-cpu as given, checked against the architecture once the whole line is read.</summary>
    public string? Cpu { get; set; }
    public Arm64.ArmCpuModel ArmCpu { get; set; } = Arm64.ArmCpuModel.CortexA57;
    /// <summary>-semihosting-config enable=on.</summary>
    public bool Semihosting { get; set; }
    /// <summary>-M virt,gic-version=N (aarch64).</summary>
    public int GicVersion { get; set; } = 2;

    /// <summary>
    /// The serial backend in effect, with QEMU's defaults: -nographic alone multiplexes the serial
    /// console and the monitor on stdio ("mon:stdio"); -monitor stdio takes stdio from the serial
    /// console ("null"); otherwise the console is on stdio.
    /// </summary>
    public string EffectiveSerial => Serial ?? Monitor switch
    {
        "stdio" => "null",
        null when NoGraphic => "mon:stdio",
        _ => "stdio",
    };

    /// <summary>
    /// The monitor in effect: -monitor, or, as in QEMU, stdio when -nographic is given and -serial
    /// sends the console elsewhere than stdio. ("mon:stdio" brings its own monitor.)
    /// </summary>
    public string? EffectiveMonitor => Monitor
        ?? (NoGraphic && Serial is not null and not ("stdio" or "mon:stdio") ? "stdio" : null);

    /// <summary>True when stdio is shared by the serial console and the monitor (C-a c switches).</summary>
    public bool Multiplexed => EffectiveSerial == "mon:stdio";
    public bool Version { get; set; }

    /// <summary>-drive options in order.</summary>
    internal List<DriveOption> Drives { get; } = [];
    /// <summary>-device options and -drive if=virtio, in command-line order (the order QEMU places them in).</summary>
    internal List<object> VirtioOrder { get; } = [];
    /// <summary>-object rng-random/rng-builtin by id: the entropy file, or null for the host's generator.</summary>
    internal Dictionary<string, string?> RngObjects { get; } = [];
    /// <summary>-netdev (and -nic) stream netdevs, in order.</summary>
    public List<NetdevOption> Netdevs { get; } = [];
    /// <summary>-chardev character devices, in order.</summary>
    public List<ChardevOption> Chardevs { get; } = [];
    /// <summary>-global virtio-mmio.force-legacy (QEMU 7.2's default: on).</summary>
    public bool VirtioLegacy { get; set; } = true;
    /// <summary>Things QEMU would warn about (a probed raw image), printed on standard error before the run.</summary>
    public List<string> Warnings { get; } = [];
    /// <summary>-snapshot: no disk write reaches an image file.</summary>
    public bool Snapshot { get; set; }
    /// <summary>The virtio devices, resolved once the whole command line is read.</summary>
    public IReadOnlyList<Rewind.Board.VirtioDeviceSpec> VirtioDevices { get; set; } = [];
}
