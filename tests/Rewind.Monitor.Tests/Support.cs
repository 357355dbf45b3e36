using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

/// <summary>A QMP client speaking over a socket, line by line as QEMU sends.</summary>
internal sealed class QmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly Stream _stream;
    private readonly Queue<JsonObject> _events = new();

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true) { ReadTimeout = 30000 };
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public JsonObject Greeting { get; private set; } = [];

    public static QmpClient Connect(EndPoint endPoint, TimeSpan? retryFor = null)
    {
        var deadline = DateTime.UtcNow + (retryFor ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var s = endPoint is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                s.Connect(endPoint);
                var c = new QmpClient(s);
                c.Greeting = c.ReadMessage();
                return c;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                s.Dispose();
                Thread.Sleep(100);
            }
        }
    }

    public static QmpClient ConnectNegotiated(EndPoint endPoint)
    {
        var c = Connect(endPoint);
        var r = c.Execute("qmp_capabilities");
        Assert.True(r.ContainsKey("return"), r.ToJsonString());
        return c;
    }

    public void SendRaw(string text)
    {
        _stream.Write(Encoding.UTF8.GetBytes(text));
        _stream.Flush();
    }

    /// <summary>Sends a command and returns its reply; events read meanwhile are queued.</summary>
    public JsonObject Execute(string name, JsonObject? arguments = null, JsonNode? id = null)
    {
        var request = new JsonObject { ["execute"] = name };
        if (arguments != null) request["arguments"] = arguments;
        if (id != null) request["id"] = id;
        SendRaw(request.ToJsonString() + "\n");
        return ReadReply();
    }

    public JsonObject ReadReply()
    {
        while (true)
        {
            var m = ReadMessage();
            if (m.ContainsKey("event")) _events.Enqueue(m);
            else return m;
        }
    }

    public JsonObject WaitEvent(string name)
    {
        while (true)
        {
            var m = _events.Count > 0 ? _events.Dequeue() : ReadMessage();
            if (m["event"]?.GetValue<string>() == name) return m;
        }
    }

    public IEnumerable<JsonObject> QueuedEvents => _events;

    public JsonObject ReadMessage()
    {
        string? line = _reader.ReadLine() ?? throw new EndOfStreamException("QMP connection closed");
        return JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>True when the server closes the connection (after quit).</summary>
    public bool ReadsEndOfStream()
    {
        try
        {
            while (_reader.ReadLine() is string line)
                if (!line.Contains("\"event\"")) return false;
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _reader.Dispose();
}

/// <summary>`bash rewind ARGS` from the repository root, as a user runs it.</summary>
internal sealed class RewindRun : IDisposable
{
    private static readonly Lazy<int> Built = new(() =>
    {
        using var r = new RewindRun(["--version"], redirectStdin: false);
        return r.WaitExit(TimeSpan.FromMinutes(10));
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private RewindRun(IEnumerable<string> args, bool redirectStdin)
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = redirectStdin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.Launcher);
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_stdout) _stdout.Append(e.Data).Append('\n'); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.Append(e.Data).Append('\n'); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static RewindRun Start(IEnumerable<string> args, bool redirectStdin = true)
    {
        if (Built.Value != 0) throw new InvalidOperationException("./rewind --version failed");
        return new RewindRun(args, redirectStdin);
    }

    public StreamWriter Stdin => _process.StandardInput;

    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public int WaitExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"rewind did not exit in time\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public override string ToString() => $"--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}

/// <summary>count_loop.elf recorded once (shift=3) for the replay tests.</summary>
public sealed class CountLoopRecording : IDisposable
{
    public CountLoopRecording()
    {
        Directory = Path.Combine(Path.GetTempPath(), "rewind-monitor-tests-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        File = Path.Combine(Directory, "count_loop.rr");
        using var r = RewindRun.Start(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("count_loop"), "-nographic",
            "-icount", $"shift=3,rr=record,rrfile={File}"], redirectStdin: false);
        int code = r.WaitExit(TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"recording failed: exit {code}\n{r}");
    }

    public string Directory { get; }
    public string File { get; }

    public static string[] ReplayArgs(string file, params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("count_loop"), "-nographic",
         "-icount", $"shift=3,rr=replay,rrfile={file}", .. extra];

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
