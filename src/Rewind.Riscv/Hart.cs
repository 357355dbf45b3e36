using System.Runtime.CompilerServices;
using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Interrupts;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Riscv;

/// <summary>
/// One RISC-V hart (RV64IMAFDC, Zicsr, Zifencei, Sstc, M/S/U modes, Sv39/Sv48 paging). All of its
/// guest-visible state is in fields saved by <see cref="SaveState"/>; it touches the world only through
/// the bus and its timebase.
/// </summary>
public sealed unsafe partial class Hart : IInterruptTarget
{
    private readonly ulong[] _regs = GC.AllocateArray<ulong>(33, pinned: true);
    private readonly ulong* _x;
    private readonly SystemBus _bus;
    private readonly PhysicalMemory _ram;
    private readonly byte* _ramPtr;
    private readonly ulong _ramBase;

    /// <param name="codeCache">
    /// The machine's code cache, shared by all of its harts (the board makes one); a hart given none
    /// makes its own.
    /// </param>
    public Hart(int hartId, SystemBus bus, CodeCache? codeCache = null)
    {
        HartId = hartId;
        _bus = bus;
        _ram = bus.Ram;
        _ramPtr = _ram.Pointer;
        _ramBase = _ram.BaseAddress;
        _x = (ulong*)Unsafe.AsPointer(ref _regs[0]);
        if (codeCache != null && codeCache.Ram != _ram) throw new ArgumentException("the code cache is for another machine's RAM", nameof(codeCache));
        _codeCache = codeCache ?? new CodeCache(_ram);
        // A dropped page's array may be reused for another page: look the fetch page up again.
        _codeCache.Dropped += () => _fetchVpn = ulong.MaxValue;
        SetUpTlb();
        Reset(0x1000);
    }

    public int HartId { get; }
    public ulong Pc;
    public PrivilegeLevel Privilege;
    /// <summary>Steps this hart has taken: retired instructions plus trap entries.</summary>
    public ulong Icount;

    /// <summary>Host-side counters of how the steps were spent (not guest state).</summary>
    public HartCounters Counters { get; } = new();

    /// <summary>The machine's compiled blocks, or null while the compiler is off.</summary>
    public Jit.BlockCache? Blocks => _codeCache.Blocks;

    /// <summary>The timebase read by the time CSR (the CLINT's mtime).</summary>
    public ITimebase? Timebase { get; set; }

    public ulong GetX(int index) => index == 0 ? 0 : _regs[index];
    public void SetX(int index, ulong value)
    {
        if (index != 0) _regs[index] = value;
    }

    public void Reset(ulong pc)
    {
        Array.Clear(_regs);
        Pc = pc;
        Privilege = PrivilegeLevel.Machine;
        ResetCsrs();
        _reservationValid = false;
        _waiting = false;
        FlushTlb();
        InvalidateTranslation();
    }

    /// <summary>True while the hart sits in WFI with no interrupt pending.</summary>
    public bool IsWaiting => _waiting;
    private bool _waiting;

    private ulong _sliceEnd;
    private bool _yieldRequested;
    private bool _interruptCheck = true;

    /// <summary>Stops the current <see cref="Run"/> after the instruction in progress.</summary>
    public void RequestYield()
    {
        _yieldRequested = true;
        _sliceEnd = 0;
    }

    /// <summary>Something changed that may make an interrupt deliverable; look before the next instruction.</summary>
    private void RecheckInterrupts()
    {
        _interruptCheck = true;
        _sliceEnd = 0;
    }

    /// <summary>
    /// Runs until <see cref="Icount"/> reaches <paramref name="limit"/> or something needs the caller.
    /// With <paramref name="stepOverBreakpoint"/>, a breakpoint at the current pc does not stop the first
    /// instruction (resuming from a breakpoint).
    /// </summary>
    public CpuStop Run(ulong limit, bool stepOverBreakpoint = false)
    {
        _resumePc = stepOverBreakpoint ? Pc : NoPc;
        _yieldRequested = false;
        LastWatchHit = null;
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
                if (WaitingCanWake()) _waiting = false;
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

    /// <summary>Moves a waiting hart's clock forward without executing: WFI repeats with nothing to do.</summary>
    public void SkipIdle(ulong toIcount)
    {
        if (!_waiting || toIcount <= Icount) return;
        Counters.IdleSkipped += toIcount - Icount;
        Icount = toIcount;
    }

    private bool WaitingCanWake() => (EffectiveMip & _mie) != 0;

    /// <summary>In WFI with nothing pending that would wake it: its turns may be skipped.</summary>
    public bool IsIdle => _waiting && !WaitingCanWake();

    /// <summary>An LR reservation is held (a later SC to its address may succeed).</summary>
    public bool HoldsReservation => _reservationValid;

    /// <summary>Forgets an LR reservation (another hart is about to run: its stores are not watched).</summary>
    public void DropReservation() => _reservationValid = false;

    public void SetInterruptPending(int mipBit, bool level)
    {
        ulong bit = 1UL << mipBit;
        ulong old = _mipHardware;
        _mipHardware = level ? old | bit : old & ~bit;
        if (old != _mipHardware) RecheckInterrupts();
    }
}
