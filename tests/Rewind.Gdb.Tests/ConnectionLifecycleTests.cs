using System.Net.Sockets;
using Rewind.Core.Execution;
using Rewind.Gdb;

namespace Rewind.Gdb.Tests;

/// <summary>The server's connection state machine (docs/gdb-server.md), driven over real sockets.</summary>
public sealed class ConnectionLifecycleTests : IDisposable
{
    private readonly FakeTarget _target = new();
    private readonly RspServer _server;
    private readonly List<(GdbConnectionState From, GdbConnectionState To)> _moves = [];

    public ConnectionLifecycleTests()
    {
        _server = new RspServer(_target, "tcp::0");
        _server.Lifecycle.Moved += (from, to) => { lock (_moves) _moves.Add((from, to)); };
        _server.Start();
    }

    public void Dispose() => _server.Dispose();

    private GdbConnectionState[] States()
    {
        lock (_moves) return [.. _moves.Select(m => m.To)];
    }

    private void WaitFor(GdbConnectionState state)
    {
        Assert.True(SpinWait.SpinUntil(() => _server.Lifecycle.State == state, TimeSpan.FromSeconds(10)),
            $"never {state}; moves: {string.Join(", ", States())}");
    }

    [Fact]
    public void Only_the_documented_moves_are_allowed()
    {
        var allowed = new HashSet<(GdbConnectionState, GdbConnectionState)>
        {
            (GdbConnectionState.Idle, GdbConnectionState.Listening), (GdbConnectionState.Idle, GdbConnectionState.Closed),
            (GdbConnectionState.Listening, GdbConnectionState.Attached), (GdbConnectionState.Listening, GdbConnectionState.Closed),
            (GdbConnectionState.Attached, GdbConnectionState.Running), (GdbConnectionState.Attached, GdbConnectionState.Leaving),
            (GdbConnectionState.Running, GdbConnectionState.Attached), (GdbConnectionState.Running, GdbConnectionState.Leaving),
            (GdbConnectionState.Leaving, GdbConnectionState.Listening), (GdbConnectionState.Leaving, GdbConnectionState.Closed),
        };
        foreach (var from in Enum.GetValues<GdbConnectionState>())
            foreach (var to in Enum.GetValues<GdbConnectionState>())
                Assert.Equal(allowed.Contains((from, to)), GdbConnectionLifecycle.Allowed(from, to));
    }

    [Fact]
    public void Connect_resume_stop_and_disconnect_walk_the_states_and_tell_the_target()
    {
        Assert.Equal(GdbConnectionState.Listening, _server.Lifecycle.State);
        using (var client = new RspClient(_server))
        {
            Assert.Equal("T05thread:1;", RspClient.WithoutRegisters(client.Command("?")));
            Assert.Equal(GdbConnectionState.Attached, _server.Lifecycle.State);
            client.Send("c");
            Assert.Equal('+', (char)client.ReadByte());
            Assert.True(_target.ResumeStarted.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal(GdbConnectionState.Running, _server.Lifecycle.State);
            client.SendRaw([0x03]);
            Assert.Equal("T02thread:1;", RspClient.WithoutRegisters(client.ReadPacket()));
            Assert.Equal(GdbConnectionState.Attached, _server.Lifecycle.State);
        }
        WaitFor(GdbConnectionState.Listening);
        Assert.Equal(
            [GdbConnectionState.Listening, GdbConnectionState.Attached, GdbConnectionState.Running, GdbConnectionState.Attached,
             GdbConnectionState.Leaving, GdbConnectionState.Listening],
            States());
        Assert.Equal(["attached", "left"], _target.ClientEvents);
    }

    [Fact]
    public void A_client_dropping_while_its_run_goes_on_leaves_from_running_and_the_run_is_interrupted()
    {
        using (var client = new RspClient(_server))
        {
            client.Send("vCont;c");
            Assert.Equal('+', (char)client.ReadByte());
            Assert.True(_target.ResumeStarted.Wait(TimeSpan.FromSeconds(10)));
        }
        WaitFor(GdbConnectionState.Listening);
        Assert.True(_target.WasInterrupted);
        Assert.Equal(GdbConnectionState.Running, States()[^3]);
        Assert.Equal(GdbConnectionState.Leaving, States()[^2]);
        using var next = new RspClient(_server);
        Assert.Equal("T02thread:1;", RspClient.WithoutRegisters(next.Command("?")));
    }

    [Theory]
    [InlineData("c", false)]
    [InlineData("c", true)]
    [InlineData("s", false)]
    [InlineData("s", true)]
    [InlineData("vCont;c", false)]
    [InlineData("vCont;c", true)]
    public void Short_connections_that_resume_and_drop_at_any_moment_never_stick_the_server(string packet, bool reset)
    {
        foreach (int delay in new[] { 0, 1, 2, 5, 10, 20, 50 })
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(_server.LocalEndPoint!);
            socket.Send(RspFraming.Frame(packet));
            if (delay > 0) Thread.Sleep(delay);
            if (reset) socket.LingerState = new LingerOption(true, 0); // close sends RST
            else socket.Shutdown(SocketShutdown.Both); // FIN
            socket.Dispose();
        }
        // Every one of them has been served and has left; a real client is served at once.
        WaitFor(GdbConnectionState.Listening);
        using var client = new RspClient(_server);
        Assert.StartsWith("T0", client.Command("?"));
        Assert.Equal(GdbConnectionState.Attached, _server.Lifecycle.State);
        var events = _target.ClientEvents.ToArray();
        Assert.Equal(events.Count(e => e == "attached"), events.Count(e => e == "left") + 1);
    }

    [Fact]
    public void The_process_ending_sends_an_idle_client_W_with_the_guests_status()
    {
        using var client = new RspClient(_server);
        Assert.Equal("QC1", client.Command("qC"));
        _target.PendingExit = 3;
        _server.Stop();
        Assert.Equal("W03", client.ReadPacket());
        Assert.True(client.WaitForClose());
        Assert.Equal(GdbConnectionState.Closed, _server.Lifecycle.State);
    }

    [Fact]
    public void The_host_ending_the_process_sends_a_running_client_X_instead_of_its_stop_reply()
    {
        using var client = new RspClient(_server);
        client.Send("c");
        Assert.Equal('+', (char)client.ReadByte());
        Assert.True(_target.ResumeStarted.Wait(TimeSpan.FromSeconds(10)));
        _target.Ending = true;
        _server.Stop();
        Assert.Equal("X09", client.ReadPacket());
        Assert.True(client.WaitForClose());
        Assert.True(_target.WasInterrupted);
    }

    [Fact]
    public void A_W_stop_reply_tells_the_target_the_client_knows_and_is_not_repeated_at_the_end()
    {
        using var client = new RspClient(_server);
        _target.ScriptedStops.Enqueue(new MachineStop(StopKind.Exited, ExitCode: 0));
        _target.PendingExit = 0;
        Assert.Equal("W00", client.Command("c"));
        Assert.True(SpinWait.SpinUntil(() => _target.ClientEvents.Contains("exit reported"), TimeSpan.FromSeconds(10)));
        _server.Stop();
        Assert.True(client.WaitForClose()); // no second W
    }

    [Fact]
    public void A_client_that_detaches_gets_OK_and_leaves()
    {
        using var client = new RspClient(_server);
        Assert.Equal("OK", client.Command("D"));
        Assert.True(client.WaitForClose());
        WaitFor(GdbConnectionState.Listening);
        Assert.Contains("detach", _target.Calls);
        Assert.Equal(["attached", "left"], _target.ClientEvents);
    }
}
