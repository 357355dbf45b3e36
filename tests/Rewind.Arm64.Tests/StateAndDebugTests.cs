using Rewind.Arm64.Debug;
using Rewind.Core.Cpu;

namespace Rewind.Arm64.Tests;

/// <summary>Snapshots, breakpoints, watchpoints and the GDB register file.</summary>
public class StateAndDebugTests
{
    [Fact]
    public void Saved_state_loads_into_a_fresh_cpu_that_then_runs_identically()
    {
        var a = new CpuRig(0xb1000420, 0xb1000420, 0xb1000420); // adds x0, x1, #1 (x3)
        a.Cpu.SetX(1, 41);
        a.Cpu.SetV(3, 0x1234, 0x5678);
        a.Step();
        using var ms = new MemoryStream();
        a.Cpu.SaveState(new BinaryWriter(ms));
        var b = new CpuRig(0xb1000420, 0xb1000420, 0xb1000420);
        ms.Position = 0;
        b.Cpu.LoadState(new BinaryReader(ms));
        a.Step(2);
        b.Step(2);
        Assert.Equal(a.Cpu.Pc, b.Cpu.Pc);
        Assert.Equal(a.Cpu.GetX(0), b.Cpu.GetX(0));
        Assert.Equal(a.Cpu.Icount, b.Cpu.Icount);
        Assert.Equal(0x5678UL, b.Cpu.GetVHigh(3));
    }

    [Fact]
    public void A_breakpoint_stops_before_the_instruction_and_step_over_runs_it()
    {
        var rig = new CpuRig(0xd503201f, 0xd503201f, 0xd503201f);
        rig.Cpu.AddBreakpoint(CpuRig.Ram + 4);
        Assert.Equal(CpuStop.Breakpoint, rig.Cpu.Run(10));
        Assert.Equal(CpuRig.Ram + 4, rig.Cpu.Pc);
        Assert.Equal(CpuStop.Limit, rig.Cpu.Run(rig.Cpu.Icount + 1, stepOverBreakpoint: true));
        Assert.Equal(CpuRig.Ram + 8, rig.Cpu.Pc);
    }

    [Fact]
    public void A_write_watchpoint_stops_before_the_store_and_leaves_memory_unchanged()
    {
        var rig = new CpuRig(0xf9000083); // str x3, [x4]
        rig.Cpu.SetX(3, 99);
        rig.Cpu.SetX(4, CpuRig.Ram + 0x300);
        rig.Cpu.AddWatchpoint(new Watchpoint(CpuRig.Ram + 0x300, 8, WatchKind.Write));
        Assert.Equal(CpuStop.Watchpoint, rig.Cpu.Run(10));
        Assert.Equal(CpuRig.Ram, rig.Cpu.Pc);
        Assert.Equal(0UL, rig.Read64(CpuRig.Ram + 0x300));
        Assert.Equal(CpuStop.Limit, rig.Cpu.Run(rig.Cpu.Icount + 1));
        Assert.Equal(99UL, rig.Read64(CpuRig.Ram + 0x300));
    }

    [Fact]
    public void Gdb_register_file_numbers_registers_as_qemu_with_a_32_bit_cpsr_and_128_bit_vectors()
    {
        var rig = new CpuRig(0xd503201f);
        rig.Cpu.SetX(0, 0x0102030405060708);
        rig.Cpu.SetV(0, 1, 2);
        var regs = rig.Cpu.Registers;
        Assert.Equal(32, regs.PcRegister);
        Assert.Equal(34, regs.GPacketCount);
        Assert.Equal("0807060504030201", regs.ReadHex(0));
        Assert.Equal("c5030000", regs.ReadHex(Arm64Registers.Cpsr));
        Assert.Equal("01000000000000000200000000000000", regs.ReadHex(Arm64Registers.FirstV));
        Assert.Contains("<architecture>aarch64</architecture>", regs.Feature("target.xml"));
        Assert.Contains("org.gnu.gdb.aarch64.core", regs.Feature("aarch64-core.xml"));
        Assert.Contains("name=\"fpcr\"", regs.Feature("aarch64-fpu.xml"));
        Assert.True(regs.Write(31, BitConverter.GetBytes(0x4000_1000UL)));
        Assert.Equal(0x4000_1000UL, rig.Cpu.Sp);
    }
}
