using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Input;
using Rewind.Core.Memory;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Core.Execution;

/// <summary>
/// A whole machine and its run loop, for CPUs of any architecture (<see cref="ICpu"/>) and devices it
/// knows only through their interfaces. Time is the instruction count; the loop runs a CPU in slices
/// that end exactly at the next timer deadline, the next input due from a replay log, or the caller's
/// limit, so every device event happens at an instruction count that depends on nothing but the inputs.
/// Several harts share one count: they take turns of <see cref="Quantum"/> steps in hart order, so which
/// hart runs at count N is a function of N alone (<see cref="HartAt"/>), and a hart in WFI spends its
/// turn idle. Each hart's own count is the machine's while it runs (as under QEMU's icount, cycle and
/// instret read the machine's count).
/// </summary>
public sealed class Machine : IRunControl
{
    /// <summary>Longest slice between looks at host input and Ctrl-C; does not affect guest behaviour.</summary>
    public const ulong MaxSlice = 1 << 20;

    private readonly List<ITimedDevice> _timed = [];
    private readonly List<(string Name, IStateful State)> _stateful = [];
    /// <summary>Steps each hart takes in a turn when there are several.</summary>
    public const ulong Quantum = 4096;

    // The hart whose turn it is (or was, when stopped); all harts hold the machine's count when stopped.
    private int _current;
    private volatile bool _interruptRequested;

    public Machine(SystemBus bus, VirtualClock clock, IInputBoundary input)
    {
        Bus = bus;
        Clock = clock;
        Input = input;
        // A device writing into a watched range during a CPU's slice (a synchronous device) ends it.
        bus.Ram.DeviceWrites.Hit = EndSlice;
    }

    public SystemBus Bus { get; }
    public VirtualClock Clock { get; }
    public IInputBoundary Input { get; set; }
    public IPacer Pacer { get; set; } = InstantPacer.Instance;
    public ICpu[] Cpus { get; private set; } = [];
    /// <summary>The device through which the guest powers off, resets or exits.</summary>
    public IPowerControl? Power { get; set; }
    /// <summary>With -no-reboot a guest reset ends the run instead of restarting the machine.</summary>
    public bool NoReboot { get; set; }
    public Action? OnReset { get; set; }
    /// <summary>
    /// Lets CPUs fast-forward loops that only wait for an input, when every input is known ahead
    /// (<see cref="IInputBoundary.InputsKnownAhead"/>). The state is the same either way: off, for
    /// comparing the two, and for a user who wants every iteration executed (REWIND_SKIP_SPINS=0).
    /// </summary>
    public bool SkipSpins { get; set; } = Environment.GetEnvironmentVariable("REWIND_SKIP_SPINS") != "0";

    public ulong Icount => Cpus.Length == 0 ? 0 : Cpus[_current].Icount;

    /// <summary>The hart whose turn it is.</summary>
    public int CurrentHart => _current;

    public bool InterruptRequested => _interruptRequested;

    /// <summary>Times every hart was idle and the pacer decided how far the clock jumps (host counter).</summary>
    public ulong IdleWaits { get; private set; }

    /// <summary>Host ticks spent in the pacer while every hart was idle (live runs wait for the wall clock there).</summary>
    public long IdleWaitTicks { get; private set; }

    public void EndSlice()
    {
        if (Cpus.Length > 0) Cpus[_current].RequestYield();
    }

    /// <summary>Thread-safe: stop the run at the next instruction boundary (Ctrl-C).</summary>
    public void RequestInterrupt()
    {
        _interruptRequested = true;
        foreach (var h in Cpus) h.RequestYield();
    }

    public void SetCpus(ICpu[] harts)
    {
        if (harts.Length == 0) throw new ArgumentException("a machine needs a hart", nameof(harts));
        Cpus = harts;
        _current = 0;
    }

    /// <summary>The hart whose turn includes count <paramref name="icount"/>.</summary>
    public int HartAt(ulong icount) => Cpus.Length == 1 ? 0 : (int)(icount / Quantum % (ulong)Cpus.Length);

    private ulong TurnEnd(ulong icount) => Cpus.Length == 1 ? ulong.MaxValue : (icount / Quantum + 1) * Quantum;

    /// <summary>The first count at or after <paramref name="icount"/> at which hart <paramref name="hart"/> takes a step.</summary>
    public ulong NextStepOf(int hart, ulong icount)
    {
        if (Cpus.Length == 1) return icount;
        ulong n = (ulong)Cpus.Length, turn = icount / Quantum;
        ulong turnOf = turn - turn % n + (ulong)hart;
        if (turnOf == turn) return icount;
        if (turnOf < turn) turnOf += n;
        return turnOf * Quantum;
    }

    /// <summary>The last count before <paramref name="icount"/> at which hart <paramref name="hart"/> took a step, or null.</summary>
    public ulong? PreviousStepOf(int hart, ulong icount)
    {
        if (icount == 0) return null;
        ulong c = icount - 1;
        if (Cpus.Length == 1 || HartAt(c) == hart) return c;
        ulong n = (ulong)Cpus.Length, turn = c / Quantum;
        ulong back = (turn % n + n - (ulong)hart) % n;
        if (back > turn) return null;
        return (turn - back + 1) * Quantum - 1;
    }

    /// <summary>Gives the turn to <paramref name="hart"/> at count <paramref name="icount"/>.</summary>
    private void SwitchTo(int hart, ulong icount)
    {
        _current = hart;
        Cpus[hart].Icount = icount;
    }

    /// <summary>
    /// Other harts are about to run and may store anywhere: a reservation must not outlive its turn (an
    /// SC may always fail; one that succeeded across another hart's store would break atomicity). It is
    /// dropped as the turn ends, not when the next begins, so the state at a turn boundary, where
    /// snapshots and digests are taken, does not depend on which hart ran last.
    /// </summary>
    private void EndOfTurn(ICpu hart, ulong turnEnd)
    {
        if (Cpus.Length > 1 && hart.Icount >= turnEnd) hart.EndTurn();
    }

    /// <summary>When stopped, every hart holds the machine's count, so a debugger or snapshot sees one time.</summary>
    private void SyncHarts()
    {
        if (Cpus.Length == 1) return;
        ulong now = Cpus[_current].Icount;
        foreach (var h in Cpus) h.Icount = now;
    }

    /// <summary>All harts are in WFI with nothing that would wake them.</summary>
    private bool AllIdle()
    {
        foreach (var h in Cpus)
            if (!h.IsIdle) return false;
        return true;
    }

    public void AddTimed(ITimedDevice device) => _timed.Add(device);

    /// <summary>
    /// Sets a debugger's watchpoint on every CPU and, for writes, on the RAM devices write into: the
    /// range's physical pieces as the CPUs translate it now (the first CPU that maps each page).
    /// </summary>
    public void AddWatchpoint(Watchpoint watch)
    {
        foreach (var c in Cpus) c.AddWatchpoint(watch);
        if (watch.Kind != WatchKind.Read) Bus.Ram.DeviceWrites.Add(watch, PhysicalPieces(watch.Address, watch.Length));
    }

    /// <summary>Removes one setting of <paramref name="watch"/>; false if no CPU had it.</summary>
    public bool RemoveWatchpoint(Watchpoint watch)
    {
        bool removed = false;
        foreach (var c in Cpus) removed |= c.RemoveWatchpoint(watch);
        Bus.Ram.DeviceWrites.Remove(watch);
        return removed;
    }

    private DeviceWriteWatch.Piece[] PhysicalPieces(ulong address, ulong length)
    {
        var pieces = new List<DeviceWriteWatch.Piece>();
        ulong end = address + length;
        for (ulong va = address; va < end && va >= address;)
        {
            ulong pageEnd = (va | (PhysicalMemory.PageSize - 1)) + 1;
            ulong n = Math.Min(end, pageEnd == 0 ? end : pageEnd) - va;
            foreach (var c in Cpus)
                if (c.TryTranslate(va, out ulong pa))
                {
                    pieces.Add(new DeviceWriteWatch.Piece(pa, n, va));
                    break;
                }
            va += n;
        }
        return [.. pieces];
    }

    public void AddState(string name, IStateful state) => _stateful.Add((name, state));

    public IReadOnlyList<(string Name, IStateful State)> StatefulParts => _stateful;

    /// <summary>
    /// Runs until the count reaches <paramref name="limit"/> or something stops the machine.
    /// <paramref name="stepOverBreakpoint"/> lets the first instruction run even if a breakpoint is on it.
    /// </summary>
    public MachineStop Run(ulong limit, bool stepOverBreakpoint = false)
    {
        var stop = RunHarts(limit, stepOverBreakpoint);
        SyncHarts();
        return stop with { Icount = Icount };
    }

    /// <summary>When the first run began (host time, for start-up figures; never seen by the guest).</summary>
    public DateTime? FirstRunAt { get; private set; }

    private MachineStop RunHarts(ulong limit, bool stepOverBreakpoint)
    {
        FirstRunAt ??= DateTime.Now;
        _interruptRequested = false;
        bool skipSpins = SkipSpins && Input.InputsKnownAhead;
        foreach (var c in Cpus) c.SkipSpins = skipSpins;
        ulong dueAtIdle = ulong.MaxValue;
        while (true)
        {
            ulong now = Cpus[_current].Icount;
            // The state "at count N" is before N's inputs are delivered: a snapshot taken when a run
            // stops at its limit must not include them, or a restore would deliver them twice.
            if (now >= limit) return new MachineStop(StopKind.Reached, _current);
            if (_interruptRequested)
            {
                _interruptRequested = false;
                return new MachineStop(StopKind.Interrupted, _current);
            }
            int turn = HartAt(now);
            if (turn != _current) SwitchTo(turn, now);
            var hart = Cpus[turn];
            Input.DeliverDue(now);
            foreach (var t in _timed) t.Advance(now);
            if (DeviceWatchStop(turn) is MachineStop dma) return dma;
            var power = TakePowerRequest();
            if (power != null) return power.Value;
            if (Input.HistoryEnd is ulong end && now >= end) return new MachineStop(StopKind.HistoryEnd, turn);
            ulong eventAt = NextEvent(now);
            ulong turnEnd = TurnEnd(now);
            ulong sliceEnd = Math.Min(Math.Min(Math.Min(limit, eventAt), now + MaxSlice), turnEnd);
            var stop = hart.Run(sliceEnd, stepOverBreakpoint);
            stepOverBreakpoint = false;
            EndOfTurn(hart, turnEnd);
            if (DeviceWatchStop(turn) is MachineStop during) return during;
            switch (stop)
            {
                case CpuStop.Breakpoint:
                    return new MachineStop(StopKind.Breakpoint, hart.Index);
                case CpuStop.Watchpoint:
                    // The accessing instruction has not run; resuming performs the access without stopping.
                    return new MachineStop(StopKind.Watchpoint, hart.Index, Watch: hart.LastWatchHit);
                case CpuStop.Idle:
                    {
                        ulong from = hart.Icount;
                        // An input due at the count the hart began to wait at (a recording delivers what
                        // came while it waited from the count it waited at on) is delivered first, on the
                        // next round: the idle below ends at least one count later. Once per count, so one
                        // the replay cannot deliver there is a divergence, not a loop.
                        if (Input.NextDueIcount <= from && dueAtIdle != from)
                        {
                            dueAtIdle = from;
                            break;
                        }
                        ulong target = Math.Min(limit, NextEvent(from));
                        if (Cpus.Length > 1 && !AllIdle())
                        {
                            // Others have work: this hart idles through the rest of its turn.
                            hart.SkipIdle(Math.Min(target, turnEnd));
                            EndOfTurn(hart, turnEnd);
                            break;
                        }
                        if (target == ulong.MaxValue && Pacer is InstantPacer)
                            return new MachineStop(StopKind.Starved, hart.Index);
                        long waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                        ulong reached = Pacer.IdleUntil(from, target, this);
                        IdleWaits++;
                        IdleWaitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - waitStart;
                        hart.SkipIdle(reached);
                        EndOfTurn(hart, turnEnd);
                        break;
                    }
            }
        }
    }

    /// <summary>
    /// A device wrote into a watched range: the stop is at the count it wrote at (inputs and devices of
    /// that count have run, its instruction has not; resuming does not repeat them). The seek to that
    /// count puts back the state before the write, as the count of a CPU's store shows the old value.
    /// </summary>
    private MachineStop? DeviceWatchStop(int cpu) =>
        Bus.Ram.DeviceWrites.TakeHit() is WatchHit hit ? new MachineStop(StopKind.Watchpoint, cpu, Watch: hit) : null;

    private ulong NextEvent(ulong now)
    {
        ulong next = Math.Min(Input.NextDueIcount, Input.HistoryEnd ?? ulong.MaxValue);
        foreach (var t in _timed) next = Math.Min(next, t.NextDeadline(now));
        return Math.Max(next, now + 1);
    }

    private MachineStop? TakePowerRequest()
    {
        var fin = Power;
        if (fin == null || fin.PowerRequest.Action == PowerAction.None) return null;
        var req = fin.PowerRequest;
        fin.ClearRequest();
        switch (req.Action)
        {
            case PowerAction.PowerOff:
                return new MachineStop(StopKind.Exited, ExitCode: 0);
            case PowerAction.ExitWithCode:
                return new MachineStop(StopKind.Exited, ExitCode: req.Code);
            default:
                if (NoReboot) return new MachineStop(StopKind.ResetRequested);
                OnReset?.Invoke();
                return null;
        }
    }
}
