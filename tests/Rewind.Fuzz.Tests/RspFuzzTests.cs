using System.Text;
using Rewind.Gdb;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// GDB remote-protocol packets, valid ones mutated and random ones (bad checksums, binary escapes,
/// huge lengths and addresses, oversized packets, noise between packets), sent in-process to an
/// <see cref="RspSession"/> on a real machine, live and replaying. After every input the session must
/// still answer (a `qC` sent behind it); a run it started is interrupted with Ctrl-C first. A handler
/// exception (the session's "error handling" log line), a session that ends without k, D or vKill, or
/// a main loop that fails count as crashes; no answer within the time bound is a hang.
/// </summary>
[Collection(FuzzAreas.Name)]
public sealed class RspFuzzTests(ITestOutputHelper output)
{
    private const string Area = "rsp";
    private const int PerSession = 40;

    private static readonly string[] Packets =
    [
        "?", "g", "p20", "p0", "p1041", "P5=7856341200000000", "P20=0000008000000000", "m80000000,40", "m0,ffffffffffffffff",
        "mffffffffffffff00,100", "M80001000,4:01020304", "X80001000,4:abcd", "X80001000,0:", "Z0,80000010,4", "z0,80000010,4",
        "Z1,80000020,2", "z1,80000020,2", "Z2,80001000,8", "z2,80001000,8", "Z3,10000000,1", "Z4,80002000,4", "Z9,0,0",
        "Hg1", "Hg0", "Hc-1", "Hc1", "Hgp1.1", "T1", "T2", "c", "s", "c80000000", "vCont;s:1;c", "vCont;c", "vCont;s", "vCont?",
        "vCont;C05:1", "bs", "bc", "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+",
        "qXfer:features:read:target.xml:0,ffb", "qXfer:features:read:riscv-64bit-cpu.xml:0,ffb", "qfThreadInfo", "qsThreadInfo",
        "qThreadExtraInfo,1", "qAttached", "qAttached:1", "qC", "vMustReplyEmpty", "QStartNoAckMode",
        "qRcmd," + Hex("help"), "qRcmd," + Hex("info registers"), "qRcmd," + Hex("info replay"), "qRcmd," + Hex("info snapshots"),
        "qRcmd," + Hex("info status"), "qRcmd," + Hex("replay_seek 1000"), "qRcmd," + Hex("replay_break 3000000"),
        "qRcmd," + Hex("replay_seek 99999999999999999999"), "qRcmd," + Hex("cpu 0"), "qRcmd," + Hex("info cpus"),
        "qRcmd," + Hex("stop"), "qRcmd," + Hex("cont"), "qRcmd," + Hex("system_reset"),
    ];

    /// <summary>Rare: they end the session (and the machine), so a new rig follows.</summary>
    private static readonly string[] Enders = ["k", "D", "D;1", "vKill;1", "qRcmd," + Hex("quit")];

    private static string Hex(string s) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Packets_never_end_the_session_or_hang_it()
    {
        var tally = new FuzzTally(Area, output);
        int inputs = FuzzBudget.Inputs(2400);
        var deadline = DateTime.UtcNow + FuzzBudget.TimeLimit(20);
        MachineRig? rig = null;
        try
        {
            int i = 0;
            while (FuzzBudget.More(i, inputs, deadline, minimum: 20))
            {
                // Live and replaying machines in turn, a fresh one whenever the last was quit.
                bool replay = i / PerSession % 2 == 1;
                if (rig == null || !rig.Alive || rig.Debugger.CanReverse != replay)
                {
                    rig?.Dispose();
                    rig = new MachineRig(replay);
                }
                i = RunSession(rig, tally, i, Math.Min(inputs, i + PerSession));
                if (rig.MainLoopError is { } e)
                {
                    tally.Note(i, Outcome.Crash, $"main loop: {e.GetType().Name}: {e.Message}");
                    rig.Dispose();
                    rig = null;
                }
            }
        }
        finally
        {
            rig?.Dispose();
        }
        tally.Finish(minimumInputs: 20);
    }

    /// <summary>One connection: inputs [first, end) until one ends it; returns the next input's index.</summary>
    private static int RunSession(MachineRig rig, FuzzTally tally, int first, int end)
    {
        var (server, client) = DuplexStream.Pair();
        var log = new StringWriter();
        var syncLog = TextWriter.Synchronized(log);
        // The session writes from several threads (monitor commands run on a worker); the synchronized
        // writer locks itself, so reading the text under the same lock never sees a half-grown buffer.
        string LogText()
        {
            lock (syncLog) return log.ToString();
        }
        var session = new RspSession(server, rig.Target, syncLog);
        var running = Task.Run(() => session.RunAsync());
        var reader = new PacketStream(client);
        int i = first;
        try
        {
            for (; i < end; i++)
            {
                var rng = FuzzBudget.For(Area, FuzzBudget.Seed, i);
                var (bytes, text, ender) = Generate(rng);
                int logBefore = LogText().Length;
                var (outcome, detail) = Exchange(rig, client, reader, bytes, running, ender);
                string added = LogText()[logBefore..];
                if (outcome != Outcome.Hang && (added.Contains("gdb: error handling", StringComparison.Ordinal) || added.Contains("resume failed", StringComparison.Ordinal)))
                    outcome = Outcome.Crash;
                tally.Note(i, outcome, $"{detail} for '{Printable(text)}' (replaying: {rig.Debugger.CanReverse}); server log: {Printable(added)}");
                // After k, D or vKill the session ends: the next input gets a new one.
                if (outcome == Outcome.Hang || ender || running.IsCompleted) { i++; break; }
            }
        }
        finally
        {
            client.Dispose();
            if (!running.Wait(TimeSpan.FromSeconds(20))) tally.Note(i, Outcome.Hang, "the session did not end after its client went away");
            rig.GdbSessionEnded();
        }
        return i;
    }

    private static string Printable(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s.Length > 300 ? s[..300] : s) sb.Append(c is >= ' ' and < (char)127 ? c : $"\\x{(int)c:x2}");
        return s.Length > 300 ? sb.Append('…').ToString() : sb.ToString();
    }

    private static (Outcome, string) Exchange(MachineRig rig, Stream client, PacketStream reader, byte[] input, Task session, bool ender)
    {
        var limit = Bounded.DefaultLimit;
        string? first = null;
        var deadline = DateTime.UtcNow + limit;
        try
        {
            client.Write(input);
            // Whatever state the framer is in (inside a packet, before a checksum), "#xx" ends it, then qC asks.
            client.Write("#xx$qC#b4"u8);
            client.Flush();
            while (DateTime.UtcNow < deadline)
            {
                string? packet = reader.Next(TimeSpan.FromMilliseconds(300));
                if (packet == null)
                {
                    if (reader.Closed || session.IsCompleted) break;
                    // A run the input started drops packets until it stops (GDB sends only Ctrl-C meanwhile):
                    // interrupt it, and ask again once it has stopped.
                    client.Write(rig.Debugging ? [0x03] : "#xx$qC#b4"u8.ToArray());
                    client.Flush();
                    continue;
                }
                if (packet.StartsWith("QC", StringComparison.Ordinal))
                    return first != null && first.StartsWith('E') || first == "" ? (Outcome.CleanError, first!) : (Outcome.Accepted, first ?? "");
                if (packet.StartsWith('O') && packet.Length > 1) continue; // monitor output
                first ??= packet;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The session closed the connection: right after k, D or vKill, a crash otherwise.
        }
        if (session.IsCompleted || reader.Closed) return ender ? (Outcome.Accepted, "session ended as asked") : (Outcome.Crash, "the session ended");
        return (Outcome.Hang, $"no answer to qC within {limit.TotalSeconds} s (first reply: {first})");
    }

    private static (byte[] Bytes, string Text, bool Ender) Generate(Random rng)
    {
        int kind = rng.Next(100);
        if (kind < 2)
        {
            string e = Mutator.Pick(rng, Enders);
            return (RspFraming.Frame(e), e, true);
        }
        byte[] payload = Encoding.Latin1.GetBytes(Mutator.Pick(rng, Packets));
        if (kind < 30) { /* a valid packet as it is */ }
        else if (kind < 65) payload = Mutator.Mutate(rng, payload, RspSession.PacketSize + 64);
        else if (kind < 72) payload = Encoding.Latin1.GetBytes(HugeNumbers(rng, Encoding.Latin1.GetString(payload)));
        else if (kind < 78) payload = [(byte)"XMGPpmZzHT"[rng.Next(10)], .. Mutator.Noise(rng, 64)];
        else if (kind < 82)
        {
            // Oversized: more than PacketSize bytes.
            payload = new byte[RspSession.PacketSize + rng.Next(1, 4096)];
            Array.Fill(payload, (byte)'0');
            payload[0] = (byte)"GXMm"[rng.Next(4)];
        }
        else if (kind < 88)
        {
            // X with binary data that needs escaping, its length right or wrong.
            var data = new byte[rng.Next(0, 300)];
            rng.NextBytes(data);
            int length = rng.Next(4) == 0 ? rng.Next(1000) : data.Length;
            payload = [.. Encoding.Latin1.GetBytes($"X{0x80001000 + rng.Next(0x1000):x},{length:x}:"), .. data];
            byte[] escaped = RspFraming.EscapeBinary(payload);
            if (rng.Next(5) == 0) escaped = [.. escaped, RspFraming.Escape]; // a dangling escape
            return (Frame(escaped, rng, goodChecksum: true), Encoding.Latin1.GetString(payload), false);
        }
        else if (kind < 94)
        {
            // Bytes outside any packet: acks, naks, Ctrl-C, noise.
            var raw = Mutator.Noise(rng, 40);
            for (int k = 0; k < raw.Length; k++) if (rng.Next(4) == 0) raw[k] = (byte)"+-\x03$#"[rng.Next(5)];
            return (raw, Encoding.Latin1.GetString(raw), false);
        }
        byte[] body = rng.Next(3) == 0 ? RspFraming.EscapeBinary(payload) : payload;
        return (Frame(body, rng, goodChecksum: rng.Next(6) != 0), Encoding.Latin1.GetString(payload), false);
    }

    /// <summary>Every number in the packet replaced by a huge or odd one.</summary>
    private static string HugeNumbers(Random rng, string packet)
    {
        string[] numbers = ["ffffffffffffffff", "10000000000000000", "7fffffff", "80000000", "ffffffff", "0", "-1", "fffffffffffffffffffffffff"];
        return System.Text.RegularExpressions.Regex.Replace(packet, "[0-9a-f]{1,16}(?=[,:;=]|$)", _ => Mutator.Pick(rng, numbers));
    }

    private static byte[] Frame(byte[] body, Random rng, bool goodChecksum)
    {
        byte sum = RspFraming.Checksum(body);
        if (!goodChecksum) sum ^= (byte)(1 + rng.Next(255));
        string cs = rng.Next(20) == 0 ? "zz" : sum.ToString("x2", System.Globalization.CultureInfo.InvariantCulture);
        return [(byte)'$', .. body, (byte)'#', .. Encoding.ASCII.GetBytes(cs)];
    }

    /// <summary>Reads the packets a server sends (acks skipped) from its stream, each with a time bound.</summary>
    private sealed class PacketStream
    {
        private readonly Stream _stream;
        private readonly Queue<string> _packets = new();
        private readonly StringBuilder _partial = new();
        private readonly byte[] _buffer = new byte[8192];
        private Task<int>? _pending;
        private bool _inPacket;
        private int _checksumLeft = -1;

        public PacketStream(Stream stream) => _stream = stream;

        public bool Closed { get; private set; }

        public string? Next(TimeSpan wait)
        {
            var deadline = DateTime.UtcNow + wait;
            while (_packets.Count == 0 && !Closed)
            {
                _pending ??= _stream.ReadAsync(_buffer, 0, _buffer.Length);
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !_pending.Wait(left)) return null;
                int n;
                try
                {
                    n = _pending.Result;
                }
                catch (AggregateException)
                {
                    n = 0;
                }
                _pending = null;
                if (n <= 0)
                {
                    Closed = true;
                    break;
                }
                for (int k = 0; k < n; k++) Take((char)_buffer[k]);
            }
            return _packets.Count > 0 ? _packets.Dequeue() : null;
        }

        private void Take(char c)
        {
            if (_checksumLeft > 0)
            {
                if (--_checksumLeft == 0)
                {
                    _packets.Enqueue(_partial.ToString());
                    _partial.Clear();
                    _checksumLeft = -1;
                }
                return;
            }
            if (!_inPacket)
            {
                if (c == '$') _inPacket = true;
                return;
            }
            if (c == '#')
            {
                _inPacket = false;
                _checksumLeft = 2;
                return;
            }
            _partial.Append(c);
        }
    }
}
