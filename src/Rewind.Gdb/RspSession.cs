using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Session;

namespace Rewind.Gdb;

/// <summary>
/// One GDB connection: decodes packets from <see cref="Stream"/>, drives an <see cref="IGdbTarget"/>
/// and answers. All-stop mode; harts are threads (id = hart index + 1). While the target runs the
/// session keeps reading so that Ctrl-C (0x03) or a vanished client cancel the run.
/// </summary>
public sealed class RspSession
{
    /// <summary>The largest packet we accept (and advertise as PacketSize).</summary>
    public const int PacketSize = 0x4000;

    private const string ErrorGeneric = "E01";
    private const string ErrorFault = "E0e";
    private const string ErrorNotReplaying = "E22";

    private readonly Stream _stream;
    private readonly IGdbTarget _target;
    private readonly TextWriter? _log;
    private readonly GdbConnectionLifecycle _lifecycle;
    private readonly TaskCompletionSource _farewell = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _exitReported;
    private bool _tellTargetExitReported;
    private bool _errorMessages;
    private readonly Channel<RspEvent> _events = Channel.CreateUnbounded<RspEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private bool _ackMode = true;
    private byte[]? _lastSent;
    private int _generalHart;     // Hg: register and memory accesses
    private int _continueHart = -1; // Hc: -1 = all / any
    private int _threadListCursor;
    private byte[]? _threadsDocument;
    private bool _ended;

    /// <param name="lifecycle">The server's state machine; a session on its own gets one of its own, already Attached.</param>
    public RspSession(Stream stream, IGdbTarget target, TextWriter? log = null, GdbConnectionLifecycle? lifecycle = null)
    {
        _stream = stream;
        _target = target;
        _log = log;
        if (lifecycle == null)
        {
            lifecycle = new GdbConnectionLifecycle(log);
            lifecycle.MoveTo(GdbConnectionState.Listening);
            lifecycle.MoveTo(GdbConnectionState.Attached);
        }
        _lifecycle = lifecycle;
    }

    /// <summary>
    /// The process is ending: the client gets its last stop reply (W with the guest's status, or X
    /// when the host ends it) unless it was told already, a run of its own is interrupted first,
    /// and the session ends. Thread-safe.
    /// </summary>
    public void Farewell() => _farewell.TrySetResult();

    /// <summary>Why the session ended (for logs and tests).</summary>
    public string EndReason { get; private set; } = "";

    /// <summary>Serves the connection until the client disconnects, detaches or kills, or <paramref name="cancel"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancel = default)
    {
        using var readerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task reader = ReadLoopAsync(readerCancel.Token);
        try
        {
            while (!_ended)
            {
                RspEvent ev;
                try
                {
                    var readable = _events.Reader.WaitToReadAsync(cancel).AsTask();
                    if (!readable.IsCompleted) await Task.WhenAny(readable, _farewell.Task).ConfigureAwait(false);
                    if (_farewell.Task.IsCompleted)
                    {
                        await SayFarewellAsync().ConfigureAwait(false);
                        break;
                    }
                    if (!await readable.ConfigureAwait(false)) { End("client disconnected"); break; }
                    if (!_events.Reader.TryRead(out ev)) continue;
                }
                catch (OperationCanceledException) { End("server stopping"); break; }
                await HandleEventAsync(ev, cancel).ConfigureAwait(false);
            }
        }
        catch (IOException) { End("connection lost"); }
        catch (ObjectDisposedException) { End("connection closed"); }
        catch (OperationCanceledException) { End("server stopping"); }
        finally
        {
            readerCancel.Cancel();
            try { await reader.ConfigureAwait(false); } catch { /* reader errors only end the session */ }
        }
    }

    /// <summary>The last stop reply of a process that ends: W with the guest's status, or X09 (killed) when the host ends it.</summary>
    private string FarewellReply() =>
        _target.PendingExit is int code ? "W" + ((byte)code).ToString("x2", CultureInfo.InvariantCulture) : "X09";

    private async Task SayFarewellAsync()
    {
        if (!_exitReported)
        {
            _exitReported = true;
            string reply = FarewellReply();
            _log?.WriteLine($"gdb -> {reply} (the process ends)");
            // A client that does not read must not hold the process up.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await SendAsync(reply, timeout.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
        }
        End("the process ends");
    }

    private void End(string reason)
    {
        if (_ended) return;
        _ended = true;
        EndReason = reason;
        _log?.WriteLine($"gdb: session ended: {reason}");
    }

    private async Task ReadLoopAsync(CancellationToken cancel)
    {
        var framer = new PacketReader(PacketSize);
        var buffer = new byte[4096];
        var writer = _events.Writer;
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer, cancel).ConfigureAwait(false);
                if (n <= 0) break;
                framer.Feed(buffer.AsSpan(0, n), ev => writer.TryWrite(ev));
            }
        }
        catch (Exception) { /* EOF, reset or cancellation: all mean the client is gone */ }
        finally { writer.TryComplete(); }
    }

    private async Task HandleEventAsync(RspEvent ev, CancellationToken cancel)
    {
        switch (ev.Kind)
        {
            case RspEventKind.Packet:
                if (_ackMode) await WriteRawAsync("+"u8.ToArray(), cancel).ConfigureAwait(false);
                await DispatchAsync(ev.Text, cancel).ConfigureAwait(false);
                break;
            case RspEventKind.BadChecksum:
                if (_ackMode) await WriteRawAsync("-"u8.ToArray(), cancel).ConfigureAwait(false);
                break;
            case RspEventKind.Oversized:
            case RspEventKind.Malformed:
                if (_ackMode) await WriteRawAsync("+"u8.ToArray(), cancel).ConfigureAwait(false);
                await SendAsync(ev.Kind == RspEventKind.Oversized ? Error(ErrorGeneric, $"packet longer than PacketSize ({PacketSize} bytes)") : Error(ErrorGeneric, "malformed packet"), cancel).ConfigureAwait(false);
                break;
            case RspEventKind.Nak:
                if (_ackMode && _lastSent != null) await WriteRawAsync(_lastSent, cancel).ConfigureAwait(false);
                break;
            case RspEventKind.Ack:
            case RspEventKind.Interrupt: // Ctrl-C while stopped: nothing to interrupt
                break;
        }
    }

    private async Task WriteRawAsync(byte[] bytes, CancellationToken cancel)
    {
        await _stream.WriteAsync(bytes, cancel).ConfigureAwait(false);
        await _stream.FlushAsync(cancel).ConfigureAwait(false);
    }

    private Task SendAsync(string payload, CancellationToken cancel) => SendFramedAsync(RspFraming.Frame(payload), cancel);

    private Task SendFramedAsync(byte[] framed, CancellationToken cancel)
    {
        _lastSent = framed;
        return WriteRawAsync(framed, cancel);
    }

    private async Task DispatchAsync(string packet, CancellationToken cancel)
    {
        _log?.WriteLine($"gdb <- {Printable(packet)}");
        string? reply;
        try
        {
            reply = await HandlePacketAsync(packet, cancel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (IOException or ObjectDisposedException or OperationCanceledException))
        {
            // Nothing a client sends ends the session or the process: the packet gets an E reply
            // (with its text when the client takes E.text; the log line says it either way).
            _log?.WriteLine($"gdb: error handling '{Printable(packet)}': {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
            reply = Error(ErrorGeneric, $"internal error: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
        }
        if (reply != null)
        {
            _log?.WriteLine($"gdb -> {Printable(reply)}");
            await SendAsync(reply, cancel).ConfigureAwait(false);
        }
        if (_tellTargetExitReported)
        {
            // The client knows the guest ended: without -no-shutdown the process may end now.
            _tellTargetExitReported = false;
            _target.ExitReported();
        }
    }

    /// <summary>
    /// An error reply: <c>E.text</c> (GDB's textual form) when the client offered error-message+ in
    /// qSupported, otherwise the classic <c>Enn</c>. The text is printable ASCII, without the
    /// characters that framing treats specially.
    /// </summary>
    private string Error(string code, string message)
    {
        if (!_errorMessages) return code;
        var sb = new StringBuilder("E.", message.Length + 2);
        foreach (char ch in message) sb.Append(ch is >= ' ' and <= '~' and not ('$' or '#' or '}' or '*') ? ch : '?');
        return sb.ToString();
    }

    private static string Printable(string s) => s.Length > 200 ? s[..200] + "..." : s;

    /// <summary>Returns the reply to send, or null when the handler sent it already or none is due.</summary>
    private async Task<string?> HandlePacketAsync(string p, CancellationToken cancel)
    {
        if (p.Length == 0) return "";
        switch (p[0])
        {
            case '?': return StopReplyTo(_target.LastStop);
            case 'g': return ReadAllRegisters();
            case 'G': return WriteAllRegisters(p.AsSpan(1));
            case 'p': return ReadRegister(p.AsSpan(1));
            case 'P': return WriteRegister(p.AsSpan(1));
            case 'm': return ReadMemory(p.AsSpan(1));
            case 'M': return WriteMemoryHex(p.AsSpan(1));
            case 'X': return WriteMemoryBinary(p.AsSpan(1));
            case 'Z': case 'z': return Breakpoint(p);
            case 'H': return SetThread(p.AsSpan(1));
            case 'T': return ParseThread(p.AsSpan(1), out int t) && t > 0 && t <= _target.HartCount ? "OK" : Error(ErrorGeneric, "no such thread");
            case 'c':
            case 's':
                {
                    if (p.Length > 1)
                    {
                        if (!TryHex(p.AsSpan(1), out ulong addr)) return Error(ErrorGeneric, "bad resume address");
                        _target.WriteRegisterHex(ResumeHart(), _target.PcRegister, HexLe(addr));
                    }
                    return await ResumeAsync(p[0] == 'c' ? DebugAction.Continue : DebugAction.Step, ResumeHart(), cancel).ConfigureAwait(false);
                }
            case 'b':
                if (p is not ("bs" or "bc")) return "";
                if (!_target.CanReverse) return Error(ErrorNotReplaying, "running backwards needs a replay (-icount rr=replay)");
                return await ResumeAsync(p == "bs" ? DebugAction.ReverseStep : DebugAction.ReverseContinue, ResumeHart(), cancel).ConfigureAwait(false);
            case 'k':
                _target.Kill();
                End("killed");
                return null;
            case 'D':
                _target.Detach();
                await SendAsync("OK", cancel).ConfigureAwait(false);
                End("detached");
                return null;
            case 'q': return await QueryAsync(p, cancel).ConfigureAwait(false);
            case 'Q':
                if (p == "QStartNoAckMode")
                {
                    await SendAsync("OK", cancel).ConfigureAwait(false);
                    _ackMode = false;
                    return null;
                }
                return "";
            case 'v': return await VerboseAsync(p, cancel).ConfigureAwait(false);
            default: return "";
        }
    }

    private int ResumeHart() => _continueHart >= 0 ? _continueHart : Math.Clamp(_target.LastStop.Cpu, 0, Math.Max(0, _target.HartCount - 1));

    // ---- queries ----

    private async Task<string?> QueryAsync(string p, CancellationToken cancel)
    {
        if (p.StartsWith("qSupported", StringComparison.Ordinal))
        {
            // GDB offers the features it takes; error-message+ means errors may be sent as E.text.
            _errorMessages = p.StartsWith("qSupported:", StringComparison.Ordinal)
                && p["qSupported:".Length..].Split(';').Contains("error-message+");
            var sb = new StringBuilder();
            sb.Append("PacketSize=").Append(PacketSize.ToString("x", CultureInfo.InvariantCulture));
            sb.Append(";qXfer:features:read+;qXfer:threads:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+");
            if (_target.CanReverse) sb.Append(";ReverseStep+;ReverseContinue+");
            if (_errorMessages) sb.Append(";error-message+");
            return sb.ToString();
        }
        if (p.StartsWith("qXfer:features:read:", StringComparison.Ordinal)) return ReadFeature(p["qXfer:features:read:".Length..]);
        if (p.StartsWith("qXfer:threads:read:", StringComparison.Ordinal)) return ReadThreads(p["qXfer:threads:read:".Length..]);
        if (p == "qAttached" || p.StartsWith("qAttached:", StringComparison.Ordinal)) return "1";
        if (p == "qC") return "QC" + ThreadId(_generalHart);
        if (p == "qfThreadInfo")
        {
            _threadListCursor = 0;
            return NextThreadChunk();
        }
        if (p == "qsThreadInfo") return NextThreadChunk();
        if (p.StartsWith("qThreadExtraInfo,", StringComparison.Ordinal))
        {
            if (!ParseThread(p.AsSpan("qThreadExtraInfo,".Length), out int tid) || tid < 1 || tid > _target.HartCount) return Error(ErrorGeneric, "no such thread");
            string text = _target.DescribeThread(tid - 1) ?? $"hart {tid - 1}";
            return Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));
        }
        if (p.StartsWith("qRcmd,", StringComparison.Ordinal))
        {
            if (!TryDecodeHex(p.AsSpan("qRcmd,".Length), out byte[] cmdBytes)) return Error(ErrorGeneric, "the monitor command is not hex");
            return await MonitorAsync(Encoding.UTF8.GetString(cmdBytes), cancel).ConfigureAwait(false);
        }
        return "";
    }

    /// <summary>
    /// A monitor command runs on a worker while this session passes on its progress lines as console
    /// output (O packets): GDB shows them, and each one restarts its 2-second wait for the reply, so a
    /// long seek never reads as a lost connection. The command's own output follows, then OK.
    /// </summary>
    private async Task<string?> MonitorAsync(string command, CancellationToken cancel)
    {
        var progress = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        // A dedicated thread: a seek may block for seconds, and a busy thread pool would otherwise
        // hold back the progress lines (the reader below runs on the pool) until the answer is ready.
        Task<string> run = Task.Factory.StartNew(() =>
        {
            try
            {
                return _target.MonitorCommand(command, line => progress.Writer.TryWrite(line));
            }
            finally
            {
                progress.Writer.TryComplete();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        while (await progress.Reader.WaitToReadAsync(cancel).ConfigureAwait(false))
            while (progress.Reader.TryRead(out string? line))
                await SendConsoleOutputAsync(line, cancel).ConfigureAwait(false);
        await SendConsoleOutputAsync(await run.ConfigureAwait(false), cancel).ConfigureAwait(false);
        return "OK";
    }

    private async Task SendConsoleOutputAsync(string text, CancellationToken cancel)
    {
        byte[] outBytes = Encoding.UTF8.GetBytes(text);
        const int chunk = (PacketSize - 16) / 2;
        for (int i = 0; i < outBytes.Length; i += chunk)
        {
            var part = outBytes.AsSpan(i, Math.Min(chunk, outBytes.Length - i));
            await SendAsync("O" + Convert.ToHexStringLower(part), cancel).ConfigureAwait(false);
        }
    }

    private string NextThreadChunk()
    {
        if (_threadListCursor >= _target.HartCount) return "l";
        var sb = new StringBuilder("m");
        for (int i = _threadListCursor; i < _target.HartCount; i++)
        {
            if (i > _threadListCursor) sb.Append(',');
            sb.Append(ThreadId(i));
        }
        _threadListCursor = _target.HartCount;
        return sb.ToString();
    }

    private string? ReadFeature(string args)
    {
        // ANNEX:OFFSET,LENGTH
        int colon = args.LastIndexOf(':');
        if (colon <= 0) return Error(ErrorGeneric, "expected ANNEX:OFFSET,LENGTH");
        string annex = args[..colon];
        if (!TryParseAddrLen(args.AsSpan(colon + 1), out ulong offset, out ulong length)) return Error(ErrorGeneric, "expected ANNEX:OFFSET,LENGTH");
        string? doc = _target.ReadFeature(annex);
        if (doc == null) return Error("E00", $"no target description named {annex}");
        return XferChunk(Encoding.UTF8.GetBytes(doc), offset, length);
    }

    /// <summary>
    /// qXfer:threads:read (annex empty): every thread with its extra text in one document, so GDB
    /// learns the threads in one packet after a stop instead of qfThreadInfo, qsThreadInfo and a
    /// qThreadExtraInfo per thread. The document is made when read from offset 0 and kept for the
    /// reads that follow, so a list longer than a packet is read whole from one moment.
    /// </summary>
    private string ReadThreads(string args)
    {
        if (!args.StartsWith(':') || !TryParseAddrLen(args.AsSpan(1), out ulong offset, out ulong length))
            return Error(ErrorGeneric, "expected :OFFSET,LENGTH (the threads object has no annex)");
        if (offset == 0 || _threadsDocument == null)
        {
            var sb = new StringBuilder("<?xml version=\"1.0\"?>\n<threads>\n");
            for (int i = 0; i < _target.HartCount; i++)
            {
                string extra = _target.DescribeThread(i) ?? $"hart {i}";
                sb.Append("<thread id=\"").Append(ThreadId(i)).Append("\" core=\"").Append(i.ToString(CultureInfo.InvariantCulture)).Append("\">")
                  .Append(System.Security.SecurityElement.Escape(extra)).Append("</thread>\n");
            }
            _threadsDocument = Encoding.UTF8.GetBytes(sb.Append("</threads>\n").ToString());
        }
        return XferChunk(_threadsDocument, offset, length);
    }

    /// <summary>The qXfer reply for LENGTH bytes of DOC from OFFSET: m for more to come, l for the last.</summary>
    private static string XferChunk(byte[] doc, ulong offset, ulong length)
    {
        if (offset >= (ulong)doc.Length) return "l";
        int len = (int)Math.Min(Math.Min(length, (ulong)(PacketSize / 2)), (ulong)doc.Length - offset);
        bool last = offset + (ulong)len >= (ulong)doc.Length;
        byte[] escaped = RspFraming.EscapeBinary(doc.AsSpan((int)offset, len));
        return (last ? "l" : "m") + Encoding.Latin1.GetString(escaped);
    }

    // ---- v packets ----

    private async Task<string?> VerboseAsync(string p, CancellationToken cancel)
    {
        if (p == "vCont?") return "vCont;c;C;s;S";
        if (p.StartsWith("vCont;", StringComparison.Ordinal))
        {
            // Actions in order; the first one that applies to a thread wins. We resume in all-stop,
            // so a step anywhere means "step that hart", otherwise continue.
            DebugAction? action = null;
            int hart = -1;
            foreach (string part in p[6..].Split(';'))
            {
                if (part.Length == 0) return Error(ErrorGeneric, "empty vCont action");
                string verb = part, thread = "";
                int colon = part.IndexOf(':');
                if (colon >= 0) { verb = part[..colon]; thread = part[(colon + 1)..]; }
                DebugAction a;
                switch (verb[0])
                {
                    case 'c': case 'C': a = DebugAction.Continue; break;
                    case 's': case 'S': a = DebugAction.Step; break;
                    default: return Error(ErrorGeneric, $"unsupported vCont action '{verb}'");
                }
                if ((verb[0] is 'C' or 'S') && !TryHex(verb.AsSpan(1), out _)) return Error(ErrorGeneric, "bad signal number");
                int h = -1;
                if (thread.Length > 0)
                {
                    if (!ParseThread(thread, out int tid)) return Error(ErrorGeneric, "bad thread id");
                    if (tid > 0)
                    {
                        if (tid > _target.HartCount) return Error(ErrorGeneric, "no such thread");
                        h = tid - 1;
                    }
                }
                if (a == DebugAction.Step && action != DebugAction.Step) { action = a; hart = h; }
                else if (action == null) { action = a; hart = h; }
            }
            if (action == null) return Error(ErrorGeneric, "vCont without an action");
            if (hart < 0) hart = ResumeHart();
            return await ResumeAsync(action.Value, hart, cancel).ConfigureAwait(false);
        }
        if (p.StartsWith("vKill", StringComparison.Ordinal))
        {
            _target.Kill();
            await SendAsync("OK", cancel).ConfigureAwait(false);
            End("killed");
            return null;
        }
        return ""; // vMustReplyEmpty and everything we do not know
    }

    // ---- running ----

    private async Task<string?> ResumeAsync(DebugAction action, int hart, CancellationToken cancel)
    {
        if (_target.Ending) return await FarewellInsteadAsync().ConfigureAwait(false);
        _lifecycle.MoveTo(GdbConnectionState.Attached, GdbConnectionState.Running);
        using var interrupt = new CancellationTokenSource();
        Task<MachineStop> run = Task.Run(() => _target.Resume(action, hart, interrupt.Token));
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = cancel.Register(() => stopping.TrySetResult());
        bool clientGone = false, farewell = false;
        try
        {
            while (!run.IsCompleted && !clientGone && !farewell)
            {
                Task<bool> input = _events.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
                Task done = await Task.WhenAny(run, input, stopping.Task, _farewell.Task).ConfigureAwait(false);
                if (done == run) break;
                if (done == _farewell.Task)
                {
                    farewell = true;
                    break;
                }
                if (done == stopping.Task || !await input.ConfigureAwait(false))
                {
                    clientGone = true;
                    break;
                }
                try { await DrainWhileRunningAsync(interrupt).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException) { clientGone = true; }
            }
        }
        finally
        {
            // However this wait ended, the run is told to end: the machine is never left running
            // for a client that is gone (the debugger repeats the request until the run has ended).
            if (!run.IsCompleted) interrupt.Cancel();
        }
        MachineStop stop;
        try { stop = await run.ConfigureAwait(false); }
        catch (Exception ex)
        {
            _log?.WriteLine($"gdb: resume failed: {ex.Message}");
            if (clientGone) { End("client disconnected while running"); return null; }
            _lifecycle.MoveTo(GdbConnectionState.Running, GdbConnectionState.Attached);
            return Error(ErrorGeneric, $"the run failed: {ex.Message}");
        }
        if (clientGone)
        {
            End(cancel.IsCancellationRequested ? "server stopping" : "client disconnected while running");
            return null;
        }
        // The process is ending (Ctrl-C on the emulator, a monitor's quit): the run was interrupted
        // for that, and the client's stop reply is the last one it gets.
        if (farewell || _target.Ending) return await FarewellInsteadAsync().ConfigureAwait(false);
        _lifecycle.MoveTo(GdbConnectionState.Running, GdbConnectionState.Attached);
        if (stop.Kind != StopKind.Exited && stop.Cpu >= 0 && stop.Cpu < _target.HartCount)
            _generalHart = stop.Cpu;
        return StopReplyTo(stop);
    }

    private async Task<string?> FarewellInsteadAsync()
    {
        Farewell();
        await SayFarewellAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>A stop reply that the client is about to be sent; a W tells it the guest ended.</summary>
    private string StopReplyTo(MachineStop stop)
    {
        string reply = StopReply(stop);
        if (stop.Kind != StopKind.Exited) reply = ExpediteRegisters(reply, stop.Cpu);
        if (stop.Kind == StopKind.Exited && !_exitReported) _exitReported = _tellTargetExitReported = true;
        return reply;
    }

    private async Task DrainWhileRunningAsync(CancellationTokenSource interrupt)
    {
        while (_events.Reader.TryRead(out var ev))
        {
            switch (ev.Kind)
            {
                case RspEventKind.Interrupt:
                    interrupt.Cancel();
                    break;
                case RspEventKind.Packet: // ignored until the stop reply, but acknowledged
                case RspEventKind.Oversized:
                case RspEventKind.Malformed:
                    if (_ackMode) await WriteRawAsync("+"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
                    break;
                case RspEventKind.BadChecksum:
                    if (_ackMode) await WriteRawAsync("-"u8.ToArray(), CancellationToken.None).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>
    /// The stop reply packet for a stop: W with the exit status, otherwise T with SIGINT for an
    /// interrupt and SIGTRAP for the rest, the thread, and what GDB needs to know of the reason.
    /// </summary>
    public static string StopReply(MachineStop stop)
    {
        if (stop.Kind == StopKind.Exited) return "W" + ((byte)stop.ExitCode).ToString("x2", CultureInfo.InvariantCulture);
        var sb = new StringBuilder("T").Append(stop.Kind == StopKind.Interrupted ? "02" : "05");
        sb.Append("thread:").Append(ThreadId(stop.Cpu)).Append(';');
        string addr = (stop.Watch?.Address ?? 0).ToString("x", CultureInfo.InvariantCulture);
        switch (stop.Kind)
        {
            case StopKind.Breakpoint: sb.Append("swbreak:;"); break;
            case StopKind.HardwareBreakpoint: sb.Append("hwbreak:;"); break;
            case StopKind.Watchpoint when stop.Watch?.Kind == WatchKind.Write: sb.Append("watch:").Append(addr).Append(';'); break;
            case StopKind.Watchpoint when stop.Watch?.Kind == WatchKind.Read: sb.Append("rwatch:").Append(addr).Append(';'); break;
            case StopKind.Watchpoint when stop.Watch != null: sb.Append("awatch:").Append(addr).Append(';'); break;
            case StopKind.HistoryBegin: sb.Append("replaylog:begin;"); break;
            case StopKind.HistoryEnd: sb.Append("replaylog:end;"); break;
        }
        return sb.ToString();
    }

    /// <summary>
    /// Appends the stopped thread's 'g' registers to a T reply as "NN:VALUE;" pairs. GDB fills its
    /// register cache from them, so after a stop it needs no 'g' packet to show the frame: one round
    /// trip less on every step, forwards or backwards (gdbserver expedites pc, sp and fp the same way;
    /// QEMU expedites none). A register the CPU cannot read now is left out, GDB asks for it.
    /// </summary>
    private string ExpediteRegisters(string reply, int cpu)
    {
        if (cpu < 0 || cpu >= _target.HartCount) return reply;
        var sb = new StringBuilder(reply, reply.Length + 1400);
        for (int r = 0, count = _target.GPacketCount(cpu); r < count; r++)
        {
            string hex = _target.ReadRegisterHex(cpu, r);
            if (hex.Length == 0) continue;
            sb.Append(r.ToString("x2", CultureInfo.InvariantCulture)).Append(':').Append(hex).Append(';');
        }
        return sb.ToString();
    }

    private static string ThreadId(int hart) => (Math.Max(hart, 0) + 1).ToString("x", CultureInfo.InvariantCulture);

    // ---- threads ----

    private string SetThread(ReadOnlySpan<char> args)
    {
        if (args.Length < 2 || !ParseThread(args[1..], out int tid)) return Error(ErrorGeneric, "bad thread id");
        if (tid > _target.HartCount) return Error(ErrorGeneric, "no such thread");
        switch (args[0])
        {
            case 'g':
                _generalHart = tid > 0 ? tid - 1 : _generalHart;
                return "OK";
            case 'c':
                _continueHart = tid > 0 ? tid - 1 : -1;
                return "OK";
            default:
                return Error(ErrorGeneric, $"unsupported H operation '{args[0]}'");
        }
    }

    /// <summary>Parses a thread id: hex, "-1" (all) or "0" (any); -1 comes back as -1.</summary>
    private static bool ParseThread(ReadOnlySpan<char> s, out int tid)
    {
        tid = 0;
        if (s.SequenceEqual("-1")) { tid = -1; return true; }
        if (s.Length > 0 && s[0] == 'p') // multiprocess form pPID.TID: use TID
        {
            int dot = s.IndexOf('.');
            if (dot < 0) return false;
            return ParseThread(s[(dot + 1)..], out tid);
        }
        if (!TryHex(s, out ulong v) || v > int.MaxValue) return false;
        tid = (int)v;
        return true;
    }

    // ---- registers ----

    private string ReadAllRegisters()
    {
        var sb = new StringBuilder();
        // The registers a 'g' packet carries are the CPU's to say (RISC-V: x0-x31, pc, then f0-f31 with an FPU).
        int count = _target.GPacketCount(_generalHart);
        for (int r = 0; r < count; r++)
        {
            string hex = _target.ReadRegisterHex(_generalHart, r);
            if (hex.Length == 0) return Error(ErrorFault, $"register {r} cannot be read");
            sb.Append(hex);
        }
        return sb.ToString();
    }

    private string WriteAllRegisters(ReadOnlySpan<char> hex)
    {
        int pos = 0;
        for (int r = 0, count = _target.GPacketCount(_generalHart); r < count && pos < hex.Length; r++)
        {
            int size = _target.ReadRegisterHex(_generalHart, r).Length;
            if (size == 0) break;
            if (pos + size > hex.Length) return Error(ErrorGeneric, $"register {r} is cut short");
            var value = hex.Slice(pos, size);
            pos += size;
            if (!IsHex(value)) return Error(ErrorGeneric, "register values must be hex");
            // GDB's G writes every register back: only those that change are written (and so logged
            // while recording); a register that cannot change (RISC-V's x0) reads back unchanged.
            if (value.Equals(_target.ReadRegisterHex(_generalHart, r), StringComparison.OrdinalIgnoreCase)) continue;
            if (!_target.WriteRegisterHex(_generalHart, r, value.ToString())) return Error(ErrorFault, RegisterWriteRefused(r));
        }
        return "OK";
    }

    private string ReadRegister(ReadOnlySpan<char> args)
    {
        if (!TryHex(args, out ulong regno) || regno > int.MaxValue) return Error(ErrorGeneric, "bad register number");
        string hex = _target.ReadRegisterHex(_generalHart, (int)regno);
        return hex.Length == 0 ? Error(ErrorFault, $"no register {regno}") : hex;
    }

    private string WriteRegister(ReadOnlySpan<char> args)
    {
        int eq = args.IndexOf('=');
        if (eq <= 0 || !TryHex(args[..eq], out ulong regno) || regno > int.MaxValue) return Error(ErrorGeneric, "bad register number");
        var value = args[(eq + 1)..];
        if (value.Length == 0 || value.Length % 2 != 0 || !IsHex(value)) return Error(ErrorGeneric, "register values must be hex");
        return _target.WriteRegisterHex(_generalHart, (int)regno, value.ToString()) ? "OK" : Error(ErrorFault, RegisterWriteRefused((int)regno));
    }

    // ---- memory ----

    private string ReadMemory(ReadOnlySpan<char> args)
    {
        if (!TryParseAddrLen(args, out ulong addr, out ulong len)) return Error(ErrorGeneric, "expected ADDR,LENGTH");
        if (len == 0) return "";
        int count = (int)Math.Min(len, (ulong)(PacketSize / 2));
        var buffer = new byte[count];
        int n = _target.ReadMemory(_generalHart, addr, buffer);
        if (n <= 0) return Error(ErrorFault, $"cannot read memory at 0x{addr:x}");
        return Convert.ToHexStringLower(buffer, 0, Math.Min(n, count));
    }

    private string WriteMemoryHex(ReadOnlySpan<char> args)
    {
        int colon = args.IndexOf(':');
        if (colon < 0 || !TryParseAddrLen(args[..colon], out ulong addr, out ulong len)) return Error(ErrorGeneric, "expected ADDR,LENGTH:DATA");
        if (!TryDecodeHex(args[(colon + 1)..], out byte[] data) || (ulong)data.Length != len) return Error(ErrorGeneric, "the data is not LENGTH bytes of hex");
        if (data.Length == 0) return "OK";
        return _target.WriteMemory(_generalHart, addr, data) == data.Length ? "OK" : Error(ErrorFault, MemoryWriteRefused(addr));
    }

    private string WriteMemoryBinary(ReadOnlySpan<char> args)
    {
        int colon = args.IndexOf(':');
        if (colon < 0 || !TryParseAddrLen(args[..colon], out ulong addr, out ulong len)) return Error(ErrorGeneric, "expected ADDR,LENGTH:DATA");
        var payload = args[(colon + 1)..];
        if ((ulong)payload.Length != len) return Error(ErrorGeneric, "the data is not LENGTH bytes");
        if (payload.Length == 0) return "OK"; // GDB probes X support with an empty write
        var data = new byte[payload.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)payload[i];
        return _target.WriteMemory(_generalHart, addr, data) == data.Length ? "OK" : Error(ErrorFault, MemoryWriteRefused(addr));
    }

    private string RegisterWriteRefused(int regno) => _target.CanReverse
        ? "registers cannot be changed while replaying (the replay would no longer match the recording)"
        : $"register {regno} cannot be written";

    private string MemoryWriteRefused(ulong addr) => _target.CanReverse
        ? "memory cannot be changed while replaying (the replay would no longer match the recording)"
        : $"cannot write memory at 0x{addr:x}";

    // ---- breakpoints ----

    private string Breakpoint(string p)
    {
        // Ztype,addr,kind[;cond...]
        var body = p.AsSpan(1);
        int semi = body.IndexOf(';');
        if (semi >= 0) body = body[..semi];
        int c1 = body.IndexOf(',');
        if (c1 != 1 || body[0] < '0' || body[0] > '4') return body.Length > 0 && body[0] is >= '0' and <= '9' ? "" : Error(ErrorGeneric, "expected TYPE,ADDR,KIND");
        if (!TryParseAddrLen(body[2..], out ulong addr, out ulong kind)) return Error(ErrorGeneric, "expected TYPE,ADDR,KIND");
        var type = (BreakKind)(body[0] - '0');
        bool ok = p[0] == 'Z' ? _target.InsertBreakpoint(type, addr, kind) : _target.RemoveBreakpoint(type, addr, kind);
        return ok ? "OK" : Error(ErrorGeneric, p[0] == 'Z' ? "the breakpoint cannot be inserted" : "no such breakpoint");
    }

    // ---- parsing helpers ----

    private static bool TryParseAddrLen(ReadOnlySpan<char> s, out ulong addr, out ulong len)
    {
        addr = len = 0;
        int comma = s.IndexOf(',');
        return comma > 0 && TryHex(s[..comma], out addr) && TryHex(s[(comma + 1)..], out len);
    }

    private static bool TryHex(ReadOnlySpan<char> s, out ulong value) =>
        ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && s.Length > 0 && s.Length <= 16;

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (char ch in s)
            if (!char.IsAsciiHexDigit(ch)) return false;
        return true;
    }

    private static bool TryDecodeHex(ReadOnlySpan<char> s, out byte[] bytes)
    {
        bytes = [];
        if (s.Length % 2 != 0 || !IsHex(s)) return false;
        bytes = Convert.FromHexString(s);
        return true;
    }

    private static string HexLe(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Convert.ToHexStringLower(b);
    }
}
