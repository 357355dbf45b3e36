using Rewind.Arm64;
using Rewind.Core.Bus;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Arm64.Tests;

/// <summary>
/// MPIDR_EL1 as QEMU's virt numbers its CPUs (virt_cpu_mp_affinity with a GICv3): clusters of 16,
/// Aff1 = index / 16 and Aff0 = index % 16, and the inverse that finds a CPU by affinity.
/// </summary>
public sealed class ArmAffinityTests
{
    [Theory]
    [InlineData(0, 0x0UL)]
    [InlineData(15, 0xfUL)]
    [InlineData(16, 0x100UL)]
    [InlineData(17, 0x101UL)]
    [InlineData(122, 0x70aUL)]
    public void Mpidr_of_a_cpu_is_qemus_cluster_of_16_affinity(int index, ulong affinity)
    {
        var cpu = new Arm64Cpu(index, new SystemBus(new PhysicalMemory(0x4000_0000, 1 << 20)), new VirtualClock(3));
        Assert.True(cpu.TryReadSystemRegister(Arm64Cpu.SysReg.Mpidr, out ulong mpidr));
        Assert.Equal(0x8000_0000UL | affinity, mpidr); // bit 31 RES1, U and MT clear
        Assert.Equal(affinity, cpu.Affinity);
        Assert.Equal(index, ArmAffinity.IndexOf(affinity | 0x8000_0000, 123));
    }

    [Theory]
    [InlineData(0x10UL, 20)]        // Aff0 16: no cluster has it
    [InlineData(0x104UL, 20)]       // CPU 20 of a 20-CPU machine
    [InlineData(0x1_0000UL, 123)]   // Aff2 = 1
    [InlineData(0x1_0000_0000UL, 123)] // Aff3 = 1
    [InlineData(0x800UL, 123)]      // cluster 8 would be CPU 128
    public void An_affinity_no_cpu_has_finds_none(ulong affinity, int cpus) => Assert.Equal(-1, ArmAffinity.IndexOf(affinity, cpus));

    [Fact]
    public void Packed_form_moves_aff3_below_bit_32()
    {
        Assert.Equal(0x0000_0101u, ArmAffinity.Packed(0x8000_0101));
        Assert.Equal(0x0302_0100u, ArmAffinity.Packed(0x3_0002_0100));
    }
}
