namespace Rewind.Arm64;

/// <summary>
/// The MPIDR affinity QEMU's virt gives the CPU with index i (hw/arm/virt.c, virt_cpu_mp_affinity):
/// clusters as large as an SGI's target list, Aff0 = i % size and Aff1 = i / size. With a GICv3 the
/// list has 16 bits, so CPU 16 is 0x100 and CPU 122 is 0x70a. QEMU's GICv2 clusters of 8 give the same
/// affinities, as that GIC serves at most 8 CPUs; one rule therefore fits both boards.
/// </summary>
public static class ArmAffinity
{
    /// <summary>CPUs per Aff1 cluster (QEMU's GICV3_TARGETLIST_BITS).</summary>
    public const int ClusterSize = 16;

    /// <summary>The affinity fields of MPIDR_EL1 (Aff3 in 39:32, Aff2:Aff0 in 23:0) of CPU <paramref name="index"/>.</summary>
    public static ulong OfIndex(int index) => (uint)(index / ClusterSize) << 8 | (uint)(index % ClusterSize);

    /// <summary>
    /// The CPU index whose affinity is <paramref name="affinity"/> (MPIDR layout, other bits ignored),
    /// or -1 when none of <paramref name="cpus"/> CPUs has it.
    /// </summary>
    public static int IndexOf(ulong affinity, int cpus)
    {
        ulong aff = affinity & 0xff_00ff_ffffUL;
        ulong aff0 = aff & 0xff, cluster = aff >> 8;
        if (aff0 >= ClusterSize || cluster >= (ulong)cpus) return -1;
        ulong index = cluster * ClusterSize + aff0;
        return index < (ulong)cpus ? (int)index : -1;
    }

    /// <summary>
    /// The GIC's packed form (GICR_TYPER's high word, ICC_SGI1R's and GICD_IROUTER's fields joined):
    /// Aff3.Aff2.Aff1.Aff0 in bits 31:0.
    /// </summary>
    public static uint Packed(ulong affinity) => (uint)(affinity & 0xff_ffff) | (uint)(affinity >> 32 & 0xff) << 24;

}
