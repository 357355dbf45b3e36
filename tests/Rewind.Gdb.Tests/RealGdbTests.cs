using System.Diagnostics;
using System.Text.RegularExpressions;
using Rewind.Core.Cpu;
using Rewind.Core.Execution;
using Rewind.Gdb;
using Rewind.Session;

namespace Rewind.Gdb.Tests;

/// <summary>Drives the server with the real gdb-multiarch in batch mode.</summary>
public class RealGdbTests
{
    private static string? FindGdb()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string candidate = Path.Combine(dir, "gdb-multiarch");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private readonly StringWriter Log = new();
    private TextWriter SyncLog => TextWriter.Synchronized(Log);

    private string RunGdb(int port, params string[] commands)
    {
        string gdb = FindGdb() ?? throw new InvalidOperationException("gdb-multiarch is not installed");
        var psi = new ProcessStartInfo(gdb)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-nx", "-batch", "-ex", "set architecture riscv:rv64", "-ex", "set confirm off",
                     // GDB resends a packet not acknowledged within remotetimeout (2 s); a test host under
                     // load can take that long to answer the first one, and the resent copy then
                     // answers GDB's next question (seen once in CI).
                     "-ex", "set remotetimeout 30",
                     "-ex", $"target remote 127.0.0.1:{port}" })
            psi.ArgumentList.Add(a);
        foreach (string c in commands)
        {
            psi.ArgumentList.Add("-ex");
            psi.ArgumentList.Add(c);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("gdb did not finish: " + stdout.Result + stderr.Result + "\n--- server log ---\n" + Log);
        }
        return stdout.Result + "\n--- stderr ---\n" + stderr.Result + "\n--- server log ---\n" + Log;
    }

    private static FakeTarget NewTarget(bool canReverse = false)
    {
        var target = new FakeTarget(canReverse: canReverse);
        var hart = target.GetHart(0);
        hart.DebugWrite(FakeTarget.RamBase, [0x13, 0x05, 0x00, 0x00, 0x73, 0x00, 0x10, 0x00]); // li a0,0 ; ebreak
        hart.SetX(10, 0x1234);
        return target;
    }

    [Fact]
    public void Gdb_accepts_the_target_description_and_shows_registers_memory_monitor_and_steps()
    {
        var target = NewTarget();
        using var server = new RspServer(target, "tcp::0", SyncLog);
        server.Start();
        string output = RunGdb(server.Port,
            "info registers pc",
            "info registers a0",
            "x/2wx 0x80000000",
            "monitor help",
            "stepi",
            "info registers pc",
            "p/x $mhartid",
            "p/x $misa",
            "p $priv",
            "set var $a1 = 0x77",
            "p/x $a1",
            "set {int}0x80000100 = 0x5a5a",
            "x/1wx 0x80000100",
            "reverse-stepi",
            "detach");
        Assert.False(output.Contains("Could not load XML"), output);
        Assert.False(output.Contains("Remote 'g' packet reply is too long"), output);
        Assert.Contains("target.xml", string.Join(" ", target.Calls));
        Assert.True(Regex.IsMatch(output, @"pc\s+0x80000000"), output);
        Assert.True(Regex.IsMatch(output, @"a0\s+0x1234\s+4660"), output);
        Assert.True(Regex.IsMatch(output, @"0x80000000:\s+0x00000513\s+0x00100073"), output);
        Assert.True(output.Contains("replay_seek N -- go to icount N"), output);
        Assert.True(Regex.IsMatch(output, @"pc\s+0x80000004"), output);
        Assert.True(output.Contains("$1 = 0x0"), output);
        Assert.True(Regex.IsMatch(output, @"\$2 = 0x800000000014112d"), output); // rv64 IMAFDCSU
        Assert.True(Regex.IsMatch(output, @"\$3 = (prv:)?3|\$3 = 3|machine"), output);
        Assert.True(output.Contains("$4 = 0x77"), output);
        Assert.True(Regex.IsMatch(output, @"0x80000100:\s+0x00005a5a"), output);
        Assert.True(output.Contains("Target remote does not support this command."), output);
        Assert.Equal(0x77UL, target.GetHart(0).GetX(11));
        Assert.Contains("detach", target.Calls);
    }

    [Fact]
    public void Gdb_reverse_steps_and_reports_breakpoints_and_watchpoints_when_replaying()
    {
        var target = NewTarget(canReverse: true);
        target.GetHart(0).Pc = FakeTarget.RamBase + 0x10;
        using var server = new RspServer(target, "tcp::0", SyncLog);
        server.Start();
        target.BeforeScriptedStop = h =>
        {
            h.Pc = FakeTarget.RamBase + 0x40;
            h.DebugWrite(0x80000100, [0x2a, 0, 0, 0]); // GDB ignores a write watchpoint whose value did not change
        };
        target.ScriptedStops.Enqueue(new MachineStop(StopKind.Watchpoint, 0, Watch: new WatchHit(WatchKind.Write, 0x80000100)));
        string output = RunGdb(server.Port,
            "reverse-stepi",
            "info registers pc",
            "break *0x80000020",
            "continue",
            "delete 1",
            "watch *(int *)0x80000100",
            "continue",
            "reverse-continue",
            "kill");
        Assert.True(Regex.IsMatch(output, @"pc\s+0x8000000c"), output);
        Assert.True(output.Contains("Breakpoint 1, 0x0000000080000020"), output);
        Assert.True(output.Contains("Hardware watchpoint 2: *(int *)0x80000100"), output);
        Assert.True(output.Contains("New value = 42"), output);
        Assert.False(output.Contains("SIGINT"), output);
        Assert.True(output.Contains("No more reverse-execution history"), output);
        var calls = target.Calls.ToArray();
        Assert.True(calls.Contains("Z Software 80000020 2") || calls.Contains("Z Software 80000020 4"), output + string.Join("\n", calls));
        Assert.Contains("resume ReverseStep 0", calls);
        Assert.Contains("Z Write 80000100 4", calls);
        Assert.Contains("resume ReverseContinue 0", calls);
    }
}
