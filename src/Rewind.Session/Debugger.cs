using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.TimeTravel;

namespace Rewind.Session;

/// <summary>The ways a debugger moves the machine: GDB's c, s, bc and bs.</summary>
public enum DebugAction { Continue, Step, ReverseStep, ReverseContinue }

/// <summary>The breakpoint kinds a debugger inserts (GDB's Z packet types).</summary>
public enum BreakKind { Software = 0, Hardware = 1, Write = 2, Read = 3, Access = 4 }

/// <summary>
/// The machine as a debugger drives it, for CPUs of any architecture: breakpoints and watchpoints on
/// every CPU, runs and steps of one CPU, reads and logged writes. In replay mode every movement goes
/// through the time-travel engine, so the debugger can run backwards; otherwise the machine runs directly.
/// A front end (the GDB stub) only translates its protocol to these calls.
/// </summary>
public sealed partial class Debugger
{
    private readonly Machine _machine;
    private readonly TimeTravelEngine? _engine;
    private readonly DebuggerWrites _writes;
    private readonly MachineController _controller;
    private readonly Dictionary<ulong, int> _hardwareBreaks = [];
    private readonly Dictionary<ulong, int> _softwareBreaks = [];
    private readonly List<Watchpoint> _watchpoints = [];
    private bool _warnedReplayWrite;

    public Debugger(Machine machine, TimeTravelEngine? engine, DebuggerWrites writes, MachineController controller)
    {
        _machine = machine;
        _engine = engine;
        _writes = writes;
        _controller = controller;
    }

    /// <summary>Told once when a replay refuses a write (the replay would no longer match its recording).</summary>
    public Action<string>? Warn { get; set; }

    /// <summary>Told when the guest ends the run (power-off, exit, reset request) while the debugger drives it.</summary>
    public Action<MachineStop>? GuestEnded { get; set; }

    /// <summary>The guest exited while the debugger drove it; the process ends once the debugger has been told.</summary>
    public int? PendingExit { get; private set; }

    public int CpuCount => _machine.Cpus.Length;
    /// <summary>The machine's instruction count.</summary>
    public ulong Icount => _machine.Icount;

    /// <summary>Told how a long reverse or replayed run is going (every half second or so, on the run's thread).</summary>
    public Action<TravelProgress>? Progress { get; set; }
    public bool CanReverse => _engine != null;
    public MachineStop LastStop { get; private set; } = new(StopKind.Reached);

    /// <summary>Raised after each run or step with its stop, on the run's thread (the timeline page draws breakpoint hits).</summary>
    public event Action<MachineStop>? Stopped;

    public ICpu Cpu(int index) => _machine.Cpus[Math.Clamp(index, 0, _machine.Cpus.Length - 1)];

    /// <summary>A debugger touching the machine holds it paused (the main loop waits).</summary>
    public void Attach() => _controller.Pause();

    public string? ReadFeature(string annex)
    {
        Attach();
        return Cpu(0).Registers.Feature(annex);
    }

    public string ReadRegisterHex(int cpu, int regno)
    {
        Attach();
        return Cpu(cpu).Registers.ReadHex(regno);
    }

    public bool WriteRegister(int cpu, int regno, ReadOnlySpan<byte> value)
    {
        Attach();
        if (!MayWrite()) return false;
        return ApplyWrite(DebuggerWrites.Register(regno, value, Cpu(cpu).Index)) != 0;
    }

    public int ReadMemory(int cpu, ulong address, Span<byte> destination)
    {
        Attach();
        return Cpu(cpu).DebugRead(address, destination);
    }

    public int WriteMemory(int cpu, ulong address, ReadOnlySpan<byte> source)
    {
        Attach();
        if (!MayWrite()) return 0;
        // Only what is mapped goes into the log; the debugger learns how much was written.
        var c = Cpu(cpu);
        int mapped = c.DebugRead(address, new byte[source.Length]);
        return mapped == 0 ? 0 : ApplyWrite(DebuggerWrites.Memory(address, source[..mapped], c.Index));
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
            Warn?.Invoke("memory and registers cannot be changed while replaying (the replay would no longer match the recording)");
        }
        return false;
    }

    private int ApplyWrite(byte[] payload)
    {
        if (_machine.Input is LiveInput live) live.DeliverNow(_machine.Icount, InputChannel.DebuggerWrite, payload);
        else _writes.Receive(payload);
        return _writes.LastResult;
    }

    public bool InsertBreakpoint(BreakKind kind, ulong address, ulong length)
    {
        Attach();
        switch (kind)
        {
            case BreakKind.Software:
            case BreakKind.Hardware:
                {
                    var table = kind == BreakKind.Software ? _softwareBreaks : _hardwareBreaks;
                    table[address] = table.GetValueOrDefault(address) + 1;
                    foreach (var c in _machine.Cpus) c.AddBreakpoint(address);
                    return true;
                }
            default:
                if (length == 0) return false;
                var watch = new Watchpoint(address, length, (WatchKind)(int)kind);
                _machine.AddWatchpoint(watch);
                _watchpoints.Add(watch);
                return true;
        }
    }

    public bool RemoveBreakpoint(BreakKind kind, ulong address, ulong length)
    {
        Attach();
        switch (kind)
        {
            case BreakKind.Software:
            case BreakKind.Hardware:
                {
                    var table = kind == BreakKind.Software ? _softwareBreaks : _hardwareBreaks;
                    if (!table.TryGetValue(address, out int n)) return false;
                    if (n > 1) table[address] = n - 1;
                    else table.Remove(address);
                    if (!_softwareBreaks.ContainsKey(address) && !_hardwareBreaks.ContainsKey(address))
                        foreach (var c in _machine.Cpus) c.RemoveBreakpoint(address);
                    return true;
                }
            default:
                {
                    var watch = new Watchpoint(address, length, (WatchKind)(int)kind);
                    bool removed = _machine.RemoveWatchpoint(watch);
                    _watchpoints.Remove(watch);
                    return removed;
                }
        }
    }

    /// <summary>
    /// Moves the machine; <paramref name="cpu"/> is the CPU a step moves by one of its own steps.
    /// When <paramref name="interrupt"/> is cancelled the run stops at the next instruction boundary (Interrupted).
    /// </summary>
    public MachineStop Resume(DebugAction action, int cpu, CancellationToken interrupt)
    {
        Attach();
        if (PendingExit is int code) return LastStop = new MachineStop(StopKind.Exited, ExitCode: code, Icount: _machine.Icount);
        _clientResumed = true;
        using var runEnded = new CancellationTokenSource();
        // A run forgets an interrupt requested just before it starts (it clears the request as it
        // begins): repeat the request until the run has ended, or a client that vanished in that
        // instant would leave the machine running for nobody, and the server waiting for it.
        using var reg = interrupt.Register(() => _ = RepeatInterruptAsync(runEnded.Token));
        // Monitors (QMP) wait for this run or interrupt it before they touch the machine.
        try
        {
            LastStop = _controller.Drive(() => _engine != null ? ResumeReplay(action, cpu) : ResumeLive(action, cpu));
        }
        finally
        {
            runEnded.Cancel();
        }
        Stopped?.Invoke(LastStop);
        if (LastStop.Kind == StopKind.Exited) GuestEnded?.Invoke(_guestEnd);
        return LastStop;
    }

    private void InterruptRun()
    {
        if (_engine != null) _engine.Interrupt();
        else _machine.RequestInterrupt();
    }

    private async Task RepeatInterruptAsync(CancellationToken runEnded)
    {
        try
        {
            while (!runEnded.IsCancellationRequested)
            {
                InterruptRun();
                await Task.Delay(10, runEnded).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private MachineStop ResumeLive(DebugAction action, int cpu)
    {
        switch (action)
        {
            case DebugAction.Step:
                {
                    // One step of that CPU: the others run their turns in between, as they would.
                    int c = Cpu(cpu).Index;
                    ulong stepAt = _machine.NextStepOf(c, _machine.Icount);
                    var stop = _machine.Run(stepAt, stepOverBreakpoint: true);
                    if (stop.Kind != StopKind.Reached) return Report(stop, c);
                    return Report(_machine.Run(stepAt + 1, stepOverBreakpoint: true), c);
                }
            case DebugAction.Continue:
                return Report(_machine.Run(ulong.MaxValue, stepOverBreakpoint: true), _machine.CurrentHart);
            default:
                throw new InvalidOperationException("running backwards needs a replay");
        }
    }

    private MachineStop ResumeReplay(DebugAction action, int cpu)
    {
        var e = _engine!;
        int c = Cpu(cpu).Index;
        using var progress = e.ReportProgressTo(Progress);
        var stop = action switch
        {
            DebugAction.Step => e.StepForward(c),
            DebugAction.Continue => e.Forward(ulong.MaxValue, stepOverBreakpoint: true),
            DebugAction.ReverseStep => e.ReverseStep(c),
            _ => e.ReverseContinue(),
        };
        // A guest that powered off at the end of the recording stays debuggable: it is history's end.
        if (stop.Kind == StopKind.Exited) stop = stop with { Kind = StopKind.HistoryEnd };
        if (stop.Kind == StopKind.HistoryBegin) return stop with { Cpu = c };
        bool stepped = action is DebugAction.Step or DebugAction.ReverseStep;
        return Report(stop, stepped ? c : _machine.CurrentHart);
    }

    /// <summary>
    /// The stop as the debugger reports it: on the CPU that hit it, took the step, or has the turn; a
    /// breakpoint inserted only as a hardware one says so; an exit is remembered (<see cref="PendingExit"/>).
    /// </summary>
    private MachineStop Report(MachineStop stop, int cpu)
    {
        switch (stop.Kind)
        {
            case StopKind.Breakpoint:
                {
                    ulong pc = Cpu(stop.Cpu).Pc;
                    bool hardware = !_softwareBreaks.ContainsKey(pc) && _hardwareBreaks.ContainsKey(pc);
                    return hardware ? stop with { Kind = StopKind.HardwareBreakpoint } : stop;
                }
            case StopKind.Watchpoint:
                return stop;
            case StopKind.Exited:
                PendingExit = stop.ExitCode;
                _guestEnd = stop;
                return stop with { Cpu = 0 };
            case StopKind.ResetRequested:
                PendingExit = 0;
                _guestEnd = stop;
                return new MachineStop(StopKind.Exited, Icount: stop.Icount);
            case StopKind.Interrupted:
                return stop with { Cpu = _machine.CurrentHart };
            case StopKind.HistoryBegin:
                return stop;
            case StopKind.HistoryEnd or StopKind.Starved:
                return stop with { Kind = StopKind.HistoryEnd, Cpu = _machine.CurrentHart };
            default:
                return stop with { Kind = StopKind.Reached, Cpu = cpu };
        }
    }

    /// <summary>QEMU's wording for a CPU in `info threads`: "CPU#N [running|halted]".</summary>
    public string DescribeCpu(int cpu) => $"CPU#{Cpu(cpu).Index} [{(Cpu(cpu).IsWaiting ? "halted" : "running")}]";

    public void Kill() => _controller.Quit(PendingExit ?? 0);
}
