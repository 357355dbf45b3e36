using Rewind.Arm64.Debug;
using Rewind.Core.Cpu;

namespace Rewind.Arm64;

/// <summary>The CPU as the machine and the front ends see any CPU: breakpoints, watchpoints, registers.</summary>
public sealed partial class Arm64Cpu : ICpu
{
    private const ulong NoPc = ulong.MaxValue;
    private readonly HashSet<ulong> _breakpoints = [];
    private List<Watchpoint>? _watchpoints;
    private ulong _resumePc = NoPc;
    // The count at which the last watchpoint stop was reported: resuming there performs the access.
    private ulong _watchStopAt = NoPc;
    private Arm64Registers? _registerFile;

    ulong ICpu.Pc => Pc;

    ulong ICpu.Icount
    {
        get => Icount;
        set => Icount = value;
    }

    public WatchHit? LastWatchHit { get; private set; }

    /// <summary>An exclusive monitor must not outlive the CPU's turn (see Machine's turn order).</summary>
    public void EndTurn() => _exclusiveValid = false;

    public IReadOnlyCollection<ulong> Breakpoints => _breakpoints;
    public IReadOnlyList<Watchpoint> Watchpoints => (IReadOnlyList<Watchpoint>?)_watchpoints ?? [];

    public bool AddBreakpoint(ulong address) => _breakpoints.Add(address);

    public bool RemoveBreakpoint(ulong address) => _breakpoints.Remove(address);

    public void AddWatchpoint(Watchpoint watchpoint)
    {
        (_watchpoints ??= []).Add(watchpoint);
        UpdateDataContext();
    }

    public bool RemoveWatchpoint(Watchpoint watchpoint)
    {
        bool removed = _watchpoints?.Remove(watchpoint) ?? false;
        if (_watchpoints?.Count == 0) _watchpoints = null;
        UpdateDataContext();
        return removed;
    }

    public IRegisterFile Registers => _registerFile ??= new Arm64Registers(this);

    public ulong SpEl0 { get => _spEl0; set => _spEl0 = value; }
    public ulong SpEl1 { get => _spEl1; set => _spEl1 = value; }
    public ulong Fpsr { get => _fpsr; set => _fpsr = value & 0xf800_009f; }
    public ulong Fpcr { get => _fpcr; set => _fpcr = value & 0x07ff_9f00; }

    /// <summary>Sets PSTATE from a CPSR/SPSR value (a debugger's write of cpsr).</summary>
    public void SetCpsr(uint value) => SetPstate(value);

    /// <summary>A few EL1 registers for `info registers`.</summary>
    public (ulong Sctlr, ulong Vbar, ulong Esr, ulong Far, ulong Elr, ulong Spsr) TrapRegisters => (_sctlr, _vbar, _esr, _far, _elr, _spsr);
}
