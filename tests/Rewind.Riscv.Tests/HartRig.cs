using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Memory;

namespace Rewind.Riscv.Tests;

/// <summary>A hart on a bus with 64 KiB of RAM at 0x80000000 and no devices: programs go in by hand.</summary>
internal sealed class HartRig
{
    public const ulong RamBase = 0x8000_0000;
    public const ulong RamSize = 64 * 1024;

    public HartRig()
    {
        Ram = new PhysicalMemory(RamBase, RamSize);
        Bus = new SystemBus(Ram);
        Hart = new Hart(0, Bus) { Pc = RamBase };
        // As firmware does (and QEMU needs): PMP entry 0 lets S and U mode reach all memory.
        SetCsr(Riscv.Csr.Pmpaddr0, ulong.MaxValue);
        SetCsr(Riscv.Csr.Pmpcfg0, 0x1f);
    }

    /// <summary>Turns every PMP entry off again: S and U mode then reach no memory at all.</summary>
    public void ClosePmp()
    {
        SetCsr(Riscv.Csr.Pmpcfg0, 0);
        SetCsr(Riscv.Csr.Pmpaddr0, 0);
    }

    public PhysicalMemory Ram { get; }
    public SystemBus Bus { get; }
    public Hart Hart { get; }

    /// <summary>Writes 32-bit words at <paramref name="address"/>.</summary>
    public void Load(ulong address, params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), words[i]);
        Assert.Equal(bytes.Length, Bus.WriteBytes(address, bytes));
    }

    public void LoadHalves(ulong address, params ushort[] halves)
    {
        var bytes = new byte[halves.Length * 2];
        for (int i = 0; i < halves.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), halves[i]);
        Assert.Equal(bytes.Length, Bus.WriteBytes(address, bytes));
    }

    public void Program(params uint[] words) => Load(RamBase, words);

    public ulong X(int reg) => Hart.GetX(reg);

    public ulong Csr(ushort csr)
    {
        Assert.True(Hart.TryReadCsr(csr, out ulong v), $"CSR 0x{csr:x} not readable");
        return v;
    }

    public void SetCsr(ushort csr, ulong value) => Assert.True(Hart.TryWriteCsr(csr, value), $"CSR 0x{csr:x} not writable");

    public ulong Read64(ulong address)
    {
        Assert.True(Bus.TryRead(address, 8, out ulong v));
        return v;
    }

    /// <summary>Runs exactly <paramref name="steps"/> more steps and asserts the run hit its limit.</summary>
    public void Step(int steps = 1)
    {
        ulong target = Hart.Icount + (ulong)steps;
        Assert.Equal(CpuStop.Limit, Hart.Run(target));
        Assert.Equal(target, Hart.Icount);
    }
}
