using Rewind.Core.Cpu;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// Fast-forward through a loop that only waits (a spin), exactly. A guest polling a device register
/// repeats the same few instructions until an input, a timer deadline or a device event changes what it
/// reads, and the machine ends every slice at those. So when one whole iteration reads only RAM and
/// device registers whose reads change nothing (<see cref="Core.Bus.SystemBus.IsSteadyRead"/>), stores
/// nothing, reads no counter, traps to nowhere, and brings the registers back to what they were at its
/// start, every later iteration of the slice is the same one, and the count may jump over them whole:
/// the state at the slice's end is the one running them would leave. The proof is made by running the
/// iterations one instruction at a time: real execution, nothing is undone when it fails.
/// Only when the machine says every input to come is known (<see cref="SkipSpins"/>, a replay): a live
/// run's count would race ahead of the host's input.
/// </summary>
public sealed unsafe partial class Hart
{
    /// <summary>The longest iteration looked for, in instructions.</summary>
    private const int SpinMaxIteration = 64;
    /// <summary>The shortest slice worth a look: the iterations that prove the spin run one by one first.</summary>
    private const ulong SpinMinSlice = 1024;
    /// <summary>After failed looks, slices let go by before the next (doubling up to this).</summary>
    private const int SpinMaxBackoff = 256;

    private readonly ulong[] _spinRegs = new ulong[32];
    private int _spinBackoff = 1, _spinWait;

    /// <summary>Every input to come is known (a replay): this hart may skip whole iterations of a spin.</summary>
    public bool SkipSpins { get; set; }

    /// <summary>
    /// At a slice's start: looks for a spin and skips its iterations up to <paramref name="limit"/>.
    /// Returns <see cref="CpuStop.Limit"/> to go on running (whether or not it skipped), or the stop an
    /// instruction it ran made (a breakpoint, a watchpoint, a yield).
    /// </summary>
    private CpuStop TrySkipSpin(ulong limit)
    {
        if (limit - Icount < SpinMinSlice || --_spinWait > 0) return CpuStop.Limit;
        // One instruction first, unexamined: the fetch window then holds the loop's page.
        if (!StepForSpin(limit, out var stop)) return stop;
        ulong head = Pc;
        // The first iteration settles the registers a spin overwrites (the value read, say).
        if (SpinIteration(head, limit, examine: false, out stop) == 0) return SpinFailed(stop);
        for (int r = 1; r < 32; r++) _spinRegs[r] = _x[r];
        int length = SpinIteration(head, limit, examine: true, out stop);
        if (length == 0) return SpinFailed(stop);
        for (int r = 1; r < 32; r++)
            if (_spinRegs[r] != _x[r]) return SpinFailed(stop);
        ulong skipped = (limit - Icount) / (ulong)length * (ulong)length;
        Icount += skipped;
        Counters.SpinSkipped += skipped;
        Counters.SpinsSkipped++;
        _spinBackoff = 1;
        _spinWait = 0;
        return CpuStop.Limit;
    }

    private CpuStop SpinFailed(CpuStop stop)
    {
        _spinBackoff = Math.Min(2 * _spinBackoff, SpinMaxBackoff);
        _spinWait = _spinBackoff;
        return stop;
    }

    /// <summary>
    /// Runs instructions one at a time until the pc is back at <paramref name="head"/>; returns how many,
    /// or 0 if it is not back within <see cref="SpinMaxIteration"/>, something needs the run loop, or
    /// (with <paramref name="examine"/>) an instruction could change anything but registers.
    /// </summary>
    private int SpinIteration(ulong head, ulong limit, bool examine, out CpuStop stop)
    {
        stop = CpuStop.Limit;
        ulong traps = Counters.Traps;
        for (int n = 1; n <= SpinMaxIteration; n++)
        {
            if (examine && !SteadyNext()) return 0;
            if (!StepForSpin(limit, out stop)) return 0;
            if (Counters.Traps != traps) return 0;
            if (Pc == head) return n;
        }
        return 0;
    }

    /// <summary>One instruction, as the run loop would run it; false when the run loop must take over.</summary>
    private bool StepForSpin(ulong limit, out CpuStop stop)
    {
        stop = CpuStop.Limit;
        if (_interruptCheck || _yieldRequested || _waiting || Icount >= limit) return false;
        _sliceEnd = Icount + 1;
        stop = ExecuteSlice();
        return stop == CpuStop.Limit;
    }

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
