using System.Text;
using System.Text.Json.Nodes;
using Rewind.Monitor.Qmp;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// QMP messages (valid commands mutated, deep nesting, huge tokens, duplicated keys, bad UTF-8, lone
/// surrogates, several texts run together) sent in-process to a <see cref="QmpConnection"/>, and HMP
/// lines to <see cref="Rewind.Monitor.Hmp.HmpCommands"/>, on a real machine, live and replaying. Every
/// reply must be JSON; an "internal error" reply or HMP line (a handler's unexpected exception, caught),
/// an exception out of the monitor, or a main loop that fails is a crash; a connection that does not
/// end after its client closes is a hang.
/// </summary>
[Collection(FuzzAreas.Name)]
public sealed class MonitorFuzzTests(ITestOutputHelper output)
{
    private const int PerRig = 60;

    private static readonly string[] Commands =
    [
        """{"execute":"query-status"}""", """{"execute":"query-version","id":1}""", """{"execute":"query-commands","id":"x"}""",
        """{"execute":"stop"}""", """{"execute":"cont","id":[1,2]}""", """{"execute":"query-replay"}""",
        """{"execute":"replay-break","arguments":{"icount":3000000}}""", """{"execute":"replay-delete-break"}""",
        """{"execute":"replay-seek","arguments":{"icount":1000}}""", """{"execute":"replay-seek","arguments":{"icount":18446744073709551615}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"info registers"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"info replay"},"id":{"a":null}}""",
        """{"execute":"system_reset"}""", """{"exec-oob":"query-status","id":2}""", """{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}""",
        """{"execute":"query-status","arguments":{"extra":true}}""", "[1,2,3]", "\"text\"", "12345", "null",
    ];

    private static readonly string[] HmpLines =
    [
        "info registers", "info registers -a", "info replay", "info snapshots", "info status", "info cpus", "help", "?",
        "replay_seek 1000", "replay_seek 99999999999", "replay_break 4000000", "replay_delete_break", "cpu 0", "cpu 1",
        "stop", "cont", "c", "system_reset", "info", "replay_seek -5", "replay_break 0x10",
    ];

    [Fact]
    public void Qmp_messages_always_get_a_json_reply_and_never_end_the_process()
    {
        var tally = new FuzzTally("qmp", output);
        int inputs = FuzzBudget.Inputs(600);
        var deadline = DateTime.UtcNow + FuzzBudget.TimeLimit(12);
        ForEachInput(tally, inputs, deadline, (rig, i) => TryQmp(rig, FuzzBudget.For("qmp", FuzzBudget.Seed, i)));
        tally.Finish(minimumInputs: 20);
    }

    [Fact]
    public void Hmp_lines_always_get_an_answer_and_never_end_the_process()
    {
        var tally = new FuzzTally("hmp", output);
        int inputs = FuzzBudget.Inputs(1500);
        var deadline = DateTime.UtcNow + FuzzBudget.TimeLimit(6);
        ForEachInput(tally, inputs, deadline, (rig, i) => TryHmp(rig, FuzzBudget.For("hmp", FuzzBudget.Seed, i)));
        tally.Finish(minimumInputs: 20);
    }

    private static void ForEachInput(FuzzTally tally, int inputs, DateTime deadline, Func<MachineRig, int, (Outcome, string)> one)
    {
        MachineRig? rig = null;
        try
        {
            for (int i = 0; FuzzBudget.More(i, inputs, deadline, minimum: 20); i++)
            {
                bool replay = i / PerRig % 2 == 1;
                if (rig == null || !rig.Alive || rig.Debugger.CanReverse != replay)
                {
                    rig?.Dispose();
                    rig = new MachineRig(replay);
                }
                var (outcome, detail) = one(rig, i);
                if (rig.MainLoopError is { } e)
                    (outcome, detail) = (Outcome.Crash, $"main loop: {e.GetType().Name}: {e.Message} after {detail}");
                tally.Note(i, outcome, $"{detail} (replaying: {replay})");
                if (rig.MainLoopError != null)
                {
                    rig.Dispose();
                    rig = null;
                }
            }
        }
        finally
        {
            rig?.Dispose();
        }
    }

    private static (Outcome, string) TryHmp(MachineRig rig, Random rng)
    {
        string line = Mutator.Pick(rng, HmpLines);
        if (rng.Next(100) == 0) line = "quit";
        else if (rng.Next(3) > 0)
            line = Encoding.UTF8.GetString(Mutator.Mutate(rng, Encoding.UTF8.GetBytes(line), 1 << 16));
        var r = Bounded.Run(() => rig.Hmp.Execute(line));
        string shown = Shorten(line);
        if (!r.Finished) return (Outcome.Hang, $"no answer to '{shown}'");
        if (r.Error is { } e) return (Outcome.Crash, $"'{shown}' threw {e.GetType().Name}: {e.Message}");
        if (r.Value!.Contains("internal error", StringComparison.Ordinal)) return (Outcome.Crash, $"'{shown}' answered {r.Value.Trim()}");
        bool refused = r.Value.StartsWith("unknown command", StringComparison.Ordinal) || r.Value.Contains("invalid", StringComparison.Ordinal)
            || r.Value.Contains("missing", StringComparison.Ordinal) || r.Value.StartsWith("Error", StringComparison.Ordinal)
            || r.Value.Contains("unknown subcommand", StringComparison.Ordinal) || r.Value.Contains("cannot", StringComparison.Ordinal);
        return (refused ? Outcome.CleanError : Outcome.Accepted, $"'{shown}': {Shorten(r.Value.Trim())}");
    }

    private static (Outcome, string) TryQmp(MachineRig rig, Random rng)
    {
        byte[] input = GenerateQmp(rng);
        var (server, client) = DuplexStream.Pair();
        var log = new StringWriter();
        var connection = new QmpConnection(server, rig.Qmp, TextWriter.Synchronized(log));
        var run = Task.Factory.StartNew(connection.Run, TaskCreationOptions.LongRunning);
        var replies = new MemoryStream();
        var reading = Task.Run(() => client.CopyTo(replies));
        string shown = Shorten(Encoding.Latin1.GetString(input));
        try
        {
            if (rng.Next(8) > 0) client.Write("{\"execute\":\"qmp_capabilities\"}\n"u8);
            // In pieces, as a socket may deliver them.
            for (int at = 0; at < input.Length;)
            {
                int n = Math.Min(input.Length - at, 1 + rng.Next(rng.Next(2) == 0 && input.Length < 4096 ? 16 : 65536));
                client.Write(input, at, n);
                at += n;
            }
            client.Write("\n{\"execute\":\"query-status\",\"id\":\"sentinel\"}\n"u8);
            client.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        // Closing our side ends the connection: the server must see it and stop.
        bool ended;
        try
        {
            ((DuplexStream)client).CloseOutput();
            ended = run.Wait(Bounded.DefaultLimit);
        }
        finally
        {
            connection.Close();
        }
        if (!ended)
        {
            client.Dispose();
            return (Outcome.Hang, $"the connection did not end after '{shown}'");
        }
        if (run.IsFaulted)
        {
            client.Dispose();
            return (Outcome.Crash, $"'{shown}' ended the connection with {run.Exception!.InnerException!.GetType().Name}: {run.Exception.InnerException.Message}");
        }
        try
        {
            reading.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The server's side closed while we read: what came before is kept.
        }
        client.Dispose();
        string text = Encoding.UTF8.GetString(replies.ToArray());
        bool refused = false;
        foreach (string line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            JsonNode? reply;
            try
            {
                reply = JsonNode.Parse(line);
            }
            catch (System.Text.Json.JsonException)
            {
                return (Outcome.Crash, $"reply is not JSON: '{Shorten(line)}' after '{shown}'");
            }
            string? desc = reply?["error"]?["desc"]?.GetValue<string>();
            if (desc != null && desc.StartsWith("internal error", StringComparison.Ordinal))
                return (Outcome.Crash, $"'{shown}' answered {desc}; log: {Shorten(log.ToString())}");
            if (desc != null && reply?["id"]?.ToString() != "sentinel") refused = true;
        }
        return (refused ? Outcome.CleanError : Outcome.Accepted, $"'{shown}'");
    }

    private static string Shorten(string s) => s.Length > 200 ? s[..200] + $"… ({s.Length} chars)" : s;

    private static byte[] GenerateQmp(Random rng)
    {
        string cmd = Mutator.Pick(rng, Commands);
        switch (rng.Next(12))
        {
            case 0:
                {
                    int depth = rng.Next(2) == 0 ? rng.Next(50, 80) : rng.Next(100, 20000);
                    string open = rng.Next(2) == 0 ? "[" : "{\"a\":";
                    string close = open == "[" ? "]" : "}";
                    string nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + (rng.Next(4) == 0 ? "" : string.Concat(Enumerable.Repeat(close, depth)));
                    return Encoding.UTF8.GetBytes($"{{\"execute\":\"query-status\",\"id\":{nested}}}");
                }
            case 1:
                {
                    // A huge token: string, number, or digits with no whitespace at all.
                    int size = rng.Next(2) == 0 ? rng.Next(1000, 70_000) : rng.Next((1 << 20) - 100, (1 << 20) + 5000);
                    return rng.Next(3) switch
                    {
                        0 => Encoding.UTF8.GetBytes($"{{\"execute\":\"query-status\",\"id\":\"{new string('x', size)}\"}}"),
                        1 => Encoding.UTF8.GetBytes($"{{\"execute\":\"query-status\",\"id\":{new string('9', size)}}}"),
                        _ => Encoding.UTF8.GetBytes(new string('7', size)),
                    };
                }
            case 2:
                {
                    string[] dups = ["""{"execute":"stop","execute":"cont"}""", """{"execute":"query-status","id":1,"id":2}""",
                        """{"execute":"replay-seek","arguments":{"icount":1,"icount":2}}""", """{"arguments":{},"arguments":{},"execute":"query-status"}"""];
                    return Encoding.UTF8.GetBytes(Mutator.Pick(rng, dups));
                }
            case 3:
                {
                    // Bad UTF-8 and lone surrogates inside strings.
                    byte[][] bad = [[0xc0, 0x80], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80]];
                    byte[] b = Encoding.UTF8.GetBytes(cmd);
                    int at = Math.Max(1, Array.IndexOf(b, (byte)'"', 1));
                    return [.. b[..at], .. Mutator.Pick(rng, bad), .. b[at..]];
                }
            case 4:
                {
                    string[] escapes = ["\\ud800", "\\udfff", "\\u0000", "\\ud800\\u0041", "\\uzzzz", "\\", "\\x41"];
                    return Encoding.UTF8.GetBytes($"{{\"execute\":\"query-status{Mutator.Pick(rng, escapes)}\",\"id\":\"{Mutator.Pick(rng, escapes)}\"}}");
                }
            case 5:
                {
                    // Several texts with no separator, and junk between them.
                    string a = Mutator.Pick(rng, Commands), b = Mutator.Pick(rng, Commands);
                    string[] junk = ["", "}", "]", "x", "\0", "tru", "1e999", "-0", "\"", "{"];
                    return Encoding.UTF8.GetBytes(a + Mutator.Pick(rng, junk) + b);
                }
            case 6:
                {
                    string[] numbers = ["1e999", "-1", "18446744073709551616", "-9223372036854775809", "1.5", "0x10", "NaN", "1e-999", "00012"];
                    return Encoding.UTF8.GetBytes($"{{\"execute\":\"{Mutator.Pick(rng, ["replay-seek", "replay-break"])}\",\"arguments\":{{\"icount\":{Mutator.Pick(rng, numbers)}}}}}");
                }
            case 7:
                return Encoding.UTF8.GetBytes($"{{\"execute\":\"human-monitor-command\",\"arguments\":{{\"command-line\":\"{JsonEscape(Encoding.UTF8.GetString(Mutator.Mutate(rng, Encoding.UTF8.GetBytes(Mutator.Pick(rng, HmpLines)))))}\"}}}}");
            case 8:
                return Mutator.Noise(rng, 200);
            default:
                return Mutator.Mutate(rng, Encoding.UTF8.GetBytes(cmd), 1 << 16);
        }
    }

    private static string JsonEscape(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s) sb.Append(c is '"' or '\\' || c < ' ' ? $"\\u{(int)c:x4}" : c.ToString());
        return sb.ToString();
    }
}
