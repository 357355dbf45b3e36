using Rewind.Core.Cpu;
using Rewind.Riscv.Debug;

namespace Rewind.Riscv;

/// <summary>The hart as the machine and the front ends see any CPU.</summary>
public sealed partial class Hart : ICpu
{
    private RiscvRegisters? _registerFile;

    int ICpu.Index => HartId;

    ulong ICpu.Pc => Pc;

    ulong ICpu.Icount
    {
        get => Icount;
        set => Icount = value;
    }

    /// <summary>An LR reservation must not outlive the hart's turn (see Machine's turn order).</summary>
    void ICpu.EndTurn() => DropReservation();

    public IRegisterFile Registers => _registerFile ??= new RiscvRegisters(this);
}
