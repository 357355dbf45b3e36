using System.Diagnostics;
using System.Text;
using Rewind.Board.DeviceTree;

namespace Rewind.Board.Tests;

public class FdtTests
{
    [Fact]
    public void FdtBuilder_Header_HasMagicVersionAndConsistentOffsets()
    {
        var b = new FdtBuilder();
        b.AddReservation(0x80000000, 0x1000);
        b.BeginNode("").U32("#address-cells", 2).EndNode();
        var blob = b.Finish();
        var h = FdtReader.ReadHeader(blob);
        Assert.Equal(0xd00dfeedu, h.Magic);
        Assert.Equal((uint)blob.Length, h.TotalSize);
        Assert.Equal(17u, h.Version);
        Assert.Equal(16u, h.LastCompVersion);
        Assert.Equal(40u, h.OffRsvmap);
        Assert.Equal(h.OffRsvmap + 32, h.OffStruct);
        Assert.Equal(h.OffStruct + h.SizeStruct, h.OffStrings);
        Assert.Equal(0u, h.OffStruct % 4);
        Assert.Equal([(0x80000000UL, 0x1000UL)], FdtReader.ReadReservations(blob));
    }

    [Fact]
    public void FdtBuilder_Properties_RoundTripThroughParser()
    {
        var b = new FdtBuilder();
        uint ph = b.AllocatePhandle();
        b.BeginNode("")
            .String("model", "m")
            .Strings("compatible", "a", "bc")
            .U64("big", 0x1_0000_0002)
            .Cells("cells", 1, 2, 3)
            .Empty("flag")
            .BeginNode("child@1").Phandle(ph).U32("model", 7).EndNode()
            .EndNode();
        var root = FdtReader.Parse(b.Finish());
        Assert.Equal("", root.Name);
        Assert.Equal("m", root.GetString("model"));
        Assert.Equal(["a", "bc"], root.GetStrings("compatible"));
        Assert.Equal([1u, 2u], root.GetCells("big"));
        Assert.Equal([1u, 2u, 3u], root.GetCells("cells"));
        Assert.Empty(root.Get("flag")!);
        var child = root.Find("/child@1")!;
        Assert.Equal([1u], child.GetCells("phandle"));
        Assert.Equal([7u], child.GetCells("model"));
    }

    [Fact]
    public void FdtBuilder_SharesPropertyNamesInTheStringsBlock()
    {
        var b = new FdtBuilder();
        b.BeginNode("").U32("reg", 1).BeginNode("x").U32("reg", 2).EndNode().EndNode();
        var blob = b.Finish();
        Assert.Equal(4u, FdtReader.ReadHeader(blob).SizeStrings); // "reg\0" once
    }

    [Fact]
    public void FdtBuilder_UnbalancedNodes_AreRejected()
    {
        var b = new FdtBuilder();
        b.BeginNode("");
        Assert.Throws<InvalidOperationException>(() => b.Finish());
        Assert.Throws<InvalidOperationException>(() => new FdtBuilder().BeginNode("notroot"));
    }

    [Fact]
    public void VirtDeviceTree_HasQemuVirtNodesAndValues()
    {
        var root = FdtReader.Parse(VirtDeviceTree.Build(new VirtConfig(Bootargs: "console=ttyS0")));
        Assert.Equal("riscv-virtio,qemu", root.GetString("model"));
        Assert.Equal("/soc/serial@10000000", root.Find("/chosen")!.GetString("stdout-path"));
        Assert.Equal("console=ttyS0", root.Find("/chosen")!.GetString("bootargs"));
        Assert.Null(root.Find("/chosen")!.Get("rng-seed"));
        Assert.Equal([0u, 0x80000000u, 0u, 0x8000000u], root.Find("/memory@80000000")!.GetCells("reg"));
        Assert.Equal([10_000_000u], root.Find("/cpus")!.GetCells("timebase-frequency"));
        var cpu = root.Find("/cpus/cpu@0")!;
        Assert.Equal("rv64imafdc_zicsr_zifencei_sstc", cpu.GetString("riscv,isa"));
        Assert.Equal("riscv,sv48", cpu.GetString("mmu-type"));
        Assert.Equal([1u], cpu.GetCells("phandle"));
        Assert.Equal([2u], root.Find("/cpus/cpu@0/interrupt-controller")!.GetCells("phandle"));
        Assert.Equal([1u], root.Find("/cpus/cpu-map/cluster0/core0")!.GetCells("cpu"));
        var plic = root.Find("/soc/plic@c000000")!;
        Assert.Equal([3u], plic.GetCells("phandle"));
        Assert.Equal([96u], plic.GetCells("riscv,ndev"));
        Assert.Equal([2u, 11u, 2u, 9u], plic.GetCells("interrupts-extended"));
        Assert.Equal([2u, 3u, 2u, 7u], root.Find("/soc/clint@2000000")!.GetCells("interrupts-extended"));
        var serial = root.Find("/soc/serial@10000000")!;
        Assert.Equal([0x384000u], serial.GetCells("clock-frequency"));
        Assert.Equal([10u], serial.GetCells("interrupts"));
        Assert.Equal([3u], serial.GetCells("interrupt-parent"));
        Assert.Equal(["sifive,test1", "sifive,test0", "syscon"], root.Find("/soc/test@100000")!.GetStrings("compatible"));
        Assert.Equal([4u], root.Find("/poweroff")!.GetCells("regmap"));
        Assert.Equal([0x5555u], root.Find("/poweroff")!.GetCells("value"));
        Assert.Equal([0x7777u], root.Find("/reboot")!.GetCells("value"));
        Assert.Equal([11u], root.Find("/soc/rtc@101000")!.GetCells("interrupts"));
        var soc = root.Find("/soc")!;
        var virtio = soc.Children.Where(c => c.Name.StartsWith("virtio_mmio@")).Select(c => c.Name).ToArray();
        Assert.Equal(Enumerable.Range(0, 8).Reverse().Select(i => $"virtio_mmio@{0x10001000 + 0x1000 * i:x}"), virtio);
        Assert.Equal([8u], soc.Child("virtio_mmio@10008000")!.GetCells("interrupts"));
    }

    [Fact]
    public void VirtDeviceTree_TwoHarts_NumbersPhandlesLikeQemu()
    {
        var root = FdtReader.Parse(VirtDeviceTree.Build(new VirtConfig(RamSize: 256UL << 20, HartCount: 2)));
        Assert.Equal([3u], root.Find("/cpus/cpu@0")!.GetCells("phandle"));
        Assert.Equal([4u], root.Find("/cpus/cpu@0/interrupt-controller")!.GetCells("phandle"));
        Assert.Equal([1u], root.Find("/cpus/cpu@1")!.GetCells("phandle"));
        Assert.Equal([1u], root.Find("/cpus/cpu-map/cluster0/core1")!.GetCells("cpu"));
        Assert.Equal([4u, 11u, 4u, 9u, 2u, 11u, 2u, 9u], root.Find("/soc/plic@c000000")!.GetCells("interrupts-extended"));
        Assert.Equal([4u, 3u, 4u, 7u, 2u, 3u, 2u, 7u], root.Find("/soc/clint@2000000")!.GetCells("interrupts-extended"));
        Assert.Equal([6u], root.Find("/reboot")!.GetCells("regmap"));
        Assert.Null(root.Find("/chosen")!.Get("bootargs"));
    }

    [Fact]
    public void VirtDeviceTree_IsDeterministic()
    {
        var cfg = new VirtConfig(Bootargs: "x");
        Assert.Equal(VirtDeviceTree.Build(cfg), VirtDeviceTree.Build(cfg));
    }

    /// <summary>The reference decompiler must accept the blob too, when it is installed.</summary>
    [Fact]
    public void VirtDeviceTree_IsAcceptedByDtcWhenInstalled()
    {
        const string dtc = "/usr/bin/dtc";
        if (!File.Exists(dtc)) return; // the parser tests above check the structure without dtc
        string path = Path.Combine(Path.GetTempPath(), $"rewind-virt-{Environment.ProcessId}.dtb");
        File.WriteAllBytes(path, VirtDeviceTree.Build(new VirtConfig(HartCount: 2, Bootargs: "a b")));
        try
        {
            var psi = new ProcessStartInfo(dtc, ["-I", "dtb", "-O", "dts", path])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            string dts = p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, err);
            Assert.Contains("serial@10000000", dts);
            Assert.Contains("bootargs = \"a b\";", dts);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class VirtDeviceTreeOptionTests
{
    [Fact]
    public void VirtDeviceTree_PmuNode_OnlyWhenAskedFor()
    {
        Assert.Null(FdtReader.Parse(VirtDeviceTree.Build(new VirtConfig())).Find("/pmu"));
        var pmu = FdtReader.Parse(VirtDeviceTree.Build(new VirtConfig { IncludePmuNode = true })).Find("/pmu")!;
        Assert.Equal("riscv,pmu", pmu.GetString("compatible"));
        Assert.Equal(20, pmu.GetCells("riscv,event-to-mhpmcounters").Length);
    }
}
