using Rewind.Core.Cpu;

namespace Rewind.Arm64;

/// <summary>The run loop: interrupts between instructions, WFI, faults turned into exceptions.</summary>
public sealed partial class Arm64Cpu
{
    private bool _waiting;
    private bool _irqLine, _fiqLine;
    private ulong _sliceEnd;
    private volatile bool _yieldRequested;
    private bool _interruptCheck = true;

    /// <summary>In WFI (or a blocking semihosting read), whether or not an interrupt is about to wake it.</summary>
    public bool IsWaiting => _waiting;

    /// <summary>Waiting with nothing pending that would wake it.</summary>
    public bool IsIdle => _waiting && !WakeupPending();

    public void RequestYield()
    {
        _yieldRequested = true;
        _sliceEnd = 0;
    }

    /// <summary>The interrupt controller's IRQ output to this CPU.</summary>
    public void SetIrq(bool level)
    {
        if (_irqLine == level) return;
        _irqLine = level;
        RecheckInterrupts();
    }

    public void SetFiq(bool level)
    {
        if (_fiqLine == level) return;
        _fiqLine = level;
        RecheckInterrupts();
    }

    /// <summary>Something outside (an input for a waiting semihosting read) may let a waiting CPU go on.</summary>
    public void Wake()
    {
        // Only a waiting CPU is woken: a pending wake-up would otherwise turn a later WFI into a NOP.
        if (!_waiting) return;
        _wakeRequested = true;
        RecheckInterrupts();
    }

    private bool _wakeRequested;

    private void RecheckInterrupts()
    {
        _interruptCheck = true;
        _sliceEnd = 0;
    }

    // WFI wakes on a pending interrupt whether or not PSTATE masks it; nothing wakes a powered-off CPU.
    private bool WakeupPending() => !_off && (_irqLine || _fiqLine || _wakeRequested);

    public void SkipIdle(ulong toIcount)
    {
        if (_waiting && toIcount > Icount) Icount = toIcount;
    }

    public CpuStop Run(ulong limit, bool stepOverBreakpoint = false)
    {
        _resumePc = stepOverBreakpoint ? Pc : NoPc;
        _yieldRequested = false;
        LastWatchHit = null;
        _jit = _code.Blocks;
        if (_jit is { AnyFinished: true }) _jit.InstallFinished(_code);
        bool lookForSpin = SkipSpins;
        while (true)
        {
            if (Icount >= limit) return CpuStop.Limit;
            if (_yieldRequested)
            {
                _yieldRequested = false;
                return CpuStop.Yield;
            }
            if (_interruptCheck)
            {
                _interruptCheck = false;
                if (TryTakeInterrupt())
                {
                    _waiting = false;
                    Icount++;
                    _resumePc = NoPc;
                    continue;
                }
            }
            if (_waiting)
            {
                if (WakeupPending())
                {
                    _waiting = false;
                    _wakeRequested = false;
                }
                else return CpuStop.Idle;
            }
            if (lookForSpin)
            {
                lookForSpin = false;
                var spun = _spins.TrySkip(this, limit);
                if (spun != CpuStop.Limit) return spun;
                continue;
            }
            _sliceEnd = limit;
            var stop = ExecuteSlice();
            if (stop != CpuStop.Limit) return stop;
        }
    }

    /// <summary>
    /// Runs until the slice ends or something stops the CPU. Faults raised in <see cref="RunDecoded"/> are
    /// taken here, at the instruction whose pc it stored in <see cref="_faultPc"/>, with the count it stored.
    /// </summary>
    private CpuStop ExecuteSlice()
    {
        while (true)
        {
            try
            {
                return RunDecoded() switch
                {
                    CpuStopOrRun.Breakpoint => CpuStop.Breakpoint,
                    CpuStopOrRun.Idle => CpuStop.Idle,
                    _ => CpuStop.Limit,
                };
            }
            catch (ArmFault fault)
            {
                ulong pc = _faultPc;
                if (fault.Kind == FaultKind.WatchStop)
                {
                    Pc = pc;
                    _watchStopAt = Icount;
                    return CpuStop.Watchpoint;
                }
                if (fault.Kind == FaultKind.Retry)
                {
                    // A semihosting read that waits for input: the instruction runs again when woken.
                    Pc = pc;
                    _waiting = true;
                    Icount++;
                    return CpuStop.Idle;
                }
                TakeSynchronous(fault, pc);
                _resumePc = NoPc;
                Icount++;
                if (_waiting) return CpuStop.Idle;
            }
        }
    }

    private bool TryTakeInterrupt()
    {
        if (_off) return false;
        if (_irqLine && (_daif & DaifI) == 0)
        {
            TakeException(Vector.Irq, Pc, esr: null);
            return true;
        }
        if (_fiqLine && (_daif & DaifF) == 0)
        {
            TakeException(Vector.Fiq, Pc, esr: null);
            return true;
        }
        return false;
    }
}
