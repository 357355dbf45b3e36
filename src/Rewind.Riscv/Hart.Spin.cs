using Rewind.Core.Cpu;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// The hart's side of skipping a loop that only waits (<see cref="SpinSkipper"/>): single steps, and
/// which instructions may be in the examined iteration. Only integer, branch and load instructions, and a
/// load only from RAM, ROM or a steady device register (<see cref="Core.Bus.SystemBus.IsSteadyRead"/>),
/// checked before it runs: no store, CSR (the counters move with the count), atomic, FP or system
/// instruction. A breakpoint's slot is not examined either, so a breakpoint in the loop is always run into.
/// </summary>
public sealed unsafe partial class Hart : ISpinTarget
{
    private readonly SpinSkipper _spins = new(31);

    /// <summary>Every input to come is known ahead (a replay): this hart may skip whole iterations of a spin.</summary>
    public bool SkipSpins { get; set; }

    /// <summary>Steps skipped as whole iterations of spins, and the times it was done (host counters).</summary>
    public ulong SpinSkipped => _spins.Skipped;
    public ulong SpinsSkipped => _spins.Spins;

    ulong ISpinTarget.Pc => Pc;

    ulong ISpinTarget.Icount
    {
        get => Icount;
        set => Icount = value;
    }

    ulong ISpinTarget.TrapsTaken => Counters.Traps;

    bool ISpinTarget.StepForSpin(ulong limit, bool examine, out CpuStop stop)
    {
        stop = CpuStop.Limit;
        if (_interruptCheck || _yieldRequested || _waiting || Icount >= limit) return false;
        if (examine && !SteadyNext()) return false;
        _sliceEnd = Icount + 1;
        stop = ExecuteSlice();
        return stop == CpuStop.Limit;
    }

    void ISpinTarget.CopyRegisters(Span<ulong> to) => new ReadOnlySpan<ulong>(_regs, 1, 31).CopyTo(to);

    /// <summary>
    /// The instruction at the pc, already decoded in the fetch window, changes nothing but registers and
    /// reads nothing that changes with the count or with being read.
    /// </summary>
    private bool SteadyNext()
    {
        ulong pc = Pc;
        if ((pc >> 12) != _fetchVpn) return false;
        ref DecodedInsn d = ref _fetchPage[(pc & 0xfff) >> 1];
        Op op = d.Op;
        if (op is >= Op.Lui and <= Op.Bgeu or >= Op.Addi and <= Op.Sraw or >= Op.Mul and <= Op.Remuw or Op.Fence)
            return true;
        if (op is < Op.Lb or > Op.Lwu) return false;
        int size = op switch { Op.Lb or Op.Lbu => 1, Op.Lh or Op.Lhu => 2, Op.Lw or Op.Lwu => 4, _ => 8 };
        ulong va = _x[d.Rs1] + (ulong)d.Imm;
        if ((va & 0xfff) + (ulong)size > 0x1000) return false;
        if (Translate(va, AccessKind.Read, out ulong pa, updateAccessed: false) != null) return false;
        return _bus.IsSteadyRead(pa, size);
    }
}
