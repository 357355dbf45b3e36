using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rewind-e2e-" + Guid.NewGuid().ToString("N")[..12]);
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// `./rewind ARGS` running in the background: stdin stays open for the test to write to, output is
/// collected as it comes. Disposing kills the process tree if it still runs.
/// </summary>
internal sealed class RewindRun : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Task _outTask, _errTask;

    public RewindRun(IEnumerable<string> args)
    {
        RewindProcess.EnsureBuilt();
        Args = args.ToArray();
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.Launcher);
        foreach (var a in Args) psi.ArgumentList.Add(a);
        _p = new Process { StartInfo = psi };
        _p.Start();
        _outTask = Pump(_p.StandardOutput.BaseStream, _out);
        _errTask = Pump(_p.StandardError.BaseStream, _err);
    }

    public static RewindRun Kernel(string guest, params string[] extra) =>
        new(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest(guest), "-nographic", .. extra]);

    public string[] Args { get; }
    public int Pid => _p.Id;
    public bool HasExited => _p.HasExited;

    private static Task Pump(Stream s, StringBuilder sb) => Task.Run(() =>
    {
        var buf = new byte[4096];
        int n;
        while ((n = s.Read(buf, 0, buf.Length)) > 0)
            lock (sb) sb.Append(Encoding.Latin1.GetString(buf, 0, n));
    });

    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }

    public void Write(string text)
    {
        _p.StandardInput.Write(text);
        _p.StandardInput.Flush();
    }

    public void CloseStdin()
    {
        try { _p.StandardInput.Close(); } catch (IOException) { }
    }

    /// <summary>Waits until stdout contains <paramref name="text"/>.</summary>
    public void WaitForOutput(string text, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (sw.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)) || _p.HasExited && !Stdout.Contains(text, StringComparison.Ordinal) && _outTask.IsCompleted)
                throw new TimeoutException($"no '{text}' from rewind {string.Join(' ', Args)}\n{this}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Waits until the GDB port listens (seen in /proc/net/tcp, so no connection is spent on it).</summary>
    public void WaitListening(int port, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        string hex = ":" + port.ToString("X4", CultureInfo.InvariantCulture) + " ";
        while (true)
        {
            foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
            {
                if (!File.Exists(table)) continue;
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (cols.Length > 3 && (cols[1] + " ").EndsWith(hex, StringComparison.Ordinal) && cols[3] == "0A") return;
                }
            }
            if (_p.HasExited) throw new InvalidOperationException($"rewind exited before listening on {port}\n{this}");
            if (sw.Elapsed > (timeout ?? TimeSpan.FromSeconds(90))) throw new TimeoutException($"rewind never listened on {port}\n{this}");
            Thread.Sleep(25);
        }
    }

    /// <summary>Waits for the exit; on timeout kills the process and throws.</summary>
    public ProcessResult WaitForExit(TimeSpan? timeout = null)
    {
        if (!_p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            Kill();
            throw new TimeoutException($"rewind {string.Join(' ', Args)} did not exit in time\n{this}");
        }
        _p.WaitForExit();
        Task.WaitAll([_outTask, _errTask], TimeSpan.FromSeconds(10));
        return new ProcessResult(_p.ExitCode, Stdout, Stderr);
    }

    /// <summary>SIGKILL to the process (the launcher execs dotnet, so this is the emulator itself).</summary>
    public void Kill()
    {
        try { _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _p.WaitForExit(10_000);
    }

    public override string ToString() => $"--- rewind stdout ---\n{Stdout}\n--- rewind stderr ---\n{Stderr}";

    public void Dispose()
    {
        if (!_p.HasExited) Kill();
        _p.Dispose();
    }
}

/// <summary>gdb-multiarch in batch mode against a port.</summary>
internal static class Gdb
{
    public static string Path
    {
        get
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            {
                string candidate = System.IO.Path.Combine(dir, "gdb-multiarch");
                if (File.Exists(candidate)) return candidate;
            }
            throw new InvalidOperationException("gdb-multiarch is not installed (Debian package gdb-multiarch)");
        }
    }

    /// <summary>
    /// Runs gdb -batch on <paramref name="guest"/> (a guest name, or null for no symbol file at all, as for
    /// firmware: then gdb is told the architecture, riscv:rv64), connected to <paramref name="port"/>,
    /// executing <paramref name="commands"/> in order. Returns stdout and stderr in the order gdb wrote them.
    /// </summary>
    public static string Run(string? guest, int port, IEnumerable<string> commands, TimeSpan? timeout = null,
        Action<Process>? whileRunning = null)
    {
        // gdb writes `monitor` replies (and errors) to stderr, the rest to stdout, and flushes stdout before
        // each stderr write; one pipe for both keeps that order, which two redirected streams read by two
        // threads do not.
        var psi = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" 2>&1");
        psi.ArgumentList.Add(Path);
        psi.ArgumentList.Add("-nx");
        psi.ArgumentList.Add("-batch");
        // A guest is a name in guests/bin, or a path to an ELF (the aarch64 guests, a kernel's vmlinux).
        if (guest != null)
            psi.ArgumentList.Add(System.IO.Path.IsPathRooted(guest) || guest.EndsWith(".elf", StringComparison.Ordinal) ? guest : RepoPaths.Guest(guest));
        string[] setup = guest == null
            ? ["set pagination off", "set confirm off", "set width 0", "set remotetimeout 30", "set architecture riscv:rv64", $"target remote 127.0.0.1:{port}"]
            : ["set pagination off", "set confirm off", "set width 0", "set remotetimeout 30", "directory guests", $"target remote 127.0.0.1:{port}"];
        foreach (var c in setup.Concat(commands))
        {
            psi.ArgumentList.Add("-ex");
            psi.ArgumentList.Add(c);
        }
        using var p = new Process { StartInfo = psi };
        var sb = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (sb) sb.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (sb) sb.Append(e.Data).Append('\n'); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.StandardInput.Close();
        whileRunning?.Invoke(p);
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(120)))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(10_000);
            lock (sb) throw new TimeoutException("gdb did not finish:\n" + sb);
        }
        p.WaitForExit();
        lock (sb) return sb.ToString();
    }

    /// <summary>
    /// Starts `./rewind <paramref name="rewindArgs"/> -gdb tcp::PORT -S` (a replay), runs gdb (<see cref="Run"/>)
    /// against it, then stops the replay: at the end of the history it waits for a debugger, nothing more to
    /// see. Fails if rewind printed an exception. Returns gdb's output followed by rewind's.
    /// </summary>
    public static string RunAgainstReplay(IEnumerable<string> rewindArgs, string? guest, IEnumerable<string> commands,
        out ProcessResult rewindResult, TimeSpan? timeout = null)
    {
        int port = FreePort.Get();
        using var run = new RewindRun([.. rewindArgs, "-gdb", $"tcp::{port}", "-S"]);
        run.WaitListening(port);
        string o;
        try
        {
            o = Run(guest, port, commands, timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + run, e);
        }
        if (!run.HasExited) run.Kill();
        rewindResult = run.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("   at ", rewindResult.Stderr);
        Assert.DoesNotContain("internal error", rewindResult.Stderr);
        return o + "\n" + rewindResult;
    }

    /// <summary>Values of `p/x $reg` style prints, in order: every "$N = 0x..." in the output.</summary>
    public static List<ulong> HexValues(string output) =>
        Regex.Matches(output, @"^\$\d+ = (?:\([^)]*\) )?0x([0-9a-f]+)", RegexOptions.Multiline)
            .Select(m => ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToList();

    /// <summary>The instruction counts of the `monitor info replay` answers in the output, in order.</summary>
    public static List<ulong> ReplayCounts(string output) =>
        Regex.Matches(output, @"current instruction count: (\d+)")
            .Select(m => ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();

    /// <summary>The line number gdb names for a `// @marker` comment in a guest source file.</summary>
    public static int MarkerLine(string source, string marker)
    {
        var lines = File.ReadAllLines(System.IO.Path.Combine(RepoPaths.Root, "guests", source));
        int i = Array.FindIndex(lines, l => l.Contains("// " + marker, StringComparison.Ordinal)
                                            && Regex.IsMatch(l, Regex.Escape("// " + marker) + @"\b(?!-)"));
        if (i < 0) throw new InvalidOperationException($"no '// {marker}' in {source}");
        return i + 1;
    }
}

/// <summary>A bare GDB remote-protocol client, for what batch-mode gdb cannot do (an asynchronous Ctrl-C).</summary>
internal sealed class RspWire : IDisposable
{
    private readonly TcpClient _c;
    private readonly NetworkStream _s;

    public RspWire(int port)
    {
        _c = new TcpClient();
        _c.Connect(IPAddress.Loopback, port);
        _s = _c.GetStream();
        _s.ReadTimeout = 30_000;
    }

    public static string Frame(string payload)
    {
        int sum = 0;
        foreach (char ch in payload) sum += ch;
        return $"${payload}#{sum & 0xff:x2}";
    }

    public void SendRaw(string s)
    {
        var b = Encoding.Latin1.GetBytes(s);
        _s.Write(b, 0, b.Length);
    }

    /// <summary>Sends a packet and returns the reply payload (acks skipped, reply acked).</summary>
    public string Ask(string payload)
    {
        SendRaw(Frame(payload));
        return Receive();
    }

    public string Receive()
    {
        int b;
        do b = ReadByte();
        while (b != '$');
        var sb = new StringBuilder();
        while ((b = ReadByte()) != '#') sb.Append((char)b);
        ReadByte();
        ReadByte();
        // A server sending W/X closes without waiting for the ack; a refused ack is not an error.
        try { SendRaw("+"); }
        catch (IOException) { }
        return sb.ToString();
    }

    private int ReadByte()
    {
        int b = _s.ReadByte();
        if (b < 0) throw new IOException("the server closed the connection");
        return b;
    }

    public void Dispose() => _c.Dispose();
}
