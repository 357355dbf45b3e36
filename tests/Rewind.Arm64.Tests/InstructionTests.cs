using Rewind.Core.Cpu;

namespace Rewind.Arm64.Tests;

/// <summary>Single instructions: results, flags, write-back, exclusives; encodings from GNU as.</summary>
public class InstructionTests
{
    [Fact]
    public void Adds_immediate_sets_the_carry_and_zero_flags_on_wrap_around()
    {
        var rig = new CpuRig(0xb1000420); // adds x0, x1, #1
        rig.Cpu.SetX(1, ulong.MaxValue);
        rig.Step();
        Assert.Equal(0UL, rig.Cpu.GetX(0));
        Assert.Equal(0x6000_0000u, rig.Cpu.Nzcv); // Z and C
        Assert.Equal(CpuRig.Ram + 4, rig.Cpu.Pc);
    }

    [Fact]
    public void Subs_of_equal_registers_gives_zero_with_carry_set()
    {
        var rig = new CpuRig(0xeb010022); // subs x2, x1, x1
        rig.Cpu.SetX(1, 1234);
        rig.Step();
        Assert.Equal(0UL, rig.Cpu.GetX(2));
        Assert.Equal(0x6000_0000u, rig.Cpu.Nzcv);
    }

    [Fact]
    public void Logical_immediate_decodes_a_replicated_bit_mask()
    {
        var rig = new CpuRig(0x92089c29); // and x9, x1, #0xff00ff00ff00ff00
        rig.Cpu.SetX(1, 0x1234_5678_9abc_def0);
        rig.Step();
        Assert.Equal(0x1200_5600_9a00_de00UL, rig.Cpu.GetX(9));
    }

    [Fact]
    public void Load_pair_post_index_loads_both_and_writes_the_base_back()
    {
        var rig = new CpuRig(0xa8c11d06); // ldp x6, x7, [x8], #16
        rig.Bus.TryWrite(CpuRig.Ram + 0x100, 8, 0x1111);
        rig.Bus.TryWrite(CpuRig.Ram + 0x108, 8, 0x2222);
        rig.Cpu.SetX(8, CpuRig.Ram + 0x100);
        rig.Step();
        Assert.Equal(0x1111UL, rig.Cpu.GetX(6));
        Assert.Equal(0x2222UL, rig.Cpu.GetX(7));
        Assert.Equal(CpuRig.Ram + 0x110, rig.Cpu.GetX(8));
    }

    [Fact]
    public void Store_exclusive_succeeds_after_load_exclusive_and_fails_after_clrex()
    {
        // ldxr x3, [x4]; stxr w5, x3, [x4]; clrex; stxr w5, x3, [x4]
        var rig = new CpuRig(0xc85f7c83, 0xc8057c83, 0xd5033f5f, 0xc8057c83);
        rig.Cpu.SetX(4, CpuRig.Ram + 0x200);
        rig.Bus.TryWrite(CpuRig.Ram + 0x200, 8, 77);
        rig.Step(2);
        Assert.Equal(0UL, rig.Cpu.GetX(5));
        rig.Step(2);
        Assert.Equal(1UL, rig.Cpu.GetX(5));
    }

    [Fact]
    public void Ending_a_turn_drops_the_exclusive_monitor()
    {
        var rig = new CpuRig(0xc85f7c83, 0xc8057c83); // ldxr; stxr
        rig.Cpu.SetX(4, CpuRig.Ram + 0x200);
        rig.Step();
        rig.Cpu.EndTurn();
        rig.Step();
        Assert.Equal(1UL, rig.Cpu.GetX(5));
    }
}
