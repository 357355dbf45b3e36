using Rewind.Arm64;
using Rewind.Board.DeviceTree;

namespace Rewind.Board.Arm;

/// <summary>
/// The device tree of the arm virt board for the devices modelled here: memory, the CPUs, PSCI over
/// HVC, fw_cfg, the virtio-mmio slots, the GICv2, the generic timer's PPIs, the PL011, the PL031 and
/// the flash (as QEMU describes them).
/// </summary>
public static class ArmVirtDeviceTree
{
    public const uint ApbClockHz = 24_000_000;

    public static byte[] Build(ulong ramSize, string? bootargs, ArmCpuModel model, int cpus = 1, (ulong Start, ulong End)? initrd = null, int gicVersion = 2)
    {
        var fdt = new FdtBuilder();
        uint clock = fdt.AllocatePhandle();
        uint gic = fdt.AllocatePhandle();
        fdt.BeginNode("")
            .U32("interrupt-parent", gic)
            .U32("#size-cells", 2)
            .U32("#address-cells", 2)
            .String("compatible", "linux,dummy-virt")
            .String("model", "linux,dummy-virt");

        fdt.BeginNode("psci")
            .U32("migrate", 0xc400_0005)
            .U32("cpu_on", 0xc400_0003)
            .U32("cpu_off", 0x8400_0002)
            .U32("cpu_suspend", 0xc400_0001)
            .String("method", "hvc")
            .Strings("compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci")
            .EndNode();

        fdt.BeginNode($"memory@{ArmVirtMap.RamBase:x}")
            .Cells("reg", (uint)(ArmVirtMap.RamBase >> 32), (uint)ArmVirtMap.RamBase, (uint)(ramSize >> 32), (uint)ramSize)
            .String("device_type", "memory")
            .EndNode();

        fdt.BeginNode($"fw-cfg@{ArmVirtMap.FwCfgBase:x}")
            .Empty("dma-coherent")
            .Cells("reg", 0, (uint)ArmVirtMap.FwCfgBase, 0, (uint)FwCfg.Size)
            .String("compatible", "qemu,fw-cfg-mmio")
            .EndNode();

        // All 32 slots, lowest address first as in QEMU's tree, whether or not a device is in them; SPI 16 + N, edge rising.
        var virtio = VirtioLayout.Arm;
        for (int i = 0; i < virtio.Count; i++)
        {
            ulong at = virtio.Address(i);
            fdt.BeginNode(virtio.NodeName(i))
                .Empty("dma-coherent")
                .Cells("interrupts", 0, (uint)(virtio.FirstIrq + i), 1)
                .Cells("reg", 0, (uint)at, 0, (uint)virtio.Stride)
                .String("compatible", "virtio,mmio")
                .EndNode();
        }

        fdt.BeginNode($"pl031@{ArmVirtMap.RtcBase:x}")
            .String("clock-names", "apb_pclk")
            .U32("clocks", clock)
            .Cells("interrupts", 0, ArmVirtMap.RtcSpi, 4)
            .Cells("reg", 0, (uint)ArmVirtMap.RtcBase, 0, (uint)ArmVirtMap.RtcSize)
            .Strings("compatible", "arm,pl031", "arm,primecell")
            .EndNode();

        fdt.BeginNode($"pl011@{ArmVirtMap.UartBase:x}")
            .Strings("clock-names", "uartclk", "apb_pclk")
            .Cells("clocks", clock, clock)
            .Cells("interrupts", 0, ArmVirtMap.UartSpi, 4)
            .Cells("reg", 0, (uint)ArmVirtMap.UartBase, 0, (uint)ArmVirtMap.UartSize)
            .Strings("compatible", "arm,pl011", "arm,primecell")
            .EndNode();

        if (gicVersion == 3) AddGicV3(fdt, gic);
        else
        {
            fdt.BeginNode($"intc@{ArmVirtMap.GicDistBase:x}")
                .Cells("reg", 0, (uint)ArmVirtMap.GicDistBase, 0, (uint)GicV2.DistributorSize, 0, (uint)ArmVirtMap.GicCpuBase, 0, (uint)GicV2.CpuInterfaceSize)
                .String("compatible", "arm,cortex-a15-gic")
                .Empty("interrupt-controller")
                .U32("#interrupt-cells", 3)
                .Phandle(gic)
                .EndNode();
        }

        // PPIs 13, 14, 11, 10 (secure, non-secure physical, virtual, hypervisor), level high, with
        // GICv2's mask of the CPUs they reach in bits 15:8 (every CPU has its own timer), as QEMU;
        // a GICv3's PPI specifiers have no such mask.
        uint ppi = gicVersion == 3 ? 0x4 : 0x4 | ((1u << cpus) - 1) << 8;
        fdt.BeginNode("timer")
            .Cells("interrupts", 1, 13, ppi, 1, 14, ppi, 1, 11, ppi, 1, 10, ppi)
            .Empty("always-on")
            .String("compatible", "arm,armv8-timer")
            .EndNode();

        fdt.BeginNode("apb-pclk")
            .String("clock-output-names", "clk24mhz")
            .U32("clock-frequency", ApbClockHz)
            .U32("#clock-cells", 0)
            .String("compatible", "fixed-clock")
            .Phandle(clock)
            .EndNode();

        fdt.BeginNode("flash@0")
            .U32("bank-width", CfiFlash.BankWidth)
            .Cells("reg", 0, (uint)ArmVirtMap.Flash0Base, 0, (uint)CfiFlash.BankSize, 0, (uint)ArmVirtMap.Flash1Base, 0, (uint)CfiFlash.BankSize)
            .String("compatible", "cfi-flash")
            .EndNode();

        AddCpus(fdt, model, cpus);

        fdt.BeginNode("chosen");
        if (!string.IsNullOrEmpty(bootargs)) fdt.String("bootargs", bootargs);
        // QEMU 7.2 adds the RAM disk's bounds as single cells (RAM lies below 4 GiB).
        if (initrd is var (initrdStart, initrdEnd)) fdt.U32("linux,initrd-start", (uint)initrdStart).U32("linux,initrd-end", (uint)initrdEnd);
        fdt.String("stdout-path", $"/pl011@{ArmVirtMap.UartBase:x}").EndNode();

        fdt.EndNode();
        return fdt.Finish();
    }

    /// <summary>
    /// The GICv3 as QEMU 7.2 describes it with its=off: the distributor and one redistributor region
    /// of QEMU's fixed size (Linux walks its frames to the one whose GICR_TYPER says Last). The
    /// maintenance interrupt is listed only with virtualization=on, which is not modelled, so there
    /// is no interrupts property (as QEMU); the empty ranges and cell sizes are for an ITS child.
    /// </summary>
    private static void AddGicV3(FdtBuilder fdt, uint phandle)
    {
        fdt.BeginNode($"intc@{ArmVirtMap.GicDistBase:x}")
            .Phandle(phandle)
            .Cells("reg", 0, (uint)ArmVirtMap.GicDistBase, 0, (uint)GicV3.DistributorSize, 0, (uint)ArmVirtMap.GicRedistBase, 0, (uint)GicV3.RedistributorRegionSize)
            .U32("#redistributor-regions", 1)
            .String("compatible", "arm,gic-v3")
            .Empty("ranges")
            .U32("#size-cells", 2)
            .U32("#address-cells", 2)
            .Empty("interrupt-controller")
            .U32("#interrupt-cells", 3)
            .EndNode();
    }

    /// <summary>
    /// A node per CPU, named by its index in decimal (cpu@16) and reg its MPIDR affinity (0x100), as
    /// QEMU 7.2's fdt_add_cpu_nodes; one address cell, as no CPU here has an Aff3. With several, as QEMU: each started through
    /// PSCI (`enable-method`), with a phandle, and a cpu-map of one socket and cluster, a core per CPU.
    /// One CPU gets the node this board always gave it.
    /// </summary>
    private static void AddCpus(FdtBuilder fdt, ArmCpuModel model, int cpus)
    {
        string compatible = model switch
        {
            ArmCpuModel.CortexA53 => "arm,cortex-a53",
            ArmCpuModel.CortexA57 => "arm,cortex-a57",
            ArmCpuModel.CortexA72 => "arm,cortex-a72",
            _ => "arm,arm-v8",
        };
        fdt.BeginNode("cpus")
            .U32("#size-cells", 0)
            .U32("#address-cells", 1);
        uint[] phandles = new uint[cpus];
        if (cpus > 1)
        {
            // QEMU hands out the phandles from the last CPU down.
            for (int i = cpus - 1; i >= 0; i--) phandles[i] = fdt.AllocatePhandle();
            fdt.BeginNode("cpu-map").BeginNode("socket0").BeginNode("cluster0");
            for (int i = 0; i < cpus; i++) fdt.BeginNode($"core{i}").U32("cpu", phandles[i]).EndNode();
            fdt.EndNode().EndNode().EndNode();
        }
        for (int i = 0; i < cpus; i++)
        {
            fdt.BeginNode($"cpu@{i}");
            if (cpus > 1) fdt.Phandle(phandles[i]);
            fdt.U32("reg", (uint)ArmAffinity.OfIndex(i));
            if (cpus > 1) fdt.String("enable-method", "psci");
            fdt.String("compatible", compatible)
                .String("device_type", "cpu")
                .EndNode();
        }
        fdt.EndNode();
    }
}
