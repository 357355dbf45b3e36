using Rewind.Arm64;
using Rewind.Board.Arm;
using Rewind.Board.DeviceTree;
using Rewind.TestSupport;

namespace Rewind.Board.Tests.Arm;

/// <summary>
/// The aarch64 virt board with gic-version=3: the GICv3's distributor and redistributors on the bus,
/// each CPU's ICC_* registers reaching it, its state section, and the device tree QEMU 7.2 gives
/// with its=off (checked against `qemu-system-aarch64 -M virt,gic-version=3,its=off,dumpdtb=`).
/// </summary>
public sealed class ArmVirtGicV3Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-gicv3").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An arm64 Image that spins (b .): the tests look at the board, not at what it runs.</summary>
    private ArmVirtBoard Boot(int smp, int gicVersion)
    {
        string path = Arm64Image.Save(_dir, Arm64Image.Build([0x1400_0000]));
        return ArmVirtBoard.Create(new BoardOptions { Arch = GuestArch.Aarch64, Bios = "none", RamSize = 128UL << 20, Kernel = path, Smp = smp, GicVersion = gicVersion });
    }

    private static ulong Read(ArmVirtBoard board, ulong address, int size)
    {
        Assert.True(board.Bus.TryRead(address, size, out ulong v));
        return v;
    }

    private static FdtNode Tree(ArmVirtBoard board)
    {
        byte[] blob = new byte[64 * 1024];
        board.Bus.ReadBytes(board.FdtAddress, blob);
        return FdtReader.Parse(blob);
    }

    [Fact]
    public void Distributor_and_a_redistributor_per_cpu_are_on_the_bus()
    {
        var board = Boot(2, 3);
        Assert.IsType<GicV3>(board.Gic);
        Assert.Equal(0x3bUL, Read(board, ArmVirtMap.GicDistBase + 0xffe8, 4)); // GICD_PIDR2
        ulong typer1 = Read(board, ArmVirtMap.GicRedistBase + GicV3.RedistributorStride + 8, 8);
        Assert.Equal(1UL, typer1 >> 32); // CPU 1's affinity
        Assert.Equal(0x10UL, typer1 & 0x10); // the last redistributor
        Assert.Equal(0UL, Read(board, ArmVirtMap.GicRedistBase + 8, 8) & 0x10);
        Assert.Equal(0x3bUL, Read(board, ArmVirtMap.GicRedistBase + GicV3.RedistributorStride + 0xffe8, 4));
        Assert.False(board.Bus.TryRead(ArmVirtMap.GicCpuBase, 4, out _)); // no GICv2 CPU interface
    }

    [Fact]
    public void Each_cpu_reaches_its_own_cpu_interface_and_pfr0_says_so()
    {
        var board = Boot(2, 3);
        foreach (var cpu in board.Cpus)
        {
            Assert.True(cpu.TryReadSystemRegister(Arm64Cpu.SysReg.Pfr0, out ulong pfr0));
            Assert.Equal(1UL, pfr0 >> 24 & 0xf);
            Assert.True(cpu.TryReadSystemRegister(Arm64Cpu.SysReg.IccSre, out ulong sre));
            Assert.Equal(7UL, sre);
        }
        Assert.True(board.Cpus[1].TryWriteSystemRegister(Arm64Cpu.SysReg.IccPmr, 0xa0));
        Assert.True(board.Cpus[0].TryReadSystemRegister(Arm64Cpu.SysReg.IccPmr, out ulong pmr0));
        Assert.True(board.Cpus[1].TryReadSystemRegister(Arm64Cpu.SysReg.IccPmr, out ulong pmr1));
        Assert.Equal((0UL, 0xa0UL), (pmr0, pmr1));
    }

    [Fact]
    public void With_gicv2_there_is_no_system_register_interface()
    {
        var board = Boot(1, 2);
        Assert.IsType<GicV2>(board.Gic);
        Assert.True(board.Cpu.TryReadSystemRegister(Arm64Cpu.SysReg.Pfr0, out ulong pfr0));
        Assert.Equal(0UL, pfr0 >> 24 & 0xf);
        Assert.False(board.Cpu.TryReadSystemRegister(Arm64Cpu.SysReg.IccSre, out _));
    }

    [Fact]
    public void Gicv3_state_is_its_own_section()
    {
        var names = Boot(1, 3).Machine.StatefulParts.Select(p => p.Name).ToList();
        Assert.Contains("gicv3", names);
        Assert.DoesNotContain("gic", names);
        Assert.Contains("gic", Boot(1, 2).Machine.StatefulParts.Select(p => p.Name));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Device_tree_describes_the_gicv3_as_qemu_with_its_off(int smp)
    {
        var tree = Tree(Boot(smp, 3));
        var gic = tree.Find("/intc@8000000")!;
        Assert.Equal("arm,gic-v3", gic.GetString("compatible"));
        Assert.Equal([0, 0x0800_0000, 0, 0x1_0000, 0, 0x080a_0000, 0, 0xf6_0000], gic.GetCells("reg"));
        Assert.Equal([1u], gic.GetCells("#redistributor-regions"));
        Assert.Equal([3u], gic.GetCells("#interrupt-cells"));
        Assert.Equal([2u], gic.GetCells("#address-cells"));
        Assert.Equal([2u], gic.GetCells("#size-cells"));
        Assert.NotNull(gic.Get("interrupt-controller"));
        Assert.NotNull(gic.Get("ranges"));
        Assert.Null(gic.Get("interrupts")); // the maintenance PPI comes only with virtualization=on
        Assert.Equal(gic.GetCells("phandle"), tree.GetCells("interrupt-parent"));
        // A GICv3's PPI specifiers carry no CPU mask; the SPIs are as with the GICv2.
        Assert.Equal([1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4], tree.Find("/timer")!.GetCells("interrupts"));
        Assert.Equal([0, 1, 4], tree.Find("/pl011@9000000")!.GetCells("interrupts"));
        Assert.Equal([0, 2, 4], tree.Find("/pl031@9010000")!.GetCells("interrupts"));
    }

    [Fact]
    public void A_hundred_and_twenty_three_cpus_boot_with_gicv3_and_one_more_is_a_one_line_error()
    {
        var board = Boot(123, 3);
        Assert.Equal(123, board.Cpus.Length);
        Assert.Equal(0x70aUL, board.Cpus[122].Affinity);
        // CPU 122's redistributor is the last frame of QEMU's first region.
        ulong frame = ArmVirtMap.GicRedistBase + 122 * GicV3.RedistributorStride;
        Assert.Equal(ArmVirtMap.GicRedistBase + GicV3.RedistributorRegionSize, frame + GicV3.RedistributorStride);
        Assert.Equal(0x70aUL << 32 | 122 << 8 | 0x10, Read(board, frame + 8, 8));
        var e = Assert.Throws<BoardConfigException>(() => Boot(124, 3));
        Assert.Equal("-smp 124: the aarch64 virt board with GICv3 has 1 to 123 CPUs (the first redistributor region's; QEMU's second, above 4 GiB, is not modelled)", e.Message);
    }

    /// <summary>As `qemu-system-aarch64 -M virt,gic-version=3,dumpdtb=x.dtb -smp 20` through `dtc -I dtb`.</summary>
    [Fact]
    public void Device_tree_cpu_nodes_are_named_by_index_with_qemus_affinity_as_reg()
    {
        var tree = Tree(Boot(20, 3));
        Assert.Equal([1u], tree.Find("/cpus")!.GetCells("#address-cells"));
        for (int i = 0; i < 20; i++)
        {
            var cpu = tree.Find($"/cpus/cpu@{i}")!;
            Assert.Equal(i < 16 ? (uint)i : 0x100u + (uint)(i - 16), cpu.GetCells("reg")[0]);
            Assert.Equal("psci", cpu.GetString("enable-method"));
            Assert.Equal(cpu.GetCells("phandle"), tree.Find($"/cpus/cpu-map/socket0/cluster0/core{i}")!.GetCells("cpu"));
        }
        Assert.Null(tree.Find("/cpus/cpu@a")); // decimal names, as QEMU's cpu@%d
        Assert.Null(tree.Find("/cpus/cpu@20"));
    }
}
