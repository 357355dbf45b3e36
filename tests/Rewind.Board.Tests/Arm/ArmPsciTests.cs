using Rewind.Arm64;
using Rewind.Board.Arm;
using Rewind.Core.Bus;
using Rewind.Core.Execution;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Board.Tests.Arm;

/// <summary>PSCI as QEMU's virt answers it: CPUs named by MPIDR affinity, CPU_ON/CPU_OFF/AFFINITY_INFO, features.</summary>
public sealed class ArmPsciTests
{
    private readonly Arm64Cpu[] _cpus;
    private readonly ArmPsci _psci;
    private readonly List<PowerRequest> _requests = [];

    public ArmPsciTests()
    {
        var bus = new SystemBus(new PhysicalMemory(0x4000_0000, 1 << 20));
        var clock = new VirtualClock(3);
        _cpus = [.. Enumerable.Range(0, 3).Select(i => new Arm64Cpu(i, bus, clock))];
        _psci = new ArmPsci(_cpus, _requests.Add);
        _cpus[0].PowerOn(0x4000_0000, 0);
        _psci.ResetSecondaries();
    }

    private long Call(int cpu, ulong function, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0)
    {
        var c = _cpus[cpu];
        c.SetX(0, function);
        c.SetX(1, a1);
        c.SetX(2, a2);
        c.SetX(3, a3);
        Assert.True(_psci.Call(c));
        return (long)c.GetX(0);
    }

    [Fact]
    public void Secondaries_start_off_and_idle()
    {
        Assert.False(_cpus[0].PoweredOff);
        Assert.True(_cpus[1].PoweredOff && _cpus[1].IsIdle);
        Assert.Equal(ArmPsci.On, Call(0, ArmPsci.AffinityInfo | ArmPsci.Call64, 0x8000_0000));
        Assert.Equal(ArmPsci.Off, Call(0, ArmPsci.AffinityInfo | ArmPsci.Call64, 2));
        Assert.Equal(ArmPsci.InvalidParameters, Call(0, ArmPsci.AffinityInfo | ArmPsci.Call64, 3));
        Assert.Equal(ArmPsci.On, Call(0, ArmPsci.AffinityInfo, 3, 1)); // levels above 0 are always on
    }

    [Fact]
    public void Cpu_on_starts_the_target_at_el1_at_its_entry_with_the_context_in_x0()
    {
        Assert.Equal(ArmPsci.Success, Call(0, ArmPsci.CpuOn | ArmPsci.Call64, 0x8000_0001, 0x4000_1000, 0x1234_5678_9abc));
        var c = _cpus[1];
        Assert.False(c.PoweredOff || c.IsIdle);
        Assert.Equal(0x4000_1000UL, c.Pc);
        Assert.Equal(0x1234_5678_9abcUL, c.GetX(0));
        Assert.Equal(1, c.El);
        Assert.True(c.TryReadSystemRegister(Arm64Cpu.SysReg.Sctlr, out ulong sctlr));
        Assert.Equal(0UL, sctlr & 1); // MMU off
        Assert.Equal(0x3c0u, c.Pstate & 0x3c0); // D, A, I, F masked
        Assert.Equal(ArmPsci.On, Call(0, ArmPsci.AffinityInfo, 1));
        Assert.Equal(ArmPsci.AlreadyOn, Call(0, ArmPsci.CpuOn | ArmPsci.Call64, 1, 0x4000_2000));
        Assert.Equal(ArmPsci.AlreadyOn, Call(1, ArmPsci.CpuOn | ArmPsci.Call64, 0, 0x4000_2000));
        Assert.Equal(ArmPsci.InvalidParameters, Call(0, ArmPsci.CpuOn | ArmPsci.Call64, 7, 0x4000_2000));
    }

    [Fact]
    public void Cpu_on_by_the_32_bit_function_takes_32_bit_entry_and_context()
    {
        Assert.Equal(ArmPsci.Success, Call(0, ArmPsci.CpuOn, 2, 0xffff_ffff_4000_1000, 0xffff_0000_0000_0007));
        Assert.Equal(0x4000_1000UL, _cpus[2].Pc);
        Assert.Equal(7UL, _cpus[2].GetX(0));
    }

    [Fact]
    public void Cpu_off_stops_the_caller_until_the_next_cpu_on()
    {
        Call(0, ArmPsci.CpuOn | ArmPsci.Call64, 1, 0x4000_1000, 0);
        Call(1, ArmPsci.CpuOff);
        Assert.True(_cpus[1].PoweredOff && _cpus[1].IsIdle);
        _cpus[1].SetIrq(true);
        Assert.True(_cpus[1].IsIdle); // an interrupt does not wake an off CPU
        Assert.Equal(ArmPsci.Off, Call(0, ArmPsci.AffinityInfo, 1));
        Assert.Equal(ArmPsci.Success, Call(0, ArmPsci.CpuOn | ArmPsci.Call64, 1, 0x4000_3000, 0));
        Assert.Equal(0x4000_3000UL, _cpus[1].Pc);
    }

    [Theory]
    [InlineData(ArmPsci.Version, 0L)]
    [InlineData(ArmPsci.CpuOn | ArmPsci.Call64, 0L)]
    [InlineData(ArmPsci.CpuOff, 0L)]
    [InlineData(ArmPsci.AffinityInfo, 0L)]
    [InlineData(ArmPsci.SystemReset, 0L)]
    [InlineData(ArmPsci.Features, 0L)]
    [InlineData(ArmPsci.Migrate, -1L)]
    [InlineData(0x8400_000cu, -1L)]
    public void Features_lists_what_qemu_lists(uint function, long answer)
    {
        Assert.Equal(answer, Call(0, ArmPsci.Features, function));
    }

    [Fact]
    public void Version_is_1_1_and_system_off_and_reset_go_to_the_board()
    {
        Assert.Equal(0x10001L, Call(0, ArmPsci.Version));
        Assert.Equal(2L, Call(0, ArmPsci.MigrateInfoType));
        Call(1, ArmPsci.SystemOff);
        Call(0, ArmPsci.SystemReset);
        Assert.Equal([PowerAction.PowerOff, PowerAction.Reset], _requests.Select(r => r.Action));
        Assert.Equal(ArmPsci.NotSupported, Call(0, 0x8400_0099));
    }

    [Fact]
    public void Power_states_are_saved_and_restored()
    {
        Call(0, ArmPsci.CpuOn | ArmPsci.Call64, 2, 0x4000_1000, 0);
        using var ms = new MemoryStream();
        _psci.SaveState(new BinaryWriter(ms));
        _psci.ResetSecondaries();
        ms.Position = 0;
        _psci.LoadState(new BinaryReader(ms));
        Assert.Equal([false, true, false], _cpus.Select(c => c.PoweredOff));
    }

    [Fact]
    public void Cpu_on_of_mpidr_0x100_starts_cpu_16_and_0x10_names_no_cpu()
    {
        var bus = new SystemBus(new PhysicalMemory(0x4000_0000, 1 << 20));
        var clock = new VirtualClock(3);
        Arm64Cpu[] cpus = [.. Enumerable.Range(0, 18).Select(i => new Arm64Cpu(i, bus, clock))];
        var psci = new ArmPsci(cpus, _requests.Add);
        cpus[0].PowerOn(0x4000_0000, 0);
        psci.ResetSecondaries();
        long Call(ulong function, ulong a1, ulong a2 = 0)
        {
            cpus[0].SetX(0, function);
            cpus[0].SetX(1, a1);
            cpus[0].SetX(2, a2);
            Assert.True(psci.Call(cpus[0]));
            return (long)cpus[0].GetX(0);
        }
        Assert.Equal(ArmPsci.InvalidParameters, Call(ArmPsci.CpuOn | ArmPsci.Call64, 0x10, 0x4000_2000));
        Assert.Equal(ArmPsci.Success, Call(ArmPsci.CpuOn | ArmPsci.Call64, 0x8000_0100, 0x4000_2000));
        Assert.False(cpus[16].PoweredOff);
        Assert.Equal(0x4000_2000UL, cpus[16].Pc);
        Assert.True(cpus[17].PoweredOff);
        Assert.Equal(ArmPsci.On, Call(ArmPsci.AffinityInfo | ArmPsci.Call64, 0x100));
        Assert.Equal(ArmPsci.Off, Call(ArmPsci.AffinityInfo | ArmPsci.Call64, 0x101));
        Assert.Equal(ArmPsci.InvalidParameters, Call(ArmPsci.AffinityInfo | ArmPsci.Call64, 0x102)); // CPU 18 of 18
        Assert.Equal(ArmPsci.AlreadyOn, Call(ArmPsci.CpuOn | ArmPsci.Call64, 0x100, 0x4000_2000));
    }
}
