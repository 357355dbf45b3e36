using System.Text.Json;
using System.Text.Json.Nodes;
using Rewind.Monitor.Hmp;
using Rewind.Monitor.TimeTravel;
using Rewind.Replay.TimeTravel;
using Rewind.Session;

namespace Rewind.Monitor.Qmp;

/// <summary>
/// The QMP commands Rewind implements, with QEMU's argument checking and error wording
/// (qapi/control.json, qapi/run-state.json, qapi/replay.json, qapi/misc.json).
/// Shared by every connection; the run control serializes what touches the machine.
/// </summary>
public sealed class QmpCommands
{
    public const int QemuMajor = 7, QemuMinor = 2, QemuMicro = 0;
    public const string Package = "Rewind";

    private readonly MonitorContext _context;
    private readonly HmpCommands _hmp;
    private readonly Dictionary<string, Func<JsonObject, CommandResult>> _table;
    private readonly TimeTravelCommands _travel;

    /// <summary>The event a long travel sends every half second or so while it works.</summary>
    public const string ProgressEvent = "REWIND_PROGRESS";

    /// <summary>A command's return value, and what to do once the reply has been sent.</summary>
    public readonly record struct CommandResult(JsonNode Return, Action? After = null);

    public QmpCommands(MonitorContext context, HmpCommands hmp)
    {
        _context = context;
        _hmp = hmp;
        _table = new(StringComparer.Ordinal)
        {
            ["qmp_capabilities"] = a => throw new QmpException("CommandNotFound", "Capabilities negotiation is already complete, command ignored"),
            ["query-commands"] = QueryCommands,
            ["query-version"] = QueryVersion,
            ["query-status"] = QueryStatus,
            ["stop"] = Stop,
            ["cont"] = Cont,
            ["system_reset"] = SystemReset,
            ["quit"] = Quit,
            ["query-replay"] = QueryReplay,
            ["replay-break"] = ReplayBreak,
            ["replay-delete-break"] = ReplayDeleteBreak,
            ["replay-seek"] = ReplaySeek,
            ["human-monitor-command"] = HumanMonitorCommand,
            ["rewind-when"] = RewindWhen,
            ["rewind-goto"] = RewindGoto,
            ["rewind-bookmark"] = RewindBookmark,
            ["rewind-bookmarks"] = RewindBookmarks,
            ["rewind-delete-bookmark"] = RewindDeleteBookmark,
            ["rewind-last-write"] = a => RewindWrite(a, forward: false),
            ["rewind-next-write"] = a => RewindWrite(a, forward: true),
            ["rewind-goto-output"] = RewindGotoOutput,
            ["rewind-info"] = RewindInfo,
        };
        _travel = new TimeTravelCommands(context);
    }

    public IEnumerable<string> Names => _table.Keys;

    public static JsonObject Greeting() => new()
    {
        ["QMP"] = new JsonObject
        {
            ["version"] = Version(),
            ["capabilities"] = new JsonArray("oob"),
        },
    };

    private static JsonObject Version() => new()
    {
        ["qemu"] = new JsonObject { ["micro"] = QemuMicro, ["minor"] = QemuMinor, ["major"] = QemuMajor },
        ["package"] = Package,
    };

    /// <summary>Runs a command once capabilities are negotiated; throws <see cref="QmpException"/> on failure.</summary>
    public CommandResult Execute(string name, JsonObject arguments)
    {
        if (!_table.TryGetValue(name, out var handler))
            throw new QmpException("CommandNotFound", $"The command {name} has not been found");
        return handler(arguments);
    }

    /// <summary>qmp_capabilities, before negotiation: returns whether out-of-band execution was enabled.</summary>
    public static bool NegotiateCapabilities(JsonObject arguments)
    {
        CheckArguments(arguments, "enable");
        if (arguments["enable"] is null) return false;
        if (arguments["enable"] is not JsonArray list)
            throw QmpException.Generic("Invalid parameter type for 'enable', expected: array");
        bool oob = false;
        foreach (var item in list)
        {
            if (item is not JsonValue v || !v.TryGetValue(out string? cap))
                throw QmpException.Generic("Invalid parameter type for 'enable[0]', expected: string");
            if (cap != "oob") throw QmpException.Generic($"Parameter 'enable' does not accept value '{cap}'");
            oob = true;
        }
        return oob;
    }

    private CommandResult QueryCommands(JsonObject a)
    {
        CheckArguments(a);
        var list = new JsonArray();
        foreach (var n in _table.Keys.Order(StringComparer.Ordinal)) list.Add(new JsonObject { ["name"] = n });
        return new(list);
    }

    private static CommandResult QueryVersion(JsonObject a)
    {
        CheckArguments(a);
        return new(Version());
    }

    private CommandResult QueryStatus(JsonObject a)
    {
        CheckArguments(a);
        var vm = _context.Vm;
        string status = vm?.Status ?? "debug";
        return new(new JsonObject
        {
            ["status"] = status,
            ["singlestep"] = false,
            ["running"] = vm?.Running ?? false,
        });
    }

    private CommandResult Stop(JsonObject a)
    {
        CheckArguments(a);
        Vm().Stop();
        return Empty();
    }

    private CommandResult Cont(JsonObject a)
    {
        CheckArguments(a);
        if (Vm().Continue() is string error) throw QmpException.Generic(error);
        return Empty();
    }

    private CommandResult SystemReset(JsonObject a)
    {
        CheckArguments(a);
        if (Vm().Reset() is string error) throw QmpException.Generic(error);
        return Empty();
    }

    private CommandResult Quit(JsonObject a)
    {
        CheckArguments(a);
        var vm = Vm();
        // QEMU answers first, then announces SHUTDOWN and exits.
        return new(new JsonObject(), () => vm.Quit());
    }

    private CommandResult QueryReplay(JsonObject a)
    {
        CheckArguments(a);
        var info = new JsonObject { ["mode"] = _context.Mode.QmpName() };
        if (_context.Mode != RunMode.None && _context.RecordFile != null) info["filename"] = _context.RecordFile;
        info["icount"] = _context.Machine.Icount;
        return new(info);
    }

    private CommandResult ReplayBreak(JsonObject a)
    {
        CheckArguments(a, "icount");
        long icount = RequiredInt(a, "icount");
        var engine = _context.Engine ?? throw QmpException.Generic("setting the breakpoint is allowed only in play mode");
        // Setting a breakpoint needs no stop: the engine takes it into account while it runs.
        if (icount < 0 || (ulong)icount <= _context.Machine.Icount)
            throw QmpException.Generic("cannot set breakpoint at the past instruction count");
        engine.AddReplayBreak((ulong)icount);
        return Empty();
    }

    private CommandResult ReplayDeleteBreak(JsonObject a)
    {
        CheckArguments(a);
        var engine = _context.Engine ?? throw QmpException.Generic("replay breakpoints are allowed only in play mode");
        engine.ClearReplayBreaks();
        return Empty();
    }

    private CommandResult ReplaySeek(JsonObject a)
    {
        CheckArguments(a, "icount");
        long icount = RequiredInt(a, "icount");
        var engine = _context.Engine ?? throw QmpException.Generic("replay must be enabled to seek");
        if (icount < 0) throw QmpException.Generic("cannot seek to the specified instruction count");
        // Like QEMU, the machine is left stopped at the instruction count it was sent to.
        var stop = _context.Stopped(() =>
        {
            using (engine.ReportProgressTo(Progress("replay-seek"))) return engine.Seek((ulong)icount);
        }, stayStopped: true);
        if (stop.Icount != (ulong)icount)
            throw QmpException.Generic(stop.Kind == Core.Execution.StopKind.Interrupted
                ? $"the seek was interrupted at instruction count {stop.Icount}"
                : $"cannot seek to the specified instruction count: the recording ends at instruction count {stop.Icount}");
        return Empty();
    }

    private CommandResult HumanMonitorCommand(JsonObject a)
    {
        CheckArguments(a, "command-line", "cpu-index");
        if (a["command-line"] is null) throw QmpException.Generic("Parameter 'command-line' is missing");
        if (a["command-line"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw QmpException.Generic("Invalid parameter type for 'command-line', expected: string");
        if (a["cpu-index"] is JsonNode cpu)
        {
            if (cpu.GetValueKind() != JsonValueKind.Number || !cpu.AsValue().TryGetValue(out long idx))
                throw QmpException.Generic("Invalid parameter type for 'cpu-index', expected: integer");
            if (idx != 0) throw QmpException.Generic($"Parameter 'cpu-index' expects a CPU index, and {idx} is not one");
        }
        return new(JsonValue.Create(_hmp.Execute(v.GetValue<string>())));
    }

    /// <summary>REWIND_PROGRESS events for <paramref name="command"/>, to every client.</summary>
    private Action<TravelProgress>? Progress(string command)
    {
        var vm = _context.Vm;
        if (vm == null) return null;
        return p => vm.Announce(ProgressEvent, new Dictionary<string, object>
        {
            ["command"] = command,
            ["operation"] = p.Operation,
            ["done"] = p.Done,
            ["total"] = p.Total,
            ["icount"] = p.Icount,
            ["percent"] = p.Percent,
        });
    }

    /// <summary>Runs a time-travel command: its one-line failures become GenericErrors.</summary>
    private static CommandResult Travel(Func<JsonNode> work)
    {
        try
        {
            return new(work());
        }
        catch (TimeTravelException e)
        {
            throw QmpException.Generic(e.Message);
        }
    }

    private CommandResult RewindWhen(JsonObject a)
    {
        CheckArguments(a);
        return Travel(() =>
        {
            var p = _travel.When();
            var o = new JsonObject { ["icount"] = p.Icount, ["guest-ns"] = p.GuestNanoseconds };
            if (p.End is ulong end) o["end"] = end;
            return o;
        });
    }

    private CommandResult RewindGoto(JsonObject a)
    {
        CheckArguments(a, "target");
        var node = a["target"] ?? throw QmpException.Generic("Parameter 'target' is missing");
        string target = node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.Number when node.AsValue().TryGetValue(out ulong n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw QmpException.Generic("Invalid parameter type for 'target', expected: integer or string"),
        };
        return Travel(() =>
        {
            var (at, note) = _travel.Goto(target, Progress("rewind-goto"));
            var o = new JsonObject { ["icount"] = at };
            if (note != null) o["note"] = note;
            return o;
        });
    }

    private CommandResult RewindBookmark(JsonObject a)
    {
        CheckArguments(a, "name");
        string name = RequiredString(a, "name");
        return Travel(() =>
        {
            var b = _travel.SetBookmark(name);
            return new JsonObject { ["name"] = b.Name, ["icount"] = b.Icount };
        });
    }

    private CommandResult RewindBookmarks(JsonObject a)
    {
        CheckArguments(a);
        return Travel(() =>
        {
            var list = new JsonArray();
            foreach (var b in _travel.ListBookmarks()) list.Add(new JsonObject { ["name"] = b.Name, ["icount"] = b.Icount });
            return list;
        });
    }

    private CommandResult RewindDeleteBookmark(JsonObject a)
    {
        CheckArguments(a, "name");
        string name = RequiredString(a, "name");
        return Travel(() =>
        {
            _travel.DeleteBookmark(name);
            return new JsonObject();
        });
    }

    private CommandResult RewindWrite(JsonObject a, bool forward)
    {
        CheckArguments(a, "address", "size");
        long address = RequiredInt(a, "address"), size = RequiredInt(a, "size");
        if (address < 0 || size <= 0) throw QmpException.Generic("'address' and 'size' must be positive");
        return Travel(() =>
        {
            var hit = _travel.FindWrite((ulong)address, (ulong)size, forward, Progress(forward ? "rewind-next-write" : "rewind-last-write"));
            if (hit == null) return new JsonObject { ["found"] = false, ["icount"] = _context.Machine.Icount };
            return new JsonObject
            {
                ["found"] = true,
                ["icount"] = hit.Icount,
                ["cpu"] = hit.Cpu,
                ["pc"] = hit.Pc,
                ["old"] = Convert.ToHexStringLower(hit.Old),
                ["new"] = Convert.ToHexStringLower(hit.New),
                ["device"] = hit.ByDevice,
            };
        });
    }

    private CommandResult RewindGotoOutput(JsonObject a)
    {
        CheckArguments(a, "pattern");
        string pattern = RequiredString(a, "pattern");
        return Travel(() =>
        {
            var hit = _travel.GotoOutput(pattern, Progress("rewind-goto-output"));
            return new JsonObject { ["icount"] = hit.Line.Icount, ["line"] = hit.Line.Text, ["wrapped"] = hit.Wrapped };
        });
    }

    private CommandResult RewindInfo(JsonObject a)
    {
        CheckArguments(a);
        return Travel(() =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in _travel.Info()) o[k.Replace(' ', '-')] = v;
            return o;
        });
    }

    private static string RequiredString(JsonObject arguments, string name)
    {
        var node = arguments[name] ?? throw QmpException.Generic($"Parameter '{name}' is missing");
        if (node.GetValueKind() != JsonValueKind.String) throw QmpException.Generic($"Invalid parameter type for '{name}', expected: string");
        return node.GetValue<string>();
    }

    private IVmControl Vm() => _context.Vm ?? throw QmpException.Generic("run control is not available");

    private static CommandResult Empty() => new(new JsonObject());

    private static void CheckArguments(JsonObject arguments, params string[] allowed)
    {
        foreach (var (key, _) in arguments)
            if (Array.IndexOf(allowed, key) < 0) throw QmpException.Generic($"Parameter '{key}' is unexpected");
    }

    private static long RequiredInt(JsonObject arguments, string name)
    {
        var node = arguments[name] ?? throw QmpException.Generic($"Parameter '{name}' is missing");
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out long value))
        {
            if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out ulong big))
                return big > long.MaxValue ? throw QmpException.Generic($"Parameter '{name}' expects an integer in range") : (long)big;
            throw QmpException.Generic($"Invalid parameter type for '{name}', expected: integer");
        }
        return value;
    }
}
