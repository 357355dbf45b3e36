using Rewind.Board.Devices;

namespace Rewind.Board.DeviceTree;

/// <summary>
/// The device tree QEMU 7.2 gives a riscv64 virt guest (as `-M virt,dumpdtb=` shows it), with the same
/// node order, property order and phandle numbering. Left out: /chosen/rng-seed (random, so not
/// deterministic) and the nodes of devices this board does not model (fw-cfg, flash, platform-bus,
/// pci) and, unless asked for, the pmu node, so a guest never probes hardware that is absent.
/// </summary>
public static class VirtDeviceTree
{
    public const uint TimebaseFrequency = 10_000_000;
    public const uint UartClockFrequency = 0x384000;
    /// <summary>
    /// QEMU 7.2's event map, triples of (first event, last event, counter mask): cycles and instret on
    /// their fixed counters, the cache-miss events on mhpmcounter3 and up, then zero padding as QEMU emits it.
    /// </summary>
    private static ReadOnlySpan<uint> PmuEventMap =>
    [
        0x00001, 0x00001, 0x7fff9, 0x00002, 0x00002, 0x7fffc, 0x10019, 0x10019, 0x7fff8,
        0x1001b, 0x1001b, 0x7fff8, 0x10021, 0x10021, 0x7fff8, 0, 0, 0, 0, 0,
    ];

    private const uint IrqSExternal = 9, IrqMExternal = 11, IrqMSoftware = 3, IrqMTimer = 7;

    public static byte[] Build(VirtConfig config)
    {
        if (config.HartCount < 1) throw new ArgumentOutOfRangeException(nameof(config), "at least one hart is needed");
        var fdt = new FdtBuilder();

        // QEMU numbers phandles as it creates nodes: harts from the last to the first (each cpu then
        // its interrupt controller), then the PLIC, then the test device.
        var cpuPhandle = new uint[config.HartCount];
        var intcPhandle = new uint[config.HartCount];
        for (int h = config.HartCount - 1; h >= 0; h--)
        {
            cpuPhandle[h] = fdt.AllocatePhandle();
            intcPhandle[h] = fdt.AllocatePhandle();
        }
        uint plic = fdt.AllocatePhandle();
        uint test = fdt.AllocatePhandle();

        fdt.BeginNode("")
            .U32("#address-cells", 2)
            .U32("#size-cells", 2)
            .String("compatible", "riscv-virtio")
            .String("model", "riscv-virtio,qemu");

        if (config.IncludePmuNode)
            fdt.BeginNode("pmu")
                .Cells("riscv,event-to-mhpmcounters", PmuEventMap)
                .String("compatible", "riscv,pmu")
                .EndNode();

        fdt.BeginNode("chosen");
        if (!string.IsNullOrEmpty(config.Bootargs)) fdt.String("bootargs", config.Bootargs);
        fdt.String("stdout-path", $"/soc/serial@{VirtMemoryMap.Uart0Base:x}");
        // QEMU 7.2 adds these once the RAM disk is loaded, as single cells (RAM lies below 4 GiB).
        if (config.Initrd is var (initrdStart, initrdEnd))
            fdt.U32("linux,initrd-start", (uint)initrdStart).U32("linux,initrd-end", (uint)initrdEnd);
        fdt.EndNode();

        SysconNode(fdt, "poweroff", SifiveTest.FinisherPass, test, "syscon-poweroff");
        SysconNode(fdt, "reboot", SifiveTest.FinisherReset, test, "syscon-reboot");

        fdt.BeginNode($"memory@{VirtMemoryMap.DramBase:x}")
            .String("device_type", "memory")
            .Cells("reg", Reg(VirtMemoryMap.DramBase, config.RamSize))
            .EndNode();

        Cpus(fdt, config, cpuPhandle, intcPhandle);
        Soc(fdt, config, intcPhandle, plic, test);

        fdt.EndNode();
        return fdt.Finish();
    }

    private static void SysconNode(FdtBuilder fdt, string name, uint value, uint regmap, string compatible) =>
        fdt.BeginNode(name)
            .U32("value", value)
            .U32("offset", 0)
            .U32("regmap", regmap)
            .String("compatible", compatible)
            .EndNode();

    private static void Cpus(FdtBuilder fdt, VirtConfig config, uint[] cpuPhandle, uint[] intcPhandle)
    {
        fdt.BeginNode("cpus")
            .U32("#address-cells", 1)
            .U32("#size-cells", 0)
            .U32("timebase-frequency", TimebaseFrequency);
        for (int h = 0; h < config.HartCount; h++)
        {
            fdt.BeginNode($"cpu@{h:x}")
                .Phandle(cpuPhandle[h])
                .String("device_type", "cpu")
                .U32("reg", (uint)h)
                .String("status", "okay")
                .String("compatible", "riscv")
                .String("riscv,isa", config.IsaString)
                .String("mmu-type", config.MmuType);
            fdt.BeginNode("interrupt-controller")
                .U32("#interrupt-cells", 1)
                .Empty("interrupt-controller")
                .String("compatible", "riscv,cpu-intc")
                .Phandle(intcPhandle[h])
                .EndNode();
            fdt.EndNode();
        }
        fdt.BeginNode("cpu-map").BeginNode("cluster0");
        for (int h = 0; h < config.HartCount; h++)
            fdt.BeginNode($"core{h}").U32("cpu", cpuPhandle[h]).EndNode();
        fdt.EndNode().EndNode();
        fdt.EndNode();
    }

    private static void Soc(FdtBuilder fdt, VirtConfig config, uint[] intcPhandle, uint plic, uint test)
    {
        fdt.BeginNode("soc")
            .U32("#address-cells", 2)
            .U32("#size-cells", 2)
            .String("compatible", "simple-bus")
            .Empty("ranges");

        fdt.BeginNode($"rtc@{VirtMemoryMap.RtcBase:x}")
            .U32("interrupts", VirtMemoryMap.RtcIrq)
            .U32("interrupt-parent", plic)
            .Cells("reg", Reg(VirtMemoryMap.RtcBase, VirtMemoryMap.RtcSize))
            .String("compatible", "google,goldfish-rtc")
            .EndNode();

        fdt.BeginNode($"serial@{VirtMemoryMap.Uart0Base:x}")
            .U32("interrupts", VirtMemoryMap.Uart0Irq)
            .U32("interrupt-parent", plic)
            .U32("clock-frequency", UartClockFrequency)
            .Cells("reg", Reg(VirtMemoryMap.Uart0Base, VirtMemoryMap.Uart0Size))
            .String("compatible", "ns16550a")
            .EndNode();

        fdt.BeginNode($"test@{VirtMemoryMap.TestBase:x}")
            .Phandle(test)
            .Cells("reg", Reg(VirtMemoryMap.TestBase, VirtMemoryMap.TestSize))
            .Strings("compatible", "sifive,test1", "sifive,test0", "syscon")
            .EndNode();

        // QEMU adds the slots first to last and libfdt prepends, so the last slot comes first.
        for (int i = VirtMemoryMap.VirtioCount - 1; i >= 0; i--)
        {
            ulong b = VirtMemoryMap.VirtioBase + (ulong)i * VirtMemoryMap.VirtioSize;
            fdt.BeginNode($"virtio_mmio@{b:x}")
                .U32("interrupts", (uint)(VirtMemoryMap.FirstVirtioIrq + i))
                .U32("interrupt-parent", plic)
                .Cells("reg", Reg(b, VirtMemoryMap.VirtioSize))
                .String("compatible", "virtio,mmio")
                .EndNode();
        }

        var plicIrqs = new List<uint>();
        var clintIrqs = new List<uint>();
        for (int h = 0; h < config.HartCount; h++)
        {
            plicIrqs.AddRange([intcPhandle[h], IrqMExternal, intcPhandle[h], IrqSExternal]);
            clintIrqs.AddRange([intcPhandle[h], IrqMSoftware, intcPhandle[h], IrqMTimer]);
        }

        fdt.BeginNode($"plic@{VirtMemoryMap.PlicBase:x}")
            .Phandle(plic)
            .U32("riscv,ndev", VirtMemoryMap.PlicSources)
            .Cells("reg", Reg(VirtMemoryMap.PlicBase, VirtMemoryMap.PlicSize))
            .Cells("interrupts-extended", [.. plicIrqs])
            .Empty("interrupt-controller")
            .Strings("compatible", "sifive,plic-1.0.0", "riscv,plic0")
            .U32("#address-cells", 0)
            .U32("#interrupt-cells", 1)
            .EndNode();

        fdt.BeginNode($"clint@{VirtMemoryMap.ClintBase:x}")
            .Cells("interrupts-extended", [.. clintIrqs])
            .Cells("reg", Reg(VirtMemoryMap.ClintBase, VirtMemoryMap.ClintSize))
            .Strings("compatible", "sifive,clint0", "riscv,clint0")
            .EndNode();

        fdt.EndNode();
    }

    private static uint[] Reg(ulong address, ulong size) =>
        [(uint)(address >> 32), (uint)address, (uint)(size >> 32), (uint)size];
}
