using Rewind.Board.Arm;
using Rewind.Board.DeviceTree;
using Rewind.Core.Execution;
using Rewind.Core.State;
using Rewind.TestSupport;

namespace Rewind.Board.Tests.Arm;

/// <summary>
/// The aarch64 virt board with -smp N: CPU 0 boots, the others wait powered off for PSCI CPU_ON; the
/// CPUs take turns as RISC-V harts do; the device tree names each CPU as QEMU's does.
/// </summary>
public sealed class ArmVirtSmpTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-armsmp").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// An arm64 Image (header, code at 0x40): CPU 0 starts CPU 1 at `secondary` with context 0x55 and
    /// waits for its flag; CPU 1 stores its MPIDR_EL1 and the context and turns itself off; CPU 0 then
    /// calls SYSTEM_OFF. Assembled with aarch64-linux-gnu-as.
    /// </summary>
    private static readonly uint[] Program =
    [
        0xd2800060, // mov  x0, #0x3
        0xf2b88000, // movk x0, #0xc400, lsl #16     CPU_ON (64-bit)
        0xd2800021, // mov  x1, #1                   target MPIDR
        0x10000162, // adr  x2, secondary
        0xd2800aa3, // mov  x3, #0x55                context id
        0xd4000002, // hvc  #0
        0xaa0003e9, // mov  x9, x0
        0x100001e5, // adr  x5, flag
        0xf94000a4, // 1: ldr x4, [x5]
        0xb4ffffe4, // cbz  x4, 1b
        0xd2800100, // mov  x0, #0x8
        0xf2b08000, // movk x0, #0x8400, lsl #16     SYSTEM_OFF
        0xd4000002, // hvc  #0
        0x14000000, // b    .
        0x10000105, // secondary: adr x5, flag
        0xd53800a6, // mrs  x6, mpidr_el1
        0xf90004a6, // str  x6, [x5, #8]
        0xf90000a0, // str  x0, [x5]
        0xd2800040, // mov  x0, #0x2
        0xf2b08000, // movk x0, #0x8400, lsl #16     CPU_OFF
        0xd4000002, // hvc  #0
        0x14000000, // b    .
        0, 0, 0, 0, // flag: .quad 0, 0
    ];
    private const ulong Entry = 0x4020_0000, Flag = Entry + 0x98;

    private ArmVirtBoard Boot(int smp)
    {
        string path = Arm64Image.Save(_dir, Arm64Image.Build(Program));
        return ArmVirtBoard.Create(new BoardOptions { Arch = GuestArch.Aarch64, Bios = "none", RamSize = 128UL << 20, Kernel = path, Smp = smp });
    }

    private static ulong Read64(ArmVirtBoard board, ulong address)
    {
        Assert.True(board.Bus.TryRead(address, 8, out ulong v));
        return v;
    }

    [Fact]
    public void Cpu_0_starts_cpu_1_through_psci_and_cpu_1_reads_its_own_mpidr()
    {
        var board = Boot(2);
        Assert.Equal(2, board.Machine.Cpus.Length);
        Assert.True(board.Cpus[1].PoweredOff);
        var stop = board.Machine.Run(10_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        Assert.Equal(0UL, board.Cpu.GetX(9)); // CPU_ON's SUCCESS
        Assert.Equal(0x55UL, Read64(board, Flag));
        Assert.Equal(0x8000_0001UL, Read64(board, Flag + 8));
        Assert.True(board.Cpus[1].PoweredOff);
    }

    [Fact]
    public void System_reset_boots_cpu_0_again_and_turns_the_others_off()
    {
        var board = Boot(2);
        Assert.Equal(StopKind.Exited, board.Machine.Run(10_000_000).Kind);
        board.Cpus[1].PowerOn(Entry + 0x74, 0); // as if CPU 1 were running when the reset came
        board.Machine.OnReset!();
        Assert.True(board.Cpus[1].PoweredOff);
        Assert.False(board.Cpu.PoweredOff);
        Assert.Equal(Entry, board.Cpu.Pc);
        Assert.Equal(board.FdtAddress, board.Cpu.GetX(0));
    }

    [Fact]
    public void On_one_cpu_cpu_on_of_cpu_1_is_invalid_and_cpu_0_waits_forever()
    {
        var board = Boot(1);
        var stop = board.Machine.Run(100_000);
        Assert.Equal(StopKind.Reached, stop.Kind);
        Assert.Equal(unchecked((ulong)ArmPsci.InvalidParameters), board.Cpu.GetX(9));
    }

    [Fact]
    public void A_snapshot_in_the_middle_restores_the_power_states_and_runs_the_same()
    {
        var board = Boot(3);
        board.Machine.Run(3);
        // CPU 0 has not called CPU_ON yet: a snapshot now, restored after the run, puts CPU 1 back off.
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms)) StateSections.Write(w, board.Machine.StatefulParts);
        byte[] state = ms.ToArray();
        Assert.Equal(StopKind.Exited, board.Machine.Run(10_000_000).Kind);
        ulong end = board.Machine.Icount;
        StateSections.Load(state, board.Machine.StatefulParts);
        Assert.True(board.Cpus[1].PoweredOff);
        board.Bus.TryWrite(Flag, 8, 0);
        board.Bus.TryWrite(Flag + 8, 8, 0);
        Assert.Equal(StopKind.Exited, board.Machine.Run(10_000_000).Kind);
        Assert.Equal(end, board.Machine.Icount);
        Assert.Equal(0x55UL, Read64(board, Flag));
    }

    [Theory]
    [InlineData(1, 0x104u)]
    [InlineData(2, 0x304u)]
    [InlineData(8, 0xff04u)]
    public void Device_tree_has_a_psci_cpu_node_per_cpu_and_timer_ppis_for_all(int smp, uint flags)
    {
        var board = Boot(smp);
        byte[] blob = new byte[64 * 1024];
        board.Bus.ReadBytes(board.FdtAddress, blob);
        var tree = FdtReader.Parse(blob);
        for (int i = 0; i < smp; i++)
        {
            var cpu = tree.Find($"/cpus/cpu@{i}")!;
            Assert.Equal((uint)i, cpu.GetCells("reg")[0]);
            Assert.Equal(smp > 1 ? "psci" : null, cpu.GetString("enable-method"));
        }
        Assert.Null(tree.Find($"/cpus/cpu@{smp}"));
        Assert.Equal(smp > 1, tree.Find("/cpus/cpu-map/socket0/cluster0/core0") != null);
        var timer = tree.Find("/timer")!.GetCells("interrupts");
        Assert.Equal([1, 13, flags, 1, 14, flags, 1, 11, flags, 1, 10, flags], timer);
        Assert.Equal("hvc", tree.Find("/psci")!.GetString("method"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Smp_outside_1_to_8_is_a_one_line_error(int smp)
    {
        var e = Assert.Throws<BoardConfigException>(() => Boot(smp));
        Assert.Equal($"-smp {smp}: the aarch64 virt board with GICv2 has 1 to 8 CPUs (as QEMU's)", e.Message);
    }
}
