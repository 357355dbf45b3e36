using Rewind.Core.Bus;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Arm64.Tests;

/// <summary>
/// Two CPUs on one machine, taking turns of <see cref="Machine.Quantum"/> steps: a reservation taken by
/// LDXR does not survive its CPU's turn, so a store another CPU makes in its turn cannot be overwritten
/// by a STXR that still believes it holds the location (as RISC-V's LR/SC across harts).
/// </summary>
public sealed class ExclusiveAcrossCpusTests
{
    private const ulong Ram = 0x4000_0000, Cpu1Code = Ram + 0x8000, Data = Ram + 0x1_0000;
    private const uint Nop = 0xd503201f, Ldxr = 0xc85f7c01, Stxr = 0xc8037c02, Str = 0xf9000005, Loop = 0x14000000;

    private static (Machine Machine, Arm64Cpu Cpu0, SystemBus Bus) Build(int ldxrAt)
    {
        var memory = new PhysicalMemory(Ram, 1 << 20);
        var bus = new SystemBus(memory);
        var clock = new VirtualClock(3);
        var machine = new Machine(bus, clock, new LiveInput());
        var cpu0 = new Arm64Cpu(0, bus, clock);
        var cpu1 = new Arm64Cpu(1, bus, clock);
        machine.SetCpus([cpu0, cpu1]);
        // CPU 0: NOPs, `ldxr x1, [x0]` at step ldxrAt, `stxr w3, x2, [x0]` right after it, then a loop.
        for (int i = 0; i < ldxrAt; i++) bus.TryWrite(Ram + (ulong)(4 * i), 4, Nop);
        bus.TryWrite(Ram + (ulong)(4 * ldxrAt), 4, Ldxr);
        bus.TryWrite(Ram + (ulong)(4 * ldxrAt + 4), 4, Stxr);
        bus.TryWrite(Ram + (ulong)(4 * ldxrAt + 8), 4, Loop);
        // CPU 1: `str x5, [x0]` as the first step of its turn, then a loop.
        bus.TryWrite(Cpu1Code, 4, Str);
        bus.TryWrite(Cpu1Code + 4, 4, Loop);
        cpu0.Reset(Ram);
        cpu1.Reset(Cpu1Code);
        foreach (var (cpu, value) in new[] { (cpu0, 0x1111UL), (cpu1, 0x2222UL) })
        {
            cpu.SetX(0, Data);
            cpu.SetX(2, value);
            cpu.SetX(5, value);
            cpu.SetX(3, 7);
        }
        return (machine, cpu0, bus);
    }

    private static ulong Read(SystemBus bus)
    {
        Assert.True(bus.TryRead(Data, 8, out ulong v));
        return v;
    }

    [Fact]
    public void Stxr_after_another_cpus_turn_fails_and_leaves_that_cpus_store()
    {
        // LDXR is CPU 0's last step of its first turn; CPU 1 stores; STXR opens CPU 0's next turn.
        var (machine, cpu0, bus) = Build((int)Machine.Quantum - 1);
        machine.Run(2 * Machine.Quantum + 1);
        Assert.Equal(1UL, cpu0.GetX(3));
        Assert.Equal(0x2222UL, Read(bus));
    }

    [Fact]
    public void Stxr_in_the_same_turn_succeeds()
    {
        var (machine, cpu0, bus) = Build(10);
        machine.Run(Machine.Quantum + 1);
        Assert.Equal(0UL, cpu0.GetX(3));
        // CPU 1's store came after, in its own turn.
        Assert.Equal(0x2222UL, Read(bus));
    }
}
