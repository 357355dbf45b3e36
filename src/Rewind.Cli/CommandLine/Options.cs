namespace Rewind.Cli.CommandLine;

public enum RecordReplayMode { None, Record, Replay }

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
    public bool NoGraphic { get; set; }
    public string? Display { get; set; }
    public string? Serial { get; set; }
    public string? Monitor { get; set; }
    public int IcountShift { get; set; } = Core.Time.VirtualClock.DefaultShift;
    public bool IcountGiven { get; set; }
    public RecordReplayMode RecordReplay { get; set; }
    public string? RecordFile { get; set; }
    public string? RecordSnapshot { get; set; }
    public bool NoReboot { get; set; }
    public bool StartPaused { get; set; }
    public string? Gdb { get; set; }
    public string? Qmp { get; set; }
    public SocketSpec? QmpSocket { get; set; }
    public bool NoShutdown { get; set; }
    public bool Help { get; set; }
    public bool Version { get; set; }
}
