using Rewind.Board.Devices;
using Rewind.Core.Bus;
using Rewind.Core.Input;
using Rewind.Core.State;
using Rewind.Core.Time;
using Rewind.Riscv;

namespace Rewind.Board.Execution;

/// <summary>
/// A whole machine and its run loop. Time is the instruction count; the loop runs the hart in slices
/// that end exactly at the next timer deadline, the next input due from a replay log, or the caller's
/// limit, so every device event happens at an instruction count that depends on nothing but the inputs.
/// </summary>
public sealed class Machine : IRunControl
{
    /// <summary>Longest slice between looks at host input and Ctrl-C; does not affect guest behaviour.</summary>
    public const ulong MaxSlice = 1 << 20;

    private readonly List<ITimedDevice> _timed = [];
    private readonly List<(string Name, IStateful State)> _stateful = [];
    // The hart whose slice is running; harts beyond the first will rotate through it.
    private readonly int _current = 0;
    private volatile bool _interruptRequested;

    public Machine(SystemBus bus, VirtualClock clock, IInputBoundary input)
    {
        Bus = bus;
        Clock = clock;
        Input = input;
    }

    public SystemBus Bus { get; }
    public VirtualClock Clock { get; }
    public IInputBoundary Input { get; set; }
    public IPacer Pacer { get; set; } = InstantPacer.Instance;
    public Hart[] Harts { get; private set; } = [];
    public SifiveTest? Finisher { get; set; }
    /// <summary>With -no-reboot a guest reset ends the run instead of restarting the machine.</summary>
    public bool NoReboot { get; set; }
    public Action? OnReset { get; set; }

    public ulong Icount => Harts.Length == 0 ? 0 : Harts[_current].Icount;

    public bool InterruptRequested => _interruptRequested;

    public void EndSlice()
    {
        if (Harts.Length > 0) Harts[_current].RequestYield();
    }

    /// <summary>Thread-safe: stop the run at the next instruction boundary (Ctrl-C).</summary>
    public void RequestInterrupt()
    {
        _interruptRequested = true;
        foreach (var h in Harts) h.RequestYield();
    }

    public void SetHarts(Hart[] harts)
    {
        if (harts.Length != 1) throw new NotSupportedException("only one hart is supported for now");
        Harts = harts;
    }

    public void AddTimed(ITimedDevice device) => _timed.Add(device);

    public void AddState(string name, IStateful state) => _stateful.Add((name, state));

    public IReadOnlyList<(string Name, IStateful State)> StatefulParts => _stateful;

    /// <summary>
    /// Runs until the count reaches <paramref name="limit"/> or something stops the machine.
    /// <paramref name="stepOverBreakpoint"/> lets the first instruction run even if a breakpoint is on it.
    /// </summary>
    public MachineStop Run(ulong limit, bool stepOverBreakpoint = false)
    {
        var hart = Harts[0];
        _interruptRequested = false;
        while (true)
        {
            ulong now = hart.Icount;
            // The state "at count N" is before N's inputs are delivered: a snapshot taken when a run
            // stops at its limit must not include them, or a restore would deliver them twice.
            if (now >= limit) return new MachineStop(MachineStopKind.Limit);
            if (_interruptRequested)
            {
                _interruptRequested = false;
                return new MachineStop(MachineStopKind.Interrupted);
            }
            Input.DeliverDue(now);
            foreach (var t in _timed) t.Advance(now);
            var power = TakePowerRequest();
            if (power != null) return power.Value;
            if (Input.HistoryEnd is ulong end && now >= end) return new MachineStop(MachineStopKind.HistoryEnd);
            ulong eventAt = NextEvent(now);
            ulong sliceEnd = Math.Min(Math.Min(limit, eventAt), now + MaxSlice);
            var stop = hart.Run(sliceEnd, stepOverBreakpoint);
            stepOverBreakpoint = false;
            switch (stop)
            {
                case HartStop.Breakpoint:
                    return new MachineStop(MachineStopKind.Breakpoint, hart.HartId);
                case HartStop.Watchpoint:
                    // The accessing instruction has not run; resuming performs the access without stopping.
                    return new MachineStop(MachineStopKind.Watchpoint, hart.HartId, Watch: hart.LastWatchHit);
                case HartStop.Idle:
                    {
                        ulong from = hart.Icount;
                        ulong target = Math.Min(limit, NextEvent(from));
                        if (target == ulong.MaxValue && Pacer is InstantPacer)
                            return new MachineStop(MachineStopKind.Starved, hart.HartId);
                        ulong reached = Pacer.IdleUntil(from, target, this);
                        hart.SkipIdle(reached);
                        break;
                    }
            }
        }
    }

    private ulong NextEvent(ulong now)
    {
        ulong next = Math.Min(Input.NextDueIcount, Input.HistoryEnd ?? ulong.MaxValue);
        foreach (var t in _timed) next = Math.Min(next, t.NextDeadline(now));
        return Math.Max(next, now + 1);
    }

    private MachineStop? TakePowerRequest()
    {
        var fin = Finisher;
        if (fin == null || fin.PowerRequest.Action == PowerAction.None) return null;
        var req = fin.PowerRequest;
        fin.ClearRequest();
        switch (req.Action)
        {
            case PowerAction.PowerOff:
                return new MachineStop(MachineStopKind.Exited, ExitCode: 0);
            case PowerAction.ExitWithCode:
                return new MachineStop(MachineStopKind.Exited, ExitCode: req.Code);
            default:
                if (NoReboot) return new MachineStop(MachineStopKind.ResetRequested);
                OnReset?.Invoke();
                return null;
        }
    }
}
