using System.Collections.Concurrent;
using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Core.Memory;
using Rewind.Gdb;
using Rewind.Riscv;
using Rewind.Riscv.Debug;
using Rewind.Session;

namespace Rewind.Gdb.Tests;

/// <summary>
/// A test target backed by real harts (registers through GdbRegisters, memory through DebugRead/Write)
/// that never executes anything: a step adds 4 to pc, a continue blocks until interrupted unless a
/// scripted stop is queued. Records every call.
/// </summary>
internal sealed class FakeTarget : IGdbTarget
{
    public const ulong RamBase = 0x8000_0000;
    private readonly Hart[] _harts;
    private readonly HashSet<ulong> _softwareBreakpoints = [];

    public FakeTarget(int harts = 1, bool canReverse = false)
    {
        var bus = new SystemBus(new PhysicalMemory(RamBase, 1 << 20));
        _harts = new Hart[harts];
        for (int i = 0; i < harts; i++)
        {
            _harts[i] = new Hart(i, bus);
            _harts[i].Pc = RamBase;
        }
        CanReverse = canReverse;
    }

    public ConcurrentQueue<string> Calls { get; } = new();
    public ConcurrentQueue<MachineStop> ScriptedStops { get; } = new();
    public Hart GetHart(int i) => _harts[i];
    public SemaphoreSlim ResumeStarted { get; } = new(0);
    public TaskCompletionSource<bool> ResumeFinished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool WasInterrupted { get; private set; }
    public Action<Hart>? BeforeScriptedStop { get; set; }
    public Dictionary<string, string> Monitor { get; } = new() { ["help"] = "info replay -- show replay state\nreplay_seek N -- go to icount N\n" };

    public int HartCount => _harts.Length;
    public bool CanReverse { get; set; }
    public MachineStop LastStop { get; set; } = new(StopKind.Reached);

    public int PcRegister => GdbRegisters.Pc;

    public int GPacketCount(int hart) => GdbRegisters.GPacketRegisters;

    public string? ReadFeature(string annex)
    {
        Calls.Enqueue($"feature {annex}");
        return GdbRegisters.Annex(_harts[0], annex);
    }

    public string ReadRegisterHex(int hart, int regno) => GdbRegisters.Read(_harts[hart], regno);

    public bool WriteRegisterHex(int hart, int regno, string hex)
    {
        Calls.Enqueue($"P {hart} {regno} {hex}");
        return GdbRegisters.WriteHex(_harts[hart], regno, hex);
    }

    /// <summary>When set, memory reads throw it: a handler failing in a way nobody planned for.</summary>
    public Exception? ReadMemoryFailure { get; set; }

    public int ReadMemory(int hart, ulong address, Span<byte> destination) =>
        ReadMemoryFailure is { } failure ? throw failure : _harts[hart].DebugRead(address, destination);

    public int WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source)
    {
        Calls.Enqueue($"M {hart} {address:x} {Convert.ToHexStringLower(source)}");
        return _harts[hart].DebugWrite(address, source);
    }

    public bool InsertBreakpoint(BreakKind type, ulong address, ulong length)
    {
        Calls.Enqueue($"Z {type} {address:x} {length}");
        if (type == BreakKind.Software) lock (_softwareBreakpoints) _softwareBreakpoints.Add(address);
        return true;
    }

    public bool RemoveBreakpoint(BreakKind type, ulong address, ulong length)
    {
        Calls.Enqueue($"z {type} {address:x} {length}");
        if (type == BreakKind.Software) lock (_softwareBreakpoints) _softwareBreakpoints.Remove(address);
        return true;
    }

    public MachineStop Resume(DebugAction action, int hart, CancellationToken interrupt)
    {
        Calls.Enqueue($"resume {action} {hart}");
        ResumeStarted.Release();
        MachineStop stop;
        if ((action == DebugAction.ReverseContinue || (action == DebugAction.Continue && _softwareBreakpoints.Count == 0))
            && ScriptedStops.TryDequeue(out var scripted))
        {
            stop = scripted;
            BeforeScriptedStop?.Invoke(_harts[hart]);
        }
        else switch (action)
            {
                case DebugAction.Step:
                    _harts[hart].Pc += 4;
                    stop = new MachineStop(StopKind.Reached, hart);
                    break;
                case DebugAction.ReverseStep:
                    _harts[hart].Pc -= 4;
                    stop = new MachineStop(StopKind.Reached, hart);
                    break;
                case DebugAction.ReverseContinue:
                    stop = new MachineStop(StopKind.HistoryBegin, hart);
                    break;
                case DebugAction.Continue when _softwareBreakpoints.Count > 0:
                    // "Runs" to the next software breakpoint after pc (GDB single-steps RISC-V in software this way).
                    ulong pc = _harts[hart].Pc;
                    ulong next = _softwareBreakpoints.Where(b => b > pc).DefaultIfEmpty(_softwareBreakpoints.Min()).Min();
                    _harts[hart].Pc = next;
                    stop = new MachineStop(StopKind.Breakpoint, hart);
                    break;
                default:
                    // Runs "forever": only an interrupt stops it.
                    interrupt.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
                    WasInterrupted = interrupt.IsCancellationRequested;
                    stop = new MachineStop(StopKind.Interrupted, hart);
                    break;
            }
        LastStop = stop;
        ResumeFinished.TrySetResult(true);
        return stop;
    }

    public string MonitorCommand(string command)
    {
        Calls.Enqueue($"monitor {command}");
        return Monitor.TryGetValue(command, out var text) ? text : $"unknown command: {command}\n";
    }

    /// <summary>Progress lines a monitor command reports, one every <see cref="ProgressDelay"/>, before its output.</summary>
    public List<string> MonitorProgress { get; } = [];
    public TimeSpan ProgressDelay { get; set; }

    /// <summary>
    /// When set, the command holds after its first progress line until the client has seen it (or 10 s
    /// pass), so a test can tell progress sent while the command works from progress sent with its
    /// answer without depending on timing.
    /// </summary>
    public ManualResetEventSlim? FirstProgressSeen { get; set; }

    /// <summary>Whether the command went on without the client having seen its first progress line.</summary>
    public bool FirstProgressWaitTimedOut { get; private set; }

    public string MonitorCommand(string command, Action<string>? progress)
    {
        for (int i = 0; i < MonitorProgress.Count; i++)
        {
            Thread.Sleep(ProgressDelay);
            progress?.Invoke(MonitorProgress[i]);
            if (i == 0 && FirstProgressSeen is { } seen)
                FirstProgressWaitTimedOut = !seen.Wait(TimeSpan.FromSeconds(10));
        }
        return MonitorCommand(command);
    }

    public void Kill() => Calls.Enqueue("kill");

    public void Detach() => Calls.Enqueue("detach");

    /// <summary>What the server told the target of clients coming and going, apart from <see cref="Calls"/>.</summary>
    public ConcurrentQueue<string> ClientEvents { get; } = new();

    public void ClientAttached() => ClientEvents.Enqueue("attached");

    public void ClientLeft() => ClientEvents.Enqueue("left");

    public int? PendingExit { get; set; }

    public bool Ending { get; set; }

    public void ExitReported() => ClientEvents.Enqueue("exit reported");
}
