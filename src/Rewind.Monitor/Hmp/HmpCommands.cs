using System.Globalization;
using System.Text;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Monitor.TimeTravel;
using Rewind.Replay.TimeTravel;
using Rewind.Session;

namespace Rewind.Monitor.Hmp;

/// <summary>
/// QEMU's human monitor commands that matter for record/replay and debugging, with QEMU's wording
/// where QEMU has one. The machine must be stopped while a command runs.
/// </summary>
public sealed class HmpCommands(MonitorContext context)
{
    private static readonly (string Name, string Args, string Help)[] Table =
    [
        ("help", "[cmd]", "show the help"),
        ("cont|c", "", "resume emulation"),
        ("cpu", "index", "set the default CPU"),
        ("info cpus", "", "show infos for each CPU"),
        ("info registers", "[-a]", "show the cpu registers (-a: of every cpu)"),
        ("info replay", "", "show record/replay information"),
        ("info snapshots", "", "show the time-travel snapshots"),
        ("info status", "", "show the current VM status (running|paused)"),
        ("quit|q", "", "quit the emulator"),
        ("replay_break", "icount", "set breakpoint at the specified instruction count (several may be set)"),
        ("replay_delete_break", "", "remove all replay breakpoints"),
        ("replay_seek", "icount", "replay execution to the specified instruction count"),
        ("rewind_bookmark", "name", "bookmark the current instruction count (kept in RECORDING.bookmarks)"),
        ("rewind_bookmarks", "", "list the bookmarks"),
        ("rewind_delete_bookmark", "name", "delete a bookmark"),
        ("rewind_goto", "icount|bookmark|start|end", "go to an instruction count, a bookmark, or the recording's start or end"),
        ("rewind_goto_output", "regex", "go to where the next console line matching regex was written"),
        ("rewind_info", "", "show the recording, the time-travel budget and the bookmarks"),
        ("rewind_last_write", "addr len", "go to the last instruction before now that wrote any of len bytes at addr"),
        ("rewind_next_write", "addr len", "go to the next instruction after now that writes any of len bytes at addr"),
        ("rewind_when", "", "show the current instruction count and guest time"),
        ("stop", "", "stop emulation"),
        ("system_reset", "", "reset the system"),
    ];

    /// <summary>
    /// Runs one command line and returns its output. Never throws: a command that fails unexpectedly
    /// answers one line naming the command and what went wrong, and the monitor goes on.
    /// </summary>
    public string Execute(string line) => Execute(line, null);

    /// <summary>
    /// The same; a long travel (replay_seek, rewind_goto, …) tells <paramref name="progress"/> how far it
    /// got, a line at a time, while it works (the GDB stub sends them as console output).
    /// </summary>
    public string Execute(string line, Action<string>? progress)
    {
        Action<TravelProgress>? sink = progress == null ? null : p => progress($"rewind: {p}\n");
        string cmd = line.Trim();
        if (cmd.Length == 0) return "";
        string[] words = cmd.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            return words[0] switch
            {
                "help" or "?" => Help(),
                "info" when words.Length > 1 => Info(words[1], words.Length > 2 && words[2] == "-a"),
                "info" => "info: missing argument (cpus, registers, replay, snapshots, status)\n",
                "cpu" => SelectCpu(words),
                "replay_break" => ReplayBreak(words),
                "replay_delete_break" => ReplayDeleteBreak(),
                // Refused before the machine is stopped: a refusal leaves the run state as it was (QEMU too).
                "replay_seek" when context.Engine == null => ReplaySeek(words, sink),
                "replay_seek" => context.Stopped(() => ReplaySeek(words, sink), stayStopped: true),
                _ when words[0].StartsWith("rewind_", StringComparison.Ordinal) => Rewind(words[0], cmd[words[0].Length..].Trim(), words, sink),
                "stop" => Stop(),
                "cont" or "c" => Cont(),
                "quit" or "q" => Quit(),
                "system_reset" => SystemReset(),
                _ => $"unknown command: '{words[0]}'\n",
            };
        }
        catch (TimeTravelException e)
        {
            return $"{words[0]}: {e.Message}\n";
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return $"{words[0]}: invalid number\n";
        }
        catch (Exception e)
        {
            return $"{words[0]}: internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}\n";
        }
    }

    private static string Help()
    {
        var sb = new StringBuilder();
        foreach (var (name, args, help) in Table)
            sb.Append(CultureInfo.InvariantCulture, $"{(name + " " + args).TrimEnd()} -- {help}\n");
        return sb.ToString();
    }

    private string Info(string what, bool all) => what switch
    {
        "cpus" => context.Stopped(Cpus),
        "registers" => context.Stopped(() => all ? AllRegisters() : Registers(Cpu)),
        "replay" => Replay(),
        "snapshots" => context.Stopped(Snapshots),
        "status" => Status(),
        _ => $"info: unknown subcommand '{what}'\n",
    };

    // The monitor's default CPU (QEMU's `cpu N`): which hart `info registers` shows. Not guest state.
    private int _cpu;

    private ICpu Cpu => context.Machine.Cpus[Math.Min(_cpu, context.Machine.Cpus.Length - 1)];

    private string SelectCpu(string[] words)
    {
        if (words.Length < 2) return "cpu: missing CPU index\n";
        int n = int.Parse(words[1], CultureInfo.InvariantCulture);
        if (n < 0 || n >= context.Machine.Cpus.Length) return "invalid CPU index\n";
        _cpu = n;
        return "";
    }

    private string Cpus()
    {
        var sb = new StringBuilder();
        foreach (var h in context.Machine.Cpus)
            sb.Append(CultureInfo.InvariantCulture, $"{(h == Cpu ? '*' : ' ')} CPU #{h.Index}: pc=0x{h.Pc:x16}{(h.IsWaiting ? " (halted)" : "")}\n");
        return sb.ToString();
    }

    private string AllRegisters()
    {
        var sb = new StringBuilder();
        foreach (var h in context.Machine.Cpus) sb.Append(CultureInfo.InvariantCulture, $"CPU#{h.Index}\n").Append(Registers(h));
        return sb.ToString();
    }

    private static string Registers(ICpu cpu) => cpu.Registers.Describe();

    private string Replay()
    {
        ulong icount = context.Machine.Icount;
        return context.Mode switch
        {
            RunMode.None => "Record/Replay is not active\n",
            RunMode.Record => $"Recording execution\nfile: {context.RecordFile}\ncurrent instruction count: {icount}\n",
            _ => $"Replaying execution\nfile: {context.RecordFile}\ncurrent instruction count: {icount}\n"
                 + $"recording ends at: {context.Engine?.End}\n"
                 + (context.Engine is { ReplayBreaks.Count: > 0 } e ? $"replay breakpoints: {string.Join(", ", e.ReplayBreaks)}\n" : ""),
        };
    }

    private string Snapshots()
    {
        var e = context.Engine;
        if (e == null) return "No snapshots: time travel works while replaying (-icount rr=replay)\n";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{e.Store.All.Count} snapshots, {e.Store.Bytes / 1024} KiB (budget {e.BudgetBytes >> 20} MiB, interval {e.Interval} instructions)\n");
        foreach (var s in e.Store.All)
            sb.Append(CultureInfo.InvariantCulture, $"  icount {s.Icount,14}  {s.Bytes / 1024,8} KiB{(s.Name != null ? "  " + s.Name : "")}\n");
        return sb.ToString();
    }

    private string Status()
    {
        var vm = context.Vm;
        if (vm == null) return "VM status: debug\n";
        string status = vm.Status;
        if (vm.Running) return "VM status: running\n";
        return status == "paused" ? "VM status: paused\n" : $"VM status: paused ({status})\n";
    }

    private string Stop()
    {
        if (context.Vm == null) return "stop: the machine is stopped by the debugger\n";
        context.Vm.Stop();
        return "";
    }

    private string Cont()
    {
        if (context.Vm == null) return "cont: use the debugger's continue\n";
        return context.Vm.Continue() is string error ? $"Error: {error}\n" : "";
    }

    private string Quit()
    {
        if (context.Vm == null) return "quit: use the debugger's kill\n";
        context.Vm.Quit();
        return "";
    }

    private string SystemReset()
    {
        if (context.Vm == null) return "system_reset: not available here\n";
        return context.Vm.Reset() is string error ? $"Error: {error}\n" : "";
    }

    private string ReplayBreak(string[] words)
    {
        if (context.Engine == null) return "replay_break: Record/replay is not in replay mode\n";
        if (words.Length < 2) return "replay_break: missing instruction count\n";
        ulong n = ulong.Parse(words[1], CultureInfo.InvariantCulture);
        if (n <= context.Machine.Icount) return "replay_break: cannot set breakpoint at the past instruction count\n";
        context.Engine.AddReplayBreak(n);
        return "";
    }

    private TimeTravelCommands? _travel;

    private TimeTravelCommands Travel => _travel ??= new TimeTravelCommands(context);

    /// <summary>The rewind_* commands; <paramref name="rest"/> is the line after the command's name.</summary>
    private string Rewind(string name, string rest, string[] words, Action<TravelProgress>? progress)
    {
        var ci = CultureInfo.InvariantCulture;
        switch (name)
        {
            case "rewind_when":
                {
                    var p = Travel.When();
                    return $"instruction {p.Icount} of {(p.End is ulong e ? e.ToString(ci) : "?")}, guest time {TimeTravelCommands.Seconds(p.GuestNanoseconds)}\n";
                }
            case "rewind_goto":
                {
                    if (rest.Length == 0) return "rewind_goto: missing instruction count, bookmark, start or end\n";
                    var (at, note) = Travel.Goto(rest, progress);
                    return (note != null ? $"rewind_goto: {note}\n" : "") + $"at instruction {at}\n";
                }
            case "rewind_bookmark":
                {
                    if (rest.Length == 0) return "rewind_bookmark: missing name\n";
                    var b = Travel.SetBookmark(rest);
                    return $"bookmark {b.Name} at instruction {b.Icount}\n";
                }
            case "rewind_bookmarks":
                {
                    var all = Travel.ListBookmarks();
                    if (all.Count == 0) return "no bookmarks\n";
                    var sb = new StringBuilder();
                    foreach (var b in all) sb.Append(ci, $"{b.Name} at instruction {b.Icount}\n");
                    return sb.ToString();
                }
            case "rewind_delete_bookmark":
                if (rest.Length == 0) return "rewind_delete_bookmark: missing name\n";
                Travel.DeleteBookmark(rest);
                return "";
            case "rewind_last_write":
            case "rewind_next_write":
                {
                    if (words.Length != 3) return $"{name}: usage: {name} ADDR LEN\n";
                    ulong addr = ParseNumber(words[1]), len = ParseNumber(words[2]);
                    bool forward = name == "rewind_next_write";
                    ulong from = context.Machine.Icount;
                    if (Travel.FindWrite(addr, len, forward, progress) is not WriteHit w)
                        return $"no write to 0x{addr:x} ({len} bytes) {(forward ? "after" : "before")} instruction {from}\n";
                    string who = w.ByDevice ? $"by a device (DMA), hart {w.Cpu} at pc 0x{w.Pc:x}" : $"by hart {w.Cpu} at pc 0x{w.Pc:x}";
                    return $"write at instruction {w.Icount} {who}: 0x{addr:x} ({len} bytes) was {Convert.ToHexStringLower(w.Old)}, became {Convert.ToHexStringLower(w.New)}\n";
                }
            case "rewind_goto_output":
                {
                    if (rest.Length == 0) return "rewind_goto_output: missing regular expression\n";
                    var hit = Travel.GotoOutput(rest, progress);
                    return (hit.Wrapped ? "rewind_goto_output: no match after the present; went to the first one\n" : "")
                           + $"at instruction {hit.Line.Icount}, where the guest wrote: {hit.Line.Text}\n";
                }
            case "rewind_info":
                {
                    var sb = new StringBuilder();
                    foreach (var (k, v) in Travel.Info()) sb.Append(ci, $"{k + ":",-15} {v}\n");
                    return sb.ToString();
                }
            default:
                return $"unknown command: '{name}'\n";
        }
    }

    /// <summary>A number as GDB prints it: decimal, or hex with 0x.</summary>
    private static ulong ParseNumber(string s) =>
        s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.Parse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : ulong.Parse(s, CultureInfo.InvariantCulture);

    private string ReplayDeleteBreak()
    {
        context.Engine?.ClearReplayBreaks();
        return "";
    }

    private string ReplaySeek(string[] words, Action<TravelProgress>? progress)
    {
        if (context.Engine == null) return "replay_seek: Record/replay is not in replay mode\n";
        if (words.Length < 2) return "replay_seek: missing instruction count\n";
        ulong n = ulong.Parse(words[1], CultureInfo.InvariantCulture);
        MachineStop stop;
        using (context.Engine.ReportProgressTo(progress)) stop = context.Engine.Seek(n);
        if (stop.Icount == n) return "";
        // Time travel reaches back to the engine's first snapshot (the start, or where it was switched on).
        return stop.Icount > n
            ? $"replay_seek: history before instruction {stop.Icount} is not kept; went there\n"
            : $"replay_seek: the recording ends at instruction {stop.Icount}\n";
    }
}
