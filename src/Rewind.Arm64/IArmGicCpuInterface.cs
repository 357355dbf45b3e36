namespace Rewind.Arm64;

/// <summary>
/// A GICv3 CPU interface reached through system registers (ICC_*_EL1): the board's interrupt
/// controller answers them, so that the CPU does not depend on the board. The CPU hands over each
/// MRS/MSR whose encoding is a GIC CPU interface register (see <see cref="Arm64Cpu.IsGicSystemRegister"/>).
/// </summary>
public interface IArmGicCpuInterface
{
    /// <summary>MRS of the ICC register <paramref name="key"/> by CPU <paramref name="cpu"/>; false makes it undefined.</summary>
    bool TryReadIcc(int cpu, int key, out ulong value);

    /// <summary>MSR of the ICC register <paramref name="key"/> by CPU <paramref name="cpu"/>; false makes it undefined.</summary>
    bool TryWriteIcc(int cpu, int key, ulong value);
}
