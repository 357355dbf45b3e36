using System.Net;
using System.Text.Json.Nodes;
using Rewind.Board;
using Rewind.Core.Input;
using Rewind.Monitor.Hmp;
using Rewind.Monitor.Qmp;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

/// <summary>A run control that records what the monitor asked for.</summary>
internal sealed class FakeVm : IVmControl
{
    public string Status { get; set; } = "running";
    public bool Running => Status == "running";
    public List<string> Calls { get; } = [];
    public string? ContinueError { get; set; }

    public void Stop()
    {
        Calls.Add("stop");
        Status = "paused";
        Event?.Invoke("STOP", null);
    }

    public string? Continue()
    {
        Calls.Add("cont");
        if (ContinueError != null) return ContinueError;
        Status = "running";
        Event?.Invoke("RESUME", null);
        return null;
    }

    public void Quit(string reason = "host-qmp-quit")
    {
        Calls.Add("quit");
        Event?.Invoke("SHUTDOWN", new Dictionary<string, object> { ["guest"] = false, ["reason"] = reason });
    }

    /// <summary>When set, reset throws it: a command failing in a way nobody planned for.</summary>
    public Exception? ResetFailure { get; set; }

    public string? Reset()
    {
        Calls.Add("reset");
        if (ResetFailure != null) throw ResetFailure;
        return null;
    }

    public T WithMachineStopped<T>(Func<T> work, bool stayStopped = false)
    {
        Calls.Add("stopped-work");
        return work();
    }

    public event Action<string, IReadOnlyDictionary<string, object>?>? Event;
}

public sealed class QmpProtocolTests : IDisposable
{
    private readonly FakeVm _vm = new();
    private readonly QmpServer _server;
    private readonly VirtBoard _board;

    public QmpProtocolTests()
    {
        _board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("count_loop"), Input = new LiveInput() });
        var context = new MonitorContext(_board.Machine, null, RunMode.None, null, _vm);
        _server = new QmpServer(new IPEndPoint(IPAddress.Loopback, 0), new QmpCommands(context, new HmpCommands(context)), _vm);
        _server.Start();
    }

    private EndPoint EndPoint => _server.LocalEndPoint!;

    public void Dispose() => _server.Dispose();

    private static string Desc(JsonObject reply) => reply["error"]!["desc"]!.GetValue<string>();
    private static string Class(JsonObject reply) => reply["error"]!["class"]!.GetValue<string>();

    [Fact]
    public void Greeting_announces_qemu_7_2_0_and_the_oob_capability()
    {
        using var c = QmpClient.Connect(EndPoint);
        Assert.Equal(
            """{"QMP":{"version":{"qemu":{"micro":0,"minor":2,"major":7},"package":"Rewind"},"capabilities":["oob"]}}""",
            c.Greeting.ToJsonString());
    }

    [Fact]
    public void Greeting_is_written_in_qemu_spacing_on_one_line()
    {
        using var s = new System.Net.Sockets.TcpClient();
        s.Connect((IPEndPoint)EndPoint);
        using var reader = new StreamReader(s.GetStream());
        Assert.Equal("""{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Rewind"}, "capabilities": ["oob"]}}""",
            reader.ReadLine());
    }

    [Fact]
    public void Commands_before_negotiation_are_refused_with_CommandNotFound()
    {
        using var c = QmpClient.Connect(EndPoint);
        var r = c.Execute("query-status", id: 3);
        Assert.Equal("CommandNotFound", Class(r));
        Assert.Equal("Expecting capabilities negotiation with 'qmp_capabilities'", Desc(r));
        Assert.Equal(3, r["id"]!.GetValue<int>());
    }

    [Fact]
    public void Qmp_capabilities_returns_empty_object_and_a_second_one_is_refused()
    {
        using var c = QmpClient.Connect(EndPoint);
        Assert.Equal("""{"return":{}}""", c.Execute("qmp_capabilities").ToJsonString());
        var again = c.Execute("qmp_capabilities");
        Assert.Equal("CommandNotFound", Class(again));
        Assert.Equal("Capabilities negotiation is already complete, command ignored", Desc(again));
    }

    [Fact]
    public void Qmp_capabilities_accepts_enabling_oob_and_rejects_unknown_capabilities()
    {
        using var c = QmpClient.Connect(EndPoint);
        var bad = c.Execute("qmp_capabilities", new JsonObject { ["enable"] = new JsonArray("telepathy") });
        Assert.Equal("GenericError", Class(bad));
        Assert.Contains("telepathy", Desc(bad));
        Assert.True(c.Execute("qmp_capabilities", new JsonObject { ["enable"] = new JsonArray("oob") }).ContainsKey("return"));
    }

    [Fact]
    public void Replies_echo_the_request_id_whatever_its_type()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("abc", c.Execute("query-status", id: "abc")["id"]!.GetValue<string>());
        Assert.Equal(42, c.Execute("query-status", id: 42)["id"]!.GetValue<int>());
        var obj = c.Execute("no-such-command", id: new JsonObject { ["n"] = new JsonArray(1, 2) });
        Assert.Equal("""{"n":[1,2]}""", obj["id"]!.ToJsonString());
        Assert.False(c.Execute("query-status").ContainsKey("id"));
    }

    [Fact]
    public void Unknown_command_is_CommandNotFound_with_qemu_wording()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        var r = c.Execute("frobnicate");
        Assert.Equal("CommandNotFound", Class(r));
        Assert.Equal("The command frobnicate has not been found", Desc(r));
    }

    [Fact]
    public void Malformed_json_gets_a_parse_error_and_the_connection_stays_usable()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        c.SendRaw("{\"execute\": }\n");
        var r = c.ReadReply();
        Assert.Equal("GenericError", Class(r));
        Assert.StartsWith("JSON parse error, ", Desc(r));
        c.SendRaw("}\n");
        Assert.StartsWith("JSON parse error, ", Desc(c.ReadReply()));
        Assert.Equal("running", c.Execute("query-status")["return"]!["status"]!.GetValue<string>());
    }

    private static string QueryStatus(QmpClient c) => c.Execute("query-status")["return"]!["status"]!.GetValue<string>();

    [Fact]
    public void Duplicated_key_is_a_GenericError_and_the_session_goes_on()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        c.SendRaw("{\"execute\":\"stop\",\"execute\":\"cont\"}\n");
        var r = c.ReadReply();
        Assert.Equal("GenericError", Class(r));
        Assert.Equal("JSON parse error, duplicate key", Desc(r));
        c.SendRaw("{\"execute\":\"query-status\",\"arguments\":{\"a\":1,\"a\":2},\"id\":1}\n");
        Assert.Equal("JSON parse error, duplicate key", Desc(c.ReadReply()));
        Assert.Empty(_vm.Calls);
        Assert.Equal("running", QueryStatus(c));
    }

    [Fact]
    public void Odd_names_ids_and_junk_after_a_request_neither_share_nodes_nor_end_the_session()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        c.SendRaw("{\"execute\":\"query-status\\u0000\"}}\"x\n");
        Assert.Equal("CommandNotFound", Class(c.ReadReply()));
        Assert.Equal("GenericError", Class(c.ReadReply()));
        Assert.Equal("GenericError", Class(c.ReadReply()));
        // A lone surrogate cannot become text: refused, not thrown.
        c.SendRaw("\n{\"execute\":\"query-status\",\"id\":\"\\ud800\"}\n");
        Assert.Equal("GenericError", Class(c.ReadReply()));
        // The same id in a reply and then in an error reply, several times over.
        var id = new JsonObject { ["n"] = new JsonArray(1, 2) };
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("""{"n":[1,2]}""", c.Execute("query-status", id: id.DeepClone())["id"]!.ToJsonString());
            Assert.Equal("""{"n":[1,2]}""", c.Execute("nope", id: id.DeepClone())["id"]!.ToJsonString());
        }
        Assert.Equal("running", QueryStatus(c));
    }

    [Fact]
    public void A_number_without_whitespace_past_the_size_limit_is_refused_and_the_server_goes_on()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        var digits = new string('9', 64 * 1024);
        for (int i = 0; i < 64; i++) c.SendRaw(digits); // 4 MiB, one token
        c.SendRaw("\n");
        var r = c.ReadReply();
        Assert.Equal("GenericError", Class(r));
        Assert.StartsWith("JSON message size limit exceeded", Desc(r));
        Assert.Equal("running", QueryStatus(c));
        using var again = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("running", QueryStatus(again));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        int deep = QmpJson.MaxDepth + 1;
        c.SendRaw("{\"execute\":\"query-status\",\"id\":" + new string('[', deep) + new string(']', deep) + "}\n");
        var r = c.ReadReply();
        Assert.Equal("GenericError", Class(r));
        Assert.StartsWith("JSON nesting depth limit exceeded", Desc(r));
        Assert.Equal("running", QueryStatus(c));
    }

    [Fact]
    public void A_command_handler_that_throws_yields_a_GenericError_saying_what_went_wrong()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        _vm.ResetFailure = new InvalidOperationException("reset blew up\nbadly");
        var r = c.Execute("system_reset", id: 9);
        Assert.Equal("GenericError", Class(r));
        Assert.Equal("internal error: InvalidOperationException: reset blew up badly", Desc(r));
        Assert.Equal(9, r["id"]!.GetValue<int>());
        Assert.Equal("Invalid parameter type for 'icount', expected: integer",
            Desc(c.Execute("replay-break", new JsonObject { ["icount"] = "x" })));
        Assert.Equal("running", QueryStatus(c));
    }

    [Fact]
    public void An_hmp_command_that_throws_yields_one_line_of_error_text()
    {
        var context = new MonitorContext(_board.Machine, null, RunMode.None, null, _vm);
        var hmp = new HmpCommands(context);
        _vm.ResetFailure = new InvalidOperationException("reset blew up\nbadly");
        Assert.Equal("system_reset: internal error: InvalidOperationException: reset blew up badly\n", hmp.Execute("system_reset"));
        Assert.Equal("VM status: running\n", hmp.Execute("info status"));
    }

    [Fact]
    public void Input_that_is_not_an_object_or_lacks_execute_is_rejected()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        c.SendRaw("[1, 2]\n");
        Assert.Equal("QMP input must be a JSON object", Desc(c.ReadReply()));
        c.SendRaw("42\n");
        Assert.Equal("QMP input must be a JSON object", Desc(c.ReadReply()));
        c.SendRaw("{\"id\": 5}\n");
        var lacks = c.ReadReply();
        Assert.Equal("QMP input lacks member 'execute'", Desc(lacks));
        Assert.Equal(5, lacks["id"]!.GetValue<int>());
        c.SendRaw("{\"execute\": \"stop\", \"bogus\": 1}\n");
        Assert.Equal("QMP input member 'bogus' is unexpected", Desc(c.ReadReply()));
        c.SendRaw("{\"execute\": 1}\n");
        Assert.Equal("QMP input member 'execute' must be a string", Desc(c.ReadReply()));
        c.SendRaw("{\"execute\": \"stop\", \"arguments\": []}\n");
        Assert.Equal("QMP input member 'arguments' must be an object", Desc(c.ReadReply()));
    }

    [Fact]
    public void Requests_split_across_writes_or_sharing_one_write_are_all_answered()
    {
        using var c = QmpClient.Connect(EndPoint);
        c.SendRaw("{\"execute\": \"qmp_capa");
        Thread.Sleep(50);
        c.SendRaw("bilities\", \"id\": 1}{\"execute\": \"query-status\", \"id\": 2}\r\n{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"help\"}, \"id\": \"}{\"}");
        Assert.Equal(1, c.ReadReply()["id"]!.GetValue<int>());
        Assert.Equal(2, c.ReadReply()["id"]!.GetValue<int>());
        var third = c.ReadReply();
        Assert.Equal("}{", third["id"]!.GetValue<string>());
        Assert.Contains("replay_seek", third["return"]!.GetValue<string>());
    }

    [Fact]
    public void Bad_arguments_are_GenericError_naming_the_parameter()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("Parameter 'icount' is missing", Desc(c.Execute("replay-seek")));
        Assert.Equal("Invalid parameter type for 'icount', expected: integer",
            Desc(c.Execute("replay-break", new JsonObject { ["icount"] = "100" })));
        Assert.Equal("Invalid parameter type for 'icount', expected: integer",
            Desc(c.Execute("replay-break", new JsonObject { ["icount"] = 1.5 })));
        Assert.Equal("Parameter 'force' is unexpected", Desc(c.Execute("stop", new JsonObject { ["force"] = true })));
        Assert.Equal("Parameter 'command-line' is missing", Desc(c.Execute("human-monitor-command")));
        Assert.Equal("GenericError", Class(c.Execute("stop", new JsonObject { ["force"] = true })));
    }

    [Fact]
    public void Query_status_has_status_singlestep_and_running()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("""{"return":{"status":"running","singlestep":false,"running":true}}""", c.Execute("query-status").ToJsonString());
        _vm.Status = "prelaunch";
        Assert.Equal("""{"return":{"status":"prelaunch","singlestep":false,"running":false}}""", c.Execute("query-status").ToJsonString());
    }

    [Fact]
    public void Stop_and_cont_reach_the_run_control_and_announce_STOP_and_RESUME()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("""{"return":{}}""", c.Execute("stop").ToJsonString());
        var stop = c.WaitEvent("STOP");
        Assert.False(stop.ContainsKey("data"));
        Assert.True(stop["timestamp"]!["seconds"]!.GetValue<long>() > 1_600_000_000);
        long micro = stop["timestamp"]!["microseconds"]!.GetValue<long>();
        Assert.InRange(micro, 0, 999_999);
        Assert.Equal("""{"return":{}}""", c.Execute("cont").ToJsonString());
        c.WaitEvent("RESUME");
        Assert.Equal(["stop", "cont"], _vm.Calls);
    }

    [Fact]
    public void Cont_that_the_machine_refuses_is_a_GenericError()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        _vm.ContinueError = "Resetting the Virtual Machine is required";
        Assert.Equal("Resetting the Virtual Machine is required", Desc(c.Execute("cont")));
    }

    [Fact]
    public void Quit_replies_first_then_announces_SHUTDOWN()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        c.SendRaw("{\"execute\": \"quit\", \"id\": 9}\n");
        var reply = c.ReadMessage();
        Assert.Equal("""{"return":{},"id":9}""", reply.ToJsonString());
        var ev = c.ReadMessage();
        Assert.Equal("SHUTDOWN", ev["event"]!.GetValue<string>());
        Assert.Equal("""{"guest":false,"reason":"host-qmp-quit"}""", ev["data"]!.ToJsonString());
    }

    [Fact]
    public void Events_go_only_to_clients_that_negotiated()
    {
        using var negotiated = QmpClient.ConnectNegotiated(EndPoint);
        using var fresh = QmpClient.Connect(EndPoint);
        negotiated.Execute("stop");
        negotiated.WaitEvent("STOP");
        // The fresh client's next message must be the reply to its own command, no STOP before it.
        var r = fresh.Execute("qmp_capabilities");
        Assert.Equal("""{"return":{}}""", r.ToJsonString());
        Assert.Empty(fresh.QueuedEvents);
    }

    [Fact]
    public void Several_clients_at_once_and_reconnecting_clients_are_served()
    {
        using (var a = QmpClient.ConnectNegotiated(EndPoint))
        using (var b = QmpClient.ConnectNegotiated(EndPoint))
        {
            a.Execute("stop");
            b.WaitEvent("STOP");
            Assert.Equal("paused", b.Execute("query-status")["return"]!["status"]!.GetValue<string>());
        }
        for (int i = 0; i < 3; i++)
        {
            using var c = QmpClient.ConnectNegotiated(EndPoint);
            Assert.True(c.Execute("query-status").ContainsKey("return"));
        }
    }

    [Fact]
    public void Query_replay_without_record_replay_has_mode_none_and_no_filename()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("""{"return":{"mode":"none","icount":0}}""", c.Execute("query-replay").ToJsonString());
    }

    [Fact]
    public void Replay_commands_outside_replay_mode_use_qemu_errors()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        Assert.Equal("setting the breakpoint is allowed only in play mode", Desc(c.Execute("replay-break", new JsonObject { ["icount"] = 10 })));
        Assert.Equal("replay breakpoints are allowed only in play mode", Desc(c.Execute("replay-delete-break")));
        Assert.Equal("replay must be enabled to seek", Desc(c.Execute("replay-seek", new JsonObject { ["icount"] = 10 })));
    }

    [Fact]
    public void Human_monitor_command_returns_the_hmp_text()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        var r = c.Execute("human-monitor-command", new JsonObject { ["command-line"] = "info replay" });
        Assert.Equal("Record/Replay is not active\n", r["return"]!.GetValue<string>());
        var status = c.Execute("human-monitor-command", new JsonObject { ["command-line"] = "info status" });
        Assert.Equal("VM status: running\n", status["return"]!.GetValue<string>());
        var regs = c.Execute("human-monitor-command", new JsonObject { ["command-line"] = "info registers" });
        Assert.Contains("pc       0000000000001000", regs["return"]!.GetValue<string>());
        c.Execute("human-monitor-command", new JsonObject { ["command-line"] = "stop" });
        Assert.Contains("stop", _vm.Calls);
    }

    [Fact]
    public void Query_commands_lists_every_command()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        var names = c.Execute("query-commands")["return"]!.AsArray().Select(n => n!["name"]!.GetValue<string>()).ToHashSet();
        foreach (var n in new[] { "qmp_capabilities", "query-status", "stop", "cont", "quit", "query-replay", "replay-break",
                     "replay-delete-break", "replay-seek", "human-monitor-command", "query-commands" })
            Assert.Contains(n, names);
    }

    [Fact]
    public void Exec_oob_is_refused_for_commands_without_oob_support()
    {
        using var c = QmpClient.ConnectNegotiated(EndPoint);
        c.SendRaw("{\"exec-oob\": \"query-status\", \"id\": 1}\n");
        Assert.Equal("The command query-status does not support OOB", Desc(c.ReadReply()));
    }
}
