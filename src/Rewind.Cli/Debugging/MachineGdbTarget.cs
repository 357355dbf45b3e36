using System.Globalization;
using Rewind.Board;
using Rewind.Board.Execution;
using Rewind.Core.Input;
using Rewind.Gdb;
using Rewind.Monitor.Hmp;
using Rewind.Replay.TimeTravel;
using Rewind.Riscv;
using Rewind.Riscv.Debug;

namespace Rewind.Cli.Debugging;

/// <summary>
/// The machine as GDB sees it. In replay mode every movement goes through the time-travel engine,
/// so GDB can run backwards; otherwise the machine runs directly.
/// </summary>
internal sealed class MachineGdbTarget : IGdbTarget
{
    private readonly VirtBoard _board;
    private readonly TimeTravelEngine? _engine;
    private readonly HmpCommands _hmp;
    private readonly MachineController _controller;
    private readonly Dictionary<ulong, int> _hardwareBreaks = [];
    private readonly Dictionary<ulong, int> _softwareBreaks = [];

    public MachineGdbTarget(VirtBoard board, TimeTravelEngine? engine, HmpCommands hmp, MachineController controller)
    {
        _board = board;
        _engine = engine;
        _hmp = hmp;
        _controller = controller;
    }

    private Hart Hart => _board.Hart;

    private Hart HartOf(int hart) => _board.Harts[Math.Clamp(hart, 0, _board.Harts.Length - 1)];

    /// <summary>The guest exited while GDB drove it; the process ends once GDB has been told.</summary>
    public int? PendingExit { get; private set; }

    public int HartCount => _board.Harts.Length;
    public bool CanReverse => _engine != null;
    public StopInfo LastStop { get; private set; } = new(StopKind.Signal, 0, 0, 5);

    private void Attach() => _controller.Pause();

    public string? ReadFeature(string annex)
    {
        Attach();
        return GdbRegisters.Annex(Hart, annex);
    }

    public string ReadRegisterHex(int hart, int regno)
    {
        Attach();
        return GdbRegisters.Read(HartOf(hart), regno);
    }

    public bool WriteRegisterHex(int hart, int regno, string hex)
    {
        Attach();
        if (hex.Length % 2 != 0 || hex.Length > 16 || !MayWrite()) return false;
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        return ApplyWrite(DebuggerWrites.Register(regno, bytes, HartOf(hart).HartId)) != 0;
    }

    public int ReadMemory(int hart, ulong address, Span<byte> destination)
    {
        Attach();
        return HartOf(hart).DebugRead(address, destination);
    }

    public int WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source)
    {
        Attach();
        if (!MayWrite()) return 0;
        // Only what is mapped goes into the log; GDB learns how much was written.
        var h = HartOf(hart);
        int mapped = h.DebugRead(address, new byte[source.Length]);
        return mapped == 0 ? 0 : ApplyWrite(DebuggerWrites.Memory(address, source[..mapped], h.HartId));
    }

    /// <summary>
    /// Writes go through the input boundary: a recording logs them at this instruction count, so
    /// its replay makes the same change. A replay refuses them: it would no longer match its log.
    /// </summary>
    private bool MayWrite()
    {
        if (_engine == null) return true;
        if (!_warnedReplayWrite)
        {
            _warnedReplayWrite = true;
            Console.Error.WriteLine("rewind: memory and registers cannot be changed while replaying (the replay would no longer match the recording)");
        }
        return false;
    }

    private bool _warnedReplayWrite;

    private int ApplyWrite(byte[] payload)
    {
        var writes = _board.DebuggerWrites;
        if (_board.Input is LiveInput live) live.DeliverNow(_board.Machine.Icount, InputChannel.DebuggerWrite, payload);
        else writes.Receive(payload);
        return writes.LastResult;
    }

    public bool InsertBreakpoint(BreakpointType type, ulong address, ulong length)
    {
        Attach();
        switch (type)
        {
            case BreakpointType.Software:
            case BreakpointType.Hardware:
                {
                    var table = type == BreakpointType.Software ? _softwareBreaks : _hardwareBreaks;
                    table[address] = table.GetValueOrDefault(address) + 1;
                    foreach (var h in _board.Harts) h.AddBreakpoint(address);
                    return true;
                }
            default:
                if (length == 0) return false;
                foreach (var h in _board.Harts) h.AddWatchpoint(new Watchpoint(address, length, (WatchKind)(int)type));
                return true;
        }
    }

    public bool RemoveBreakpoint(BreakpointType type, ulong address, ulong length)
    {
        Attach();
        switch (type)
        {
            case BreakpointType.Software:
            case BreakpointType.Hardware:
                {
                    var table = type == BreakpointType.Software ? _softwareBreaks : _hardwareBreaks;
                    if (!table.TryGetValue(address, out int n)) return false;
                    if (n > 1) table[address] = n - 1;
                    else table.Remove(address);
                    if (!_softwareBreaks.ContainsKey(address) && !_hardwareBreaks.ContainsKey(address))
                        foreach (var h in _board.Harts) h.RemoveBreakpoint(address);
                    return true;
                }
            default:
                {
                    bool removed = false;
                    foreach (var h in _board.Harts) removed |= h.RemoveWatchpoint(new Watchpoint(address, length, (WatchKind)(int)type));
                    return removed;
                }
        }
    }

    public StopInfo Resume(ResumeAction action, int hart, CancellationToken interrupt)
    {
        Attach();
        if (PendingExit is int code) return LastStop = new StopInfo(StopKind.Exited, 0, 0, code);
        using var reg = interrupt.Register(() =>
        {
            if (_engine != null) _engine.Interrupt();
            else _board.Machine.RequestInterrupt();
        });
        // Monitors (QMP) wait for this run or interrupt it before they touch the machine.
        LastStop = _controller.Drive(() => _engine != null ? ResumeReplay(action, hart) : ResumeLive(action, hart));
        return LastStop;
    }

    private StopInfo ResumeLive(ResumeAction action, int hart)
    {
        var machine = _board.Machine;
        switch (action)
        {
            case ResumeAction.Step:
                {
                    // One step of that hart: the others run their turns in between, as they would.
                    int h = HartOf(hart).HartId;
                    ulong stepAt = machine.NextStepOf(h, machine.Icount);
                    var stop = machine.Run(stepAt, stepOverBreakpoint: true);
                    if (stop.Kind != MachineStopKind.Limit) return FromMachine(stop, stepped: true);
                    return FromMachine(machine.Run(stepAt + 1, stepOverBreakpoint: true), stepped: true, h);
                }
            case ResumeAction.Continue:
                return FromMachine(machine.Run(ulong.MaxValue, stepOverBreakpoint: true), stepped: false);
            default:
                // The session answers E22 before we get here; keep the contract anyway.
                return new StopInfo(StopKind.Signal, 0, 0, 5);
        }
    }

    private StopInfo FromMachine(MachineStop stop, bool stepped, int steppedHart = 0)
    {
        switch (stop.Kind)
        {
            case MachineStopKind.Breakpoint: return BreakStop(stop.Hart);
            case MachineStopKind.Watchpoint: return WatchStop(stop.Watch, stop.Hart);
            case MachineStopKind.Interrupted: return new StopInfo(StopKind.Signal, _board.Machine.CurrentHart, 0, 2);
            case MachineStopKind.Exited:
                PendingExit = stop.ExitCode;
                return new StopInfo(StopKind.Exited, 0, 0, stop.ExitCode);
            case MachineStopKind.ResetRequested:
                PendingExit = 0;
                return new StopInfo(StopKind.Exited, 0, 0, 0);
            default:
                return new StopInfo(StopKind.Signal, stepped ? steppedHart : _board.Machine.CurrentHart, 0, 5);
        }
    }

    private StopInfo ResumeReplay(ResumeAction action, int hart)
    {
        var e = _engine!;
        int h = HartOf(hart).HartId;
        var stop = action switch
        {
            ResumeAction.Step => e.StepForward(h),
            ResumeAction.Continue => e.Forward(ulong.MaxValue, stepOverBreakpoint: true),
            ResumeAction.ReverseStep => e.ReverseStep(h),
            _ => e.ReverseContinue(),
        };
        int current = _board.Machine.CurrentHart;
        return stop.Kind switch
        {
            TravelStopKind.Breakpoint => BreakStop(stop.Hart),
            TravelStopKind.Watchpoint => WatchStop(stop.Watch, stop.Hart),
            TravelStopKind.Interrupted => new StopInfo(StopKind.Signal, current, 0, 2),
            TravelStopKind.HistoryBegin => new StopInfo(StopKind.HistoryBegin, h),
            // A guest that powered off at the end of the recording stays debuggable: it is history's end.
            TravelStopKind.HistoryEnd or TravelStopKind.Exited => new StopInfo(StopKind.HistoryEnd, current),
            _ => new StopInfo(StopKind.Signal, action is ResumeAction.Step or ResumeAction.ReverseStep ? h : current, 0, 5),
        };
    }

    private StopInfo BreakStop(int hart)
    {
        ulong pc = HartOf(hart).Pc;
        return _softwareBreaks.ContainsKey(pc) || !_hardwareBreaks.ContainsKey(pc)
            ? new StopInfo(StopKind.SoftwareBreakpoint, hart, pc)
            : new StopInfo(StopKind.HardwareBreakpoint, hart, pc);
    }

    private static StopInfo WatchStop(WatchHit? hit, int hart)
    {
        if (hit is not WatchHit h) return new StopInfo(StopKind.Signal, hart, 0, 5);
        var kind = h.Kind switch
        {
            WatchKind.Write => StopKind.WriteWatch,
            WatchKind.Read => StopKind.ReadWatch,
            _ => StopKind.AccessWatch,
        };
        return new StopInfo(kind, hart, h.Address);
    }

    // QEMU's wording: GDB shows it in `info threads` beside the thread.
    public string? DescribeThread(int hart) =>
        $"CPU#{HartOf(hart).HartId} [{(HartOf(hart).IsWaiting ? "halted" : "running")}]";

    public string MonitorCommand(string command)
    {
        Attach();
        return _hmp.Execute(command);
    }

    public void Kill()
    {
        _controller.Quit(PendingExit ?? 0);
    }

    public void Detach()
    {
    }
}
