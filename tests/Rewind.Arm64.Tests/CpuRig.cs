using Rewind.Arm64;
using Rewind.Core.Bus;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Arm64.Tests;

/// <summary>One CPU on 1 MiB of RAM at 0x40000000, with instructions written at the start of RAM.</summary>
internal sealed class CpuRig
{
    public const ulong Ram = 0x4000_0000;
    public const ulong Vbar = 0x4000_8000;

    public CpuRig(params uint[] program)
        : this(program, ArmCpuModel.Max)
    {
    }

    /// <summary>A rig whose CPU is the given -cpu model.</summary>
    public static CpuRig ForModel(ArmCpuModel model, params uint[] program) => new(program, model);

    private CpuRig(uint[] program, ArmCpuModel model)
    {
        Memory = new PhysicalMemory(Ram, 1 << 20);
        Bus = new SystemBus(Memory);
        Cpu = new Arm64Cpu(0, Bus, new VirtualClock(3), model);
        Cpu.Reset(Ram);
        Load(Ram, program);
        Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Vbar, Vbar);
    }

    public PhysicalMemory Memory { get; }
    public SystemBus Bus { get; }
    public Arm64Cpu Cpu { get; }

    public void Load(ulong address, params uint[] words)
    {
        for (int i = 0; i < words.Length; i++) Bus.TryWrite(address + (ulong)(4 * i), 4, words[i]);
    }

    /// <summary>Runs <paramref name="steps"/> more steps.</summary>
    public void Step(int steps = 1) => Cpu.Run(Cpu.Icount + (ulong)steps);

    public ulong Read64(ulong address)
    {
        Bus.TryRead(address, 8, out ulong v);
        return v;
    }

    public ulong SystemRegister(int key)
    {
        Assert.True(Cpu.TryReadSystemRegister(key, out ulong v));
        return v;
    }
}
