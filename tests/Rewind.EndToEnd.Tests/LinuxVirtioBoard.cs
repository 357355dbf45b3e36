using System.Globalization;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// One architecture's `virt` board as <see cref="LinuxVirtioSessions"/> boots Linux on it, the way a
/// QEMU user of that architecture writes the command line: riscv64 on OpenSBI (`-bios default`) with
/// the 16550 as ttyS0; aarch64 with `-kernel Image` and no firmware (`-cpu cortex-a57`, PSCI on HVC)
/// with the PL011 as ttyAMA0. Both run that build's own static init from the disk.
/// </summary>
internal sealed record LinuxVirtioBoard(string Arch, string Console, LinuxWorkload Workload, string[] Board)
{
    public const string Riscv64 = "riscv64", Aarch64 = "aarch64";

    public static LinuxVirtioBoard For(string arch) => arch switch
    {
        Riscv64 => new(arch, "ttyS0", LinuxWorkload.Require(), ["-M", "virt", "-bios", "default"]),
        Aarch64 => new(arch, "ttyAMA0", LinuxWorkload.RequireAarch64(), ["-arch", "aarch64", "-M", "virt", "-cpu", "cortex-a57"]),
        _ => throw new ArgumentException($"no Linux virtio board for '{arch}'", nameof(arch)),
    };

    /// <summary>The kernel on <paramref name="cpus"/> CPUs, its console first on the command line, then <paramref name="append"/>.</summary>
    public string[] Machine(int cpus, string append, params string[] extra) =>
        [.. Board, "-kernel", Workload.Image, "-nographic", "-smp", cpus.ToString(CultureInfo.InvariantCulture),
         "-append", $"console={Console} {append}", .. extra];
}
