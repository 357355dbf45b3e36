using System.Buffers.Binary;
using System.Text;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Gdb;
using Rewind.Riscv;
using Rewind.Riscv.Debug;
using Rewind.Session;

namespace Rewind.Gdb.Tests;

public sealed class SessionTests : IDisposable
{
    private readonly FakeTarget _target;
    private readonly RspServer _server;
    private readonly RspClient _client;

    public SessionTests() : this(new FakeTarget()) { }

    private SessionTests(FakeTarget target)
    {
        _target = target;
        _server = new RspServer(_target, "tcp::0");
        _server.Start();
        _client = new RspClient(_server);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private static string Hex(string s) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(s));

    private static string Le(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Convert.ToHexStringLower(b);
    }

    [Fact]
    public void QSupported_advertises_features_without_reverse_when_not_replaying()
    {
        string reply = _client.Command("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vContSupported+");
        var features = reply.Split(';');
        Assert.Contains("PacketSize=4000", features);
        Assert.Contains("qXfer:features:read+", features);
        Assert.Contains("swbreak+", features);
        Assert.Contains("hwbreak+", features);
        Assert.Contains("vContSupported+", features);
        Assert.Contains("QStartNoAckMode+", features);
        Assert.DoesNotContain("ReverseStep+", features);
        Assert.DoesNotContain("ReverseContinue+", features);
    }

    [Fact]
    public void QSupported_advertises_reverse_execution_when_replaying()
    {
        _target.CanReverse = true;
        var features = _client.Command("qSupported").Split(';');
        Assert.Contains("ReverseStep+", features);
        Assert.Contains("ReverseContinue+", features);
    }

    [Fact]
    public void Target_description_is_served_in_chunks_and_names_the_architecture()
    {
        var doc = new StringBuilder();
        int offset = 0;
        while (true)
        {
            string reply = _client.Command($"qXfer:features:read:target.xml:{offset:x},40");
            Assert.True(reply[0] is 'm' or 'l', reply);
            doc.Append(reply, 1, reply.Length - 1);
            offset += reply.Length - 1;
            if (reply[0] == 'l') break;
        }
        Assert.Contains("<architecture>riscv:rv64</architecture>", doc.ToString());
        Assert.Equal("E00", _client.Command("qXfer:features:read:nonexistent.xml:0,ffb"));
        Assert.Equal("l", _client.Command("qXfer:features:read:target.xml:10000,ffb"));
    }

    [Fact]
    public void G_returns_x_registers_and_pc_and_p_reads_single_registers()
    {
        _target.GetHart(0).SetX(1, 0x1122334455667788);
        string g = _client.Command("g");
        Assert.Equal(65 * 16, g.Length); // x0..x31, pc, f0..f31
        Assert.Equal(Le(0), g[..16]);
        Assert.Equal("8877665544332211", g.Substring(16, 16));
        Assert.Equal(Le(FakeTarget.RamBase), g.Substring(32 * 16, 16));
        Assert.Equal(Le(FakeTarget.RamBase), _client.Command("p20"));
        Assert.Equal(Le(3), _client.Command($"p{65 + 4096:x}")); // priv = machine
        Assert.Equal(Le(0), _client.Command($"p{65 + 0xf14:x}")); // mhartid
        Assert.Equal(Le(0), _client.Command("p21")); // f0
        Assert.StartsWith("E", _client.Command("pzz"));
    }

    [Fact]
    public void P_and_G_write_registers()
    {
        Assert.Equal("OK", _client.Command($"P5={Le(0xdeadbeef)}"));
        Assert.Equal(0xdeadbeefUL, _target.GetHart(0).GetX(5));
        Assert.Equal("OK", _client.Command($"P{65 + 0x340:x}={Le(0x1234)}")); // mscratch
        Assert.True(_target.GetHart(0).TryReadCsr(Csr.Mscratch, out ulong scratch));
        Assert.Equal(0x1234UL, scratch);
        Assert.StartsWith("E", _client.Command("P5=xyz"));

        var regs = new StringBuilder();
        for (int i = 0; i < 32; i++) regs.Append(Le((ulong)i * 0x100));
        regs.Append(Le(0x80000100));
        Assert.Equal("OK", _client.Command("G" + regs));
        Assert.Equal(0x1f00UL, _target.GetHart(0).GetX(31));
        Assert.Equal(0x80000100UL, _target.GetHart(0).Pc);
        Assert.Equal(0UL, _target.GetHart(0).GetX(0));
    }

    [Fact]
    public void G_writes_only_the_registers_whose_value_changes()
    {
        string all = _client.Command("g");
        int width = 16; // RV64: 8 bytes a register, in hex
        string changed = all[..(5 * width)] + Le(0x55aa) + all[(6 * width)..];
        while (_target.Calls.TryDequeue(out _)) { }
        Assert.Equal("OK", _client.Command("G" + changed));
        Assert.Equal([$"P 0 5 {Le(0x55aa)}"], _target.Calls.Where(c => c.StartsWith('P')).ToArray());
        Assert.Equal(0x55aaUL, _target.GetHart(0).GetX(5));
    }

    [Fact]
    public void Memory_reads_and_writes_with_m_M_and_binary_X()
    {
        Assert.Equal("OK", _client.Command("M80000000,4:13050000"));
        Assert.Equal("13050000", _client.Command("m80000000,4"));
        // X with bytes that need escaping: '#', '$', '}', '*' and 0x03.
        byte[] data = [(byte)'#', (byte)'$', (byte)'}', (byte)'*', 0x03];
        var packet = new List<byte>(Encoding.Latin1.GetBytes("X80000010,5:"));
        packet.AddRange(RspFraming.EscapeBinary(data));
        _client.SendRaw(RspFraming.Frame(packet.ToArray()));
        Assert.Equal('+', (char)_client.ReadByte());
        Assert.Equal("OK", _client.ReadPacket());
        Assert.Equal(Convert.ToHexStringLower(data), _client.Command("m80000010,5"));
        Assert.Equal("OK", _client.Command("X80000000,0:"));
        Assert.StartsWith("E", _client.Command("m10,4")); // unmapped
        Assert.StartsWith("E", _client.Command("M80000000,4:1305")); // length mismatch
        Assert.StartsWith("E", _client.Command("mxyz"));
    }

    [Fact]
    public void Z_and_z_packets_are_routed_to_the_target_with_type_address_and_kind()
    {
        Assert.Equal("OK", _client.Command("Z0,80000004,4"));
        Assert.Equal("OK", _client.Command("Z1,80000008,2"));
        Assert.Equal("OK", _client.Command("Z2,80001000,8"));
        Assert.Equal("OK", _client.Command("Z3,80001000,4"));
        Assert.Equal("OK", _client.Command("Z4,80001000,1;X2,ab"));
        Assert.Equal("OK", _client.Command("z0,80000004,4"));
        Assert.Equal("OK", _client.Command("z4,80001000,1"));
        Assert.Equal("", _client.Command("Z5,0,0"));
        Assert.StartsWith("E", _client.Command("Z0,zz"));
        var calls = _target.Calls.ToArray();
        Assert.Equal([
            "Z Software 80000004 4", "Z Hardware 80000008 2", "Z Write 80001000 8", "Z Read 80001000 4",
            "Z Access 80001000 1", "z Software 80000004 4", "z Access 80001000 1"], calls);
    }

    [Fact]
    public void Reverse_step_and_continue_answer_E22_when_not_replaying()
    {
        Assert.Equal("E22", _client.Command("bs"));
        Assert.Equal("E22", _client.Command("bc"));
        Assert.DoesNotContain(_target.Calls, c => c.StartsWith("resume"));
    }

    [Fact]
    public void Reverse_step_and_continue_resume_backwards_when_replaying()
    {
        _target.CanReverse = true;
        Assert.Equal("T05thread:1;", RspClient.WithoutRegisters(_client.Command("bs")));
        Assert.Equal(FakeTarget.RamBase - 4, _target.GetHart(0).Pc);
        Assert.Equal("T05thread:1;replaylog:begin;", RspClient.WithoutRegisters(_client.Command("bc")));
        Assert.Contains("resume ReverseStep 0", _target.Calls);
        Assert.Contains("resume ReverseContinue 0", _target.Calls);
    }

    [Theory]
    [InlineData(StopKind.Reached, 0, null, 0UL, 0, "T05thread:1;")]
    [InlineData(StopKind.Interrupted, 1, null, 0UL, 0, "T02thread:2;")]
    [InlineData(StopKind.Breakpoint, 0, null, 0UL, 0, "T05thread:1;swbreak:;")]
    [InlineData(StopKind.HardwareBreakpoint, 0, null, 0UL, 0, "T05thread:1;hwbreak:;")]
    [InlineData(StopKind.Watchpoint, 0, WatchKind.Write, 0x80001000UL, 0, "T05thread:1;watch:80001000;")]
    [InlineData(StopKind.Watchpoint, 0, WatchKind.Read, 0x80001004UL, 0, "T05thread:1;rwatch:80001004;")]
    [InlineData(StopKind.Watchpoint, 0, WatchKind.Access, 0x10UL, 0, "T05thread:1;awatch:10;")]
    [InlineData(StopKind.Watchpoint, 0, null, 0UL, 0, "T05thread:1;")]
    [InlineData(StopKind.HistoryBegin, 0, null, 0UL, 0, "T05thread:1;replaylog:begin;")]
    [InlineData(StopKind.HistoryEnd, 0, null, 0UL, 0, "T05thread:1;replaylog:end;")]
    [InlineData(StopKind.Exited, 0, null, 0UL, 0, "W00")]
    [InlineData(StopKind.Exited, 0, null, 0UL, 3, "W03")]
    public void Stop_replies_are_formatted_for_every_stop_kind(StopKind kind, int hart, WatchKind? watch, ulong address, int code, string expected)
    {
        var stop = new MachineStop(kind, hart, code, watch is WatchKind w ? new WatchHit(w, address) : null);
        Assert.Equal(expected, RspSession.StopReply(stop));
        if (hart == 0)
        {
            _target.ScriptedStops.Enqueue(stop);
            Assert.Equal(expected, RspClient.WithoutRegisters(_client.Command("c")));
            Assert.Equal(expected, RspClient.WithoutRegisters(_client.Command("?")));
        }
    }

    [Fact]
    public void Ctrl_c_interrupts_a_running_target_and_gets_a_SIGINT_stop_reply()
    {
        _client.Send("vCont;c");
        Assert.Equal('+', (char)_client.ReadByte());
        Assert.True(_target.ResumeStarted.Wait(TimeSpan.FromSeconds(10)));
        _client.Send("g"); // ignored while running (acked)
        Assert.Equal('+', (char)_client.ReadByte());
        _client.SendRaw([0x03]);
        Assert.Equal("T02thread:1;", RspClient.WithoutRegisters(_client.ReadPacket()));
        Assert.True(_target.WasInterrupted);
        Assert.Equal(FakeTarget.RamBase, BinaryPrimitives.ReadUInt64LittleEndian(Convert.FromHexString(_client.Command("p20"))));
    }

    [Fact]
    public void Bad_checksum_is_nakked_and_the_resend_is_answered()
    {
        _client.SendRaw("$qC#00");
        Assert.Equal('-', (char)_client.ReadByte());
        Assert.Equal("QC1", _client.Command("qC"));
    }

    [Fact]
    public void A_nak_from_the_client_makes_the_server_retransmit()
    {
        _client.Send("qC");
        Assert.Equal('+', (char)_client.ReadByte());
        _client.AckMode = false;
        Assert.Equal("QC1", _client.ReadPacket());
        _client.SendRaw("-");
        _client.AckMode = true;
        Assert.Equal("QC1", _client.ReadPacket());
    }

    [Fact]
    public void Oversized_and_garbage_input_get_errors_and_the_session_survives()
    {
        string huge = "M80000000,4000:" + new string('0', 0x8000);
        Assert.Equal("E01", _client.Command(huge));
        _client.SendRaw("hello world\r\n\u0001\u0002");
        Assert.Equal("E01", _client.Command("ab}"));
        Assert.Equal("", _client.Command("!totally-unknown"));
        Assert.Equal("", _client.Command("vMustReplyEmpty"));
        Assert.Equal("", _client.Command(""));
        Assert.StartsWith("E", _client.Command("vCont;x"));
        Assert.StartsWith("E", _client.Command("Hgzz"));
        Assert.StartsWith("E", _client.Command("qRcmd,zz"));
        Assert.Equal("QC1", _client.Command("qC"));
    }

    [Fact]
    public void A_packet_whose_handler_throws_gets_an_E_reply_and_the_session_keeps_answering()
    {
        _target.ReadMemoryFailure = new InvalidOperationException("unplanned failure");
        Assert.Equal("E01", _client.Command("m80000000,4"));
        Assert.Equal("QC1", _client.Command("qC"));
        _target.ReadMemoryFailure = null;
        Assert.Equal("00000000", _client.Command("m80000000,4"));
    }

    [Fact]
    public void Random_input_never_crashes_or_hangs_the_server()
    {
        var rng = new Random(1234);
        var noise = new byte[64 * 1024];
        rng.NextBytes(noise);
        for (int i = 0; i < noise.Length; i++)
            if (noise[i] is 0x03 or (byte)'$') noise[i] = (byte)'a'; // no Ctrl-C or real packets
        _client.SendRaw(noise);
        _client.SendRaw("#00"); // close any packet the noise opened
        _client.AckMode = true;
        // The session must still answer; drain whatever acks the noise produced first.
        _client.Send("qC");
        string reply;
        do { reply = _client.ReadPacket(); } while (reply != "QC1");
    }

    [Fact]
    public void No_ack_mode_stops_acknowledgements()
    {
        Assert.Equal("OK", _client.Command("QStartNoAckMode"));
        _client.AckMode = false;
        Assert.Equal("QC1", _client.Command("qC"));
        Assert.Equal("1", _client.Command("qAttached"));
    }

    [Fact]
    public void A_long_monitor_command_sends_its_progress_as_O_packets_while_it_works()
    {
        _target.MonitorProgress.AddRange(["rewind: seeking 40% (4M of 10M instructions)\n", "rewind: seeking 80% (8M of 10M instructions)\n"]);
        _target.ProgressDelay = TimeSpan.FromMilliseconds(50);
        using var firstSeen = new ManualResetEventSlim();
        _target.FirstProgressSeen = firstSeen;
        _client.Send("qRcmd," + Hex("help"));
        Assert.Equal('+', (char)_client.ReadByte());
        var packets = new List<string>();
        string reply;
        while ((reply = _client.ReadPacket()) != "OK")
        {
            Assert.StartsWith("O", reply);
            packets.Add(Encoding.UTF8.GetString(Convert.FromHexString(reply[1..])));
            firstSeen.Set();
        }
        Assert.Equal(["rewind: seeking 40% (4M of 10M instructions)\n", "rewind: seeking 80% (8M of 10M instructions)\n", _target.Monitor["help"]],
            packets);
        // The command waited for the client to see its first line: had the server held progress back
        // until the answer, that wait would have run out.
        Assert.False(_target.FirstProgressWaitTimedOut);
    }

    [Fact]
    public void Monitor_output_is_sent_as_O_packets_then_OK()
    {
        _client.Send("qRcmd," + Hex("help"));
        Assert.Equal('+', (char)_client.ReadByte());
        var output = new StringBuilder();
        string reply;
        while ((reply = _client.ReadPacket()) != "OK")
        {
            Assert.StartsWith("O", reply);
            output.Append(Encoding.UTF8.GetString(Convert.FromHexString(reply[1..])));
        }
        Assert.Equal(_target.Monitor["help"], output.ToString());
        Assert.Contains("monitor help", _target.Calls);
    }

    [Fact]
    public void Step_and_vCont_step_resume_the_selected_hart()
    {
        Assert.Equal("vCont;c;C;s;S", _client.Command("vCont?"));
        Assert.Equal("T05thread:1;", RspClient.WithoutRegisters(_client.Command("s")));
        Assert.Equal(FakeTarget.RamBase + 4, _target.GetHart(0).Pc);
        Assert.Equal("T05thread:1;", RspClient.WithoutRegisters(_client.Command("vCont;s:1;c")));
        Assert.Equal(FakeTarget.RamBase + 8, _target.GetHart(0).Pc);
        Assert.Equal("T05thread:1;", RspClient.WithoutRegisters(_client.Command("vCont;S05:1")));
        Assert.Contains("resume Step 0", _target.Calls);
        Assert.StartsWith("E", _client.Command("vCont;s:9"));
    }

    [Fact]
    public void Kill_and_detach_reach_the_target_and_end_the_session()
    {
        Assert.Equal("OK", _client.Command("D"));
        Assert.True(_client.WaitForClose());
        Assert.Contains("detach", _target.Calls);

        using var second = new RspClient(_server);
        Assert.Equal("QC1", second.Command("qC"));
        second.Send("k");
        Assert.Equal('+', (char)second.ReadByte());
        Assert.True(second.WaitForClose());
        Assert.Contains("kill", _target.Calls);

        using var third = new RspClient(_server);
        Assert.Equal("OK", third.Command("vKill;1"));
    }

    [Fact]
    public async Task Client_vanishing_mid_run_cancels_resume_and_a_new_client_can_attach()
    {
        var ended = new TaskCompletionSource<string>();
        _server.SessionEnded += r => ended.TrySetResult(r);
        _client.Send("c");
        Assert.Equal('+', (char)_client.ReadByte());
        Assert.True(_target.ResumeStarted.Wait(TimeSpan.FromSeconds(10)));
        _client.Dispose();
        await _target.ResumeFinished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_target.WasInterrupted);
        string reason = await ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("disconnected", reason);

        using var next = new RspClient(_server);
        Assert.Equal("T02thread:1;", RspClient.WithoutRegisters(next.Command("?")));
    }

    [Fact]
    public void A_second_client_is_turned_away_while_one_is_attached()
    {
        Assert.Equal("QC1", _client.Command("qC"));
        using var intruder = new RspClient(_server);
        Assert.True(intruder.WaitForClose());
        Assert.Equal("QC1", _client.Command("qC"));
    }
}

public sealed class MultiHartSessionTests : IDisposable
{
    private readonly FakeTarget _target = new(harts: 3);
    private readonly RspServer _server;
    private readonly RspClient _client;

    public MultiHartSessionTests()
    {
        _server = new RspServer(_target, "tcp:127.0.0.1:0");
        _server.Start();
        _client = new RspClient(_server);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    [Fact]
    public void Thread_extra_info_names_the_hart_and_an_unknown_thread_is_an_error()
    {
        Assert.Equal(Convert.ToHexStringLower("hart 2"u8), _client.Command("qThreadExtraInfo,3"));
        Assert.StartsWith("E", _client.Command("qThreadExtraInfo,4"));
        Assert.StartsWith("E", _client.Command("qThreadExtraInfo,0"));
        Assert.StartsWith("E", _client.Command("qThreadExtraInfo,zz"));
    }

    [Fact]
    public void A_stop_reply_carries_the_stopped_threads_g_registers_so_gdb_needs_no_g()
    {
        Assert.Equal("OK", _client.Command("Hc2"));
        string stop = _client.Command("s");
        Assert.StartsWith("T05thread:2;", stop);
        var pairs = System.Text.RegularExpressions.Regex.Matches(stop, "(?<=;)([0-9a-f]+):([0-9a-f]+);");
        Assert.Equal(GdbRegisters.GPacketRegisters, pairs.Count);
        Assert.Equal("OK", _client.Command("Hg2"));
        string g = _client.Command("g");
        for (int r = 0; r < pairs.Count; r++)
        {
            Assert.Equal(r, Convert.ToInt32(pairs[r].Groups[1].Value, 16));
            Assert.Equal(g.Substring(r * 16, 16), pairs[r].Groups[2].Value); // the same bytes as g, in the same order
        }
        Assert.Equal(_target.GetHart(1).Pc, BinaryPrimitives.ReadUInt64LittleEndian(Convert.FromHexString(pairs[GdbRegisters.Pc].Groups[2].Value)));
    }

    [Fact]
    public void The_thread_list_is_one_qXfer_document_with_each_threads_text()
    {
        Assert.Contains("qXfer:threads:read+", _client.Command("qSupported:multiprocess+;xmlRegisters=i386"));
        string reply = _client.Command("qXfer:threads:read::0,fff");
        Assert.StartsWith("l<?xml", reply);
        var doc = System.Xml.Linq.XDocument.Parse(reply[1..]);
        var threads = doc.Root!.Elements("thread").ToList();
        Assert.Equal(["1", "2", "3"], threads.Select(t => (string)t.Attribute("id")!));
        Assert.Equal("hart 2", threads[2].Value);
        // Read in small pieces, the document comes whole and the same.
        var pieces = new System.Text.StringBuilder();
        for (int offset = 0; ; offset += 16)
        {
            string part = _client.Command($"qXfer:threads:read::{offset:x},10");
            pieces.Append(part[1..]);
            if (part[0] == 'l') break;
        }
        Assert.Equal(reply[1..], pieces.ToString());
        Assert.StartsWith("E", _client.Command("qXfer:threads:read:annex:0,10"));
        Assert.StartsWith("E", _client.Command("qXfer:threads:read::zz"));
    }

    [Fact]
    public void Harts_are_listed_as_threads_and_selected_with_H()
    {
        Assert.Equal("m1,2,3", _client.Command("qfThreadInfo"));
        Assert.Equal("l", _client.Command("qsThreadInfo"));
        Assert.Equal("OK", _client.Command("T3"));
        Assert.StartsWith("E", _client.Command("T4"));
        Assert.Equal("OK", _client.Command("Hg2"));
        Assert.Equal("QC2", _client.Command("qC"));
        Assert.Equal("0100000000000000", _client.Command($"p{65 + 0xf14:x}")); // mhartid of hart 1
        Assert.Equal("OK", _client.Command("Hg0"));
        Assert.Equal("OK", _client.Command("Hc-1"));
        Assert.Equal("OK", _client.Command("Hc3"));
        Assert.Equal("T05thread:3;", RspClient.WithoutRegisters(_client.Command("s")));
        Assert.Contains("resume Step 2", _target.Calls);
        Assert.Equal("T05thread:2;", RspClient.WithoutRegisters(_client.Command("vCont;s:2")));
        Assert.StartsWith("E", _client.Command("Hg9"));
    }
}

public sealed class UnixSocketTests
{
    [Fact]
    public void Server_listens_on_a_unix_socket_path_and_replaces_a_stale_one()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rewind-gdb-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        var target = new FakeTarget();
        using (var first = new RspServer(target, path))
        {
            first.Start();
            using var client = new RspClient(first);
            Assert.Equal("QC1", client.Command("qC"));
        }
        File.WriteAllText(path, ""); // leftover file nobody listens on
        using var server = new RspServer(target, path);
        server.Start();
        using var again = new RspClient(server);
        Assert.Equal("1", again.Command("qAttached"));
    }
}
