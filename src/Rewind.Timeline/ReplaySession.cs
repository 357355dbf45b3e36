using System.Globalization;
using Rewind.Core.Execution;
using Rewind.Replay.TimeTravel;
using Rewind.Session;

namespace Rewind.Timeline;

/// <summary>
/// The page's view of a replay in this process: it moves the machine through the time-travel engine
/// with the machine stopped (as replay_seek does, so GDB and the monitors wait), and learns of the
/// debugger's stops to draw breakpoint and watchpoint hits.
/// </summary>
public sealed class ReplaySession : ITimelineSession
{
    private readonly Machine _machine;
    private readonly TimeTravelEngine _engine;
    private readonly IVmControl _vm;
    private readonly object _lock = new();
    private readonly List<TimelineEvent> _hits = [];
    private List<TimelineEvent> _snapshots = [];
    private int _version;

    public ReplaySession(Machine machine, TimeTravelEngine engine, IVmControl vm)
    {
        _machine = machine;
        _engine = engine;
        _vm = vm;
        ReadSnapshots();
        // A STOP comes when a run has ended and before anyone runs the machine again: the moment
        // the engine's snapshot list holds still and can be read from this thread.
        vm.Event += (name, _) =>
        {
            if (name == "STOP") ReadSnapshots();
        };
    }

    /// <summary>Hear of the debugger's stops, to draw its breakpoint and watchpoint hits.</summary>
    public void Watch(Debugger debugger) => debugger.Stopped += NoteStop;

    public ulong Position => _machine.Icount;

    public string Status => _vm.Status;

    public int Version => Volatile.Read(ref _version);

    public IReadOnlyList<TimelineEvent> Snapshots
    {
        get
        {
            lock (_lock) return _snapshots;
        }
    }

    public IReadOnlyList<TimelineEvent> Hits
    {
        get
        {
            lock (_lock) return [.. _hits];
        }
    }

    public SeekResult Seek(ulong icount)
    {
        var stop = _vm.WithMachineStopped(() =>
        {
            var s = _engine.Seek(icount);
            ReadSnapshots();
            return s;
        }, stayStopped: true);
        if (stop.Kind == StopKind.Interrupted) throw new TimelineException($"interrupted at instruction {stop.Icount}");
        string? note = stop.Icount == icount ? null
            : stop.Icount > icount ? $"history before instruction {stop.Icount} is not kept; went there"
            : $"the recording ends at instruction {stop.Icount}; went there";
        return new SeekResult(stop.Icount, note);
    }

    /// <summary>Runs on the debugger's thread after a run, with the machine still held by it.</summary>
    private void NoteStop(MachineStop stop)
    {
        string? what = stop.Kind switch
        {
            StopKind.Breakpoint => "breakpoint",
            StopKind.HardwareBreakpoint => "hardware breakpoint",
            StopKind.Watchpoint => "watchpoint",
            _ => null,
        };
        if (what == null) return;
        ulong icount = _machine.Icount;
        var cpus = _machine.Cpus;
        ulong pc = cpus[Math.Clamp(stop.Cpu, 0, cpus.Length - 1)].Pc;
        string text = string.Create(CultureInfo.InvariantCulture, $"{what} hit by hart {stop.Cpu} at pc 0x{pc:x}");
        if (stop.Watch is { } w) text += string.Create(CultureInfo.InvariantCulture, $" (data 0x{w.Address:x})");
        lock (_lock)
        {
            if (_hits.Any(h => h.Icount == icount && h.Text == text)) return;
            int at = _hits.FindIndex(h => h.Icount > icount);
            _hits.Insert(at < 0 ? _hits.Count : at, new TimelineEvent(icount, text));
            _version++;
        }
    }

    /// <summary>Copies the engine's snapshot counts; called only while no one runs the machine.</summary>
    private void ReadSnapshots()
    {
        var all = _engine.Store.All;
        var list = new List<TimelineEvent>(all.Count);
        try
        {
            for (int i = 0; i < all.Count; i++) list.Add(new TimelineEvent(all[i].Icount, "time-travel snapshot"));
        }
        catch (ArgumentOutOfRangeException)
        {
            // A monitor thinned the list as it was read: keep the last copy, the next stop reads again.
            return;
        }
        lock (_lock)
        {
            if (list.Count == _snapshots.Count && list.Select(s => s.Icount).SequenceEqual(_snapshots.Select(s => s.Icount))) return;
            _snapshots = list;
            _version++;
        }
    }
}
