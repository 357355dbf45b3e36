using Rewind.Arm64.Decode;
using Rewind.Core.Cpu;

namespace Rewind.Arm64;

/// <summary>
/// The CPU's side of skipping a loop that only waits (<see cref="SpinSkipper"/>): single steps, and which
/// instructions may be in the examined iteration: integer data processing, branches and loads of general
/// registers (the kinds the fast decoder gives; everything else, including system registers such as
/// CNTVCT_EL0, stores, exclusives and FP, is Generic and not examined). A load that reaches a device is
/// checked as it happens (<see cref="LoadPhysical"/>): the device register must be steady.
/// </summary>
public sealed unsafe partial class Arm64Cpu : ISpinTarget
{
    // x0..x30, SP_EL0, SP_EL1, NZCV.
    private readonly SpinSkipper _spins = new(34);
    /// <summary>True while an examined instruction runs; a device read that is not steady then sets <see cref="_spinUnsteady"/>.</summary>
    private bool _spinExamining, _spinUnsteady;
    private ulong _exceptionsTaken;

    /// <summary>Every input to come is known ahead (a replay): this CPU may skip whole iterations of a spin.</summary>
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

    ulong ISpinTarget.TrapsTaken => _exceptionsTaken;

    bool ISpinTarget.StepForSpin(ulong limit, bool examine, out CpuStop stop)
    {
        stop = CpuStop.Limit;
        if (_interruptCheck || _yieldRequested || _waiting || Icount >= limit) return false;
        if (examine && !SteadyKindNext()) return false;
        _sliceEnd = Icount + 1;
        _spinExamining = examine;
        _spinUnsteady = false;
        try
        {
            stop = ExecuteSlice();
        }
        finally
        {
            _spinExamining = false;
        }
        return stop == CpuStop.Limit && !_spinUnsteady;
    }

    void ISpinTarget.CopyRegisters(Span<ulong> to)
    {
        new ReadOnlySpan<ulong>(_x, 0, 31).CopyTo(to);
        to[31] = _spEl0;
        to[32] = _spEl1;
        to[33] = _nzcv;
    }

    /// <summary>The instruction at the pc, already decoded in the fetch window, is of a kind a spin may hold.</summary>
    private bool SteadyKindNext()
    {
        if ((Pc & ~0xfffUL) != _fetchPage) return false;
        var kind = KindOf(_fetchSlots[(Pc >> 2) & 1023]);
        return kind is >= A64Kind.Nop and <= A64Kind.Blr
            or A64Kind.LdrImm or A64Kind.LdrReg or A64Kind.LdrPre or A64Kind.LdrPost
            or A64Kind.Ldr64Imm or A64Kind.Ldr64Reg or A64Kind.Ldp;
    }
}
