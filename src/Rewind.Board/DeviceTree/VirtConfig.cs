namespace Rewind.Board.DeviceTree;

/// <summary>The machine parameters that shape the virt board's device tree.</summary>
public sealed record VirtConfig(
    ulong RamSize = VirtConfig.DefaultRamSize,
    int HartCount = 1,
    string? Bootargs = null,
    string IsaString = VirtConfig.DefaultIsa)
{
    public const ulong DefaultRamSize = 128UL * 1024 * 1024;
    public const string DefaultIsa = "rv64imafdc_zicsr_zifencei_sstc";

    public string MmuType { get; init; } = "riscv,sv48";

    /// <summary>Where -initrd's RAM disk lies, [start, end), listed in /chosen as linux,initrd-start/end.</summary>
    public (ulong Start, ulong End)? Initrd { get; init; }

    /// <summary>
    /// Emit QEMU's /pmu node (the SBI PMU event map). Off by default: it promises hpm counters, which
    /// only a hart implementing them should advertise.
    /// </summary>
    public bool IncludePmuNode { get; init; }
}
