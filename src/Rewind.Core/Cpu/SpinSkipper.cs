namespace Rewind.Core.Cpu;

/// <summary>
/// What a CPU lends <see cref="SpinSkipper"/>: single steps exactly as its run loop takes them, and its
/// registers. Implemented explicitly, for this use only.
/// </summary>
public interface ISpinTarget
{
    ulong Pc { get; }
    ulong Icount { get; set; }

    /// <summary>Exceptions and interrupts taken so far (a host counter).</summary>
    ulong TrapsTaken { get; }

    /// <summary>
    /// Runs one instruction as the run loop would. False when the run loop must take over (a pending
    /// interrupt, a yield, a wait, a stop, which <paramref name="stop"/> then gives), or, with
    /// <paramref name="examine"/>, when the instruction could change anything but registers or read
    /// what moves with the count or with being read: a store, a CSR or system register, an atomic, FP,
    /// a device register that is not <see cref="Bus.ISteadyReads"/>. Nothing is undone: it ran.
    /// </summary>
    bool StepForSpin(ulong limit, bool examine, out CpuStop stop);

    /// <summary>Copies every register a loop of the examined kind can change (general registers, stack pointers, flags).</summary>
    void CopyRegisters(Span<ulong> to);
}

/// <summary>
/// Fast-forward through a loop that only waits (a spin), exactly, for a CPU of any architecture. A guest
/// polling a device register repeats the same few instructions until an input, a timer deadline or a
/// device event changes what it reads, and the machine ends every slice at those. So when one whole
/// iteration changes nothing but registers, reads only RAM and steady device registers, takes no trap,
/// and brings every register back to what it was at its start, each later iteration of the slice is the
/// same one, and the count may jump over them whole: the state at the slice's end is the one running
/// them would leave. The proof runs the iterations one instruction at a time, for real: when it fails,
/// nothing is undone. Used only when every input to come is known (<see cref="ICpu.SkipSpins"/>).
/// </summary>
public sealed class SpinSkipper(int registers)
{
    /// <summary>The longest iteration looked for, in instructions.</summary>
    public const int MaxIteration = 64;
    /// <summary>The shortest slice worth a look: the iterations that prove the spin run one by one first.</summary>
    public const ulong MinSlice = 1024;
    /// <summary>After failed looks, slices let go by before the next (doubling up to this).</summary>
    private const int MaxBackoff = 256;

    private readonly ulong[] _settled = new ulong[registers], _after = new ulong[registers];
    private int _backoff = 1, _wait;

    /// <summary>Steps skipped, and the times it was done (host counters).</summary>
    public ulong Skipped { get; private set; }
    public ulong Spins { get; private set; }

    /// <summary>
    /// At a slice's start: looks for a spin and skips its iterations up to <paramref name="limit"/>.
    /// Returns <see cref="CpuStop.Limit"/> to go on running (whether or not it skipped), or the stop an
    /// instruction it ran made (a breakpoint, a watchpoint, a yield).
    /// </summary>
    public CpuStop TrySkip(ISpinTarget cpu, ulong limit)
    {
        if (limit - cpu.Icount < MinSlice || --_wait > 0) return CpuStop.Limit;
        // One instruction first, unexamined: the CPU's fetch window then holds the loop's page.
        if (!cpu.StepForSpin(limit, examine: false, out var stop)) return stop;
        ulong head = cpu.Pc;
        // The first iteration settles the registers a spin overwrites (the value read, say).
        if (Iteration(cpu, head, limit, examine: false, out stop) == 0) return Failed(stop);
        cpu.CopyRegisters(_settled);
        int length = Iteration(cpu, head, limit, examine: true, out stop);
        if (length == 0) return Failed(stop);
        cpu.CopyRegisters(_after);
        if (!_settled.AsSpan().SequenceEqual(_after)) return Failed(stop);
        ulong skipped = (limit - cpu.Icount) / (ulong)length * (ulong)length;
        cpu.Icount += skipped;
        Skipped += skipped;
        Spins++;
        _backoff = 1;
        _wait = 0;
        return CpuStop.Limit;
    }

    private CpuStop Failed(CpuStop stop)
    {
        _backoff = Math.Min(2 * _backoff, MaxBackoff);
        _wait = _backoff;
        return stop;
    }

    /// <summary>
    /// Runs instructions one at a time until the pc is back at <paramref name="head"/>; returns how many,
    /// or 0 if it is not back within <see cref="MaxIteration"/>, something needs the run loop, a trap was
    /// taken, or (with <paramref name="examine"/>) an instruction could change more than registers.
    /// </summary>
    private static int Iteration(ISpinTarget cpu, ulong head, ulong limit, bool examine, out CpuStop stop)
    {
        stop = CpuStop.Limit;
        ulong traps = cpu.TrapsTaken;
        for (int n = 1; n <= MaxIteration; n++)
        {
            if (!cpu.StepForSpin(limit, examine, out stop)) return 0;
            if (cpu.TrapsTaken != traps) return 0;
            if (cpu.Pc == head) return n;
        }
        return 0;
    }
}
