using System.Diagnostics;
using System.Text;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// gdb-multiarch kept running, fed one command at a time on its standard input, for tests where
/// something else (the timeline page) acts on the same replay between GDB's commands. Each command is
/// followed by an `echo` of a marker, and its output is what came before the marker.
/// </summary>
internal sealed class GdbConsole : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();
    private int _next;

    public GdbConsole(string symbols, int port)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // One pipe for stdout and stderr keeps the order gdb wrote them in (monitor replies go to stderr).
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" 2>&1");
        psi.ArgumentList.Add(Gdb.Path);
        foreach (string a in new[] { "-nx", "-q", symbols, "-ex", "set pagination off", "-ex", "set confirm off", "-ex", "set width 0", "-ex", "set remotetimeout 30",
                                     "-ex", $"target remote 127.0.0.1:{port}", "-ex", "source scripts/rewind.py" })
            psi.ArgumentList.Add(a);
        _p = Process.Start(psi)!;
        _ = Task.Run(() =>
        {
            var buf = new char[4096];
            int n;
            while ((n = _p.StandardOutput.Read(buf, 0, buf.Length)) > 0)
                lock (_out) _out.Append(buf, 0, n);
        });
    }

    public string Output
    {
        get
        {
            lock (_out) return _out.ToString();
        }
    }

    /// <summary>Runs <paramref name="command"/> and returns what GDB printed for it.</summary>
    public string Run(string command, TimeSpan? timeout = null)
    {
        string marker = $"@@done-{_next++}@@";
        int start = Output.Length;
        _p.StandardInput.WriteLine(command);
        _p.StandardInput.WriteLine($"echo {marker}\\n");
        _p.StandardInput.Flush();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            string o = Output;
            int at = o.IndexOf(marker, start, StringComparison.Ordinal);
            if (at >= 0) return o[start..at];
            if (_p.HasExited) throw new InvalidOperationException($"gdb exited during '{command}':\n{o}");
            if (sw.Elapsed > (timeout ?? TimeSpan.FromSeconds(180))) throw new TimeoutException($"gdb: no end of '{command}':\n{o}");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_p.HasExited)
            {
                _p.StandardInput.WriteLine("detach");
                _p.StandardInput.WriteLine("quit");
                _p.StandardInput.Flush();
                if (!_p.WaitForExit(10_000)) _p.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
        }
        _p.Dispose();
    }
}
