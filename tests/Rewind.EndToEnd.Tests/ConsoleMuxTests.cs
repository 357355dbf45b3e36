using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// -nographic's console: the guest's serial port and the HMP monitor multiplexed on stdio, switched
/// with C-a c, driven through ./rewind with piped stdin as scripts drive QEMU.
/// </summary>
public class ConsoleMuxTests
{
    private const string CtrlA = "\u0001";
    private const string Banner = "QEMU 7.2.0 monitor (Rewind) - type 'help' for more information\n";
    private const string Help =
        "\nC-a h    print this help\nC-a x    exit emulator\nC-a c    switch between console and monitor\nC-a C-a  sends C-a\n";
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    [Fact]
    public void Ctrl_a_c_switches_to_the_monitor_and_back_and_the_guest_sees_only_its_own_input()
    {
        using var run = RewindRun.Kernel("uart_echo");
        run.WaitForOutput("echo ready\n", Long);
        run.Write(CtrlA + "c");
        run.WaitForOutput(Banner + "(qemu) ", Long);
        run.Write("info status\n");
        run.WaitForOutput("(qemu) info status\nVM status: running\n(qemu) ", Long);
        run.Write("info registers\n");
        run.WaitForOutput("satp     ", Long);
        run.Write(CtrlA + "c");
        run.Write("hi\n");
        run.WaitForOutput("(qemu) \nhi\n", Long);
        run.Write("q");
        var r = run.WaitForExit(Long);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("echo ready\n" + Banner + "(qemu) info status\nVM status: running\n(qemu) info registers\npc       ", r.Stdout);
        Assert.Matches(@"\nsatp     [0-9a-f]{16}\n\(qemu\) \nhi\nq$", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Ctrl_a_x_says_terminated_and_exits_0()
    {
        using var run = RewindRun.Kernel("uart_echo");
        run.WaitForOutput("echo ready\n", Long);
        run.Write("ab\n");
        run.WaitForOutput("echo ready\nab\n", Long);
        run.Write(CtrlA + "x");
        var r = run.WaitForExit(Long);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("echo ready\nab\nrewind: terminated\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Ctrl_a_h_prints_the_keys_and_ctrl_a_ctrl_a_sends_one_ctrl_a_to_the_guest()
    {
        using var run = RewindRun.Kernel("uart_echo");
        run.WaitForOutput("echo ready\n", Long);
        run.Write(CtrlA + "h");
        run.WaitForOutput("C-a C-a  sends C-a\n", Long);
        run.Write(CtrlA + CtrlA + "\n");
        run.WaitForOutput(Help + CtrlA + "\n", Long);
        run.Write("q");
        var r = run.WaitForExit(Long);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("echo ready\n" + Help + CtrlA + "\nq", r.Stdout);
    }

    [Fact]
    public void A_script_can_pipe_monitor_commands_and_guest_input_in_one_go()
    {
        // As `printf '\001cinfo status\n...' | qemu-system-riscv64 ... -nographic -S` does.
        var r = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("uart_echo"), "-nographic", "-S"],
            CtrlA + "cinfo status\nhelp\ncont\n" + CtrlA + "cabq", Long);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith(Banner + "(qemu) info status\nVM status: paused (prelaunch)\n(qemu) help\nhelp [cmd] -- show the help\n", r.Stdout);
        Assert.Contains("\nreplay_break icount -- set breakpoint", r.Stdout);
        // Once running, the guest's output and the monitor's last prompt and newline may interleave.
        string after = r.Stdout[(r.Stdout.IndexOf("(qemu) cont\n", StringComparison.Ordinal) + 12)..];
        Assert.Equal("echo readyabq", after.Replace("(qemu) ", "").Replace("\n", ""));
    }

    [Fact]
    public void Started_paused_with_S_the_monitor_cont_runs_the_guest()
    {
        var r = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-nographic", "-S"],
            CtrlA + "cinfo status\ncont\n", Long);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith(Banner + "(qemu) info status\nVM status: paused (prelaunch)\n(qemu) cont\n", r.Stdout);
        Assert.Contains("Hello from Rewind guest\n", WithoutPrompts(r.Stdout));
    }

    [Fact]
    public void Nographic_with_serial_elsewhere_puts_the_monitor_on_stdio()
    {
        using var dir = new TempDir();
        string log = dir.File("serial.log");
        var r = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-nographic",
            "-serial", "file:" + log, "-S"], "info status\ncont\n", Long);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("(qemu) VM status: paused (prelaunch)\n", r.Stdout);
        Assert.Equal("Hello from Rewind guest\n", File.ReadAllText(log));
    }

    [Fact]
    public void Recording_through_the_console_keeps_monitor_lines_out_and_replay_ignores_typed_keys()
    {
        using var dir = new TempDir();
        string rr = dir.File("mux.rr");
        string[] rec = ["-icount", $"shift=3,rr=record,rrfile={rr}"];
        string recorded;
        using (var run = RewindRun.Kernel("uart_echo", rec))
        {
            run.WaitForOutput("echo ready\n", Long);
            run.Write("ab\n");
            run.WaitForOutput("echo ready\nab\n", Long);
            run.Write(CtrlA + "cinfo replay\n");
            run.WaitForOutput("Recording execution\nfile: " + rr + "\n", Long);
            run.Write(CtrlA + "c" + "c\n");
            run.WaitForOutput("(qemu) \nc\n", Long);
            run.Write("q");
            var r = run.WaitForExit(Long);
            Assert.True(r.ExitCode == 0, r.ToString());
            recorded = r.Stdout;
        }
        Assert.EndsWith("(qemu) \nc\nq", recorded);
        var info = RewindProcess.Run("info", rr);
        Assert.True(info.ExitCode == 0, info.ToString());
        // "ab\n", "c\n", "q": the monitor's lines never crossed the record boundary.
        Assert.Matches(@"input events\s+\d+\s+\(serial0 6 bytes\)", info.Stdout);

        // Replay, started paused: the monitor works, keys typed for the guest do not reach it.
        var replay = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("uart_echo"), "-nographic",
                "-icount", $"shift=3,rr=replay,rrfile={rr}", "-S"],
            CtrlA + "cinfo status\ninfo replay\n" + CtrlA + "cxyz\r" + CtrlA + "ccont\n", Long);
        Assert.True(replay.ExitCode == 0, replay.ToString());
        Assert.Contains("(qemu) info status\nVM status: paused (prelaunch)\n(qemu) info replay\nReplaying execution\nfile: " + rr
            + "\ncurrent instruction count: 0\n", replay.Stdout);
        Assert.DoesNotContain("xyz", replay.Stdout);
        Assert.EndsWith("(qemu) cont\necho ready\nab\nc\nq", WithoutPrompts(replay.Stdout));
        Assert.DoesNotContain("diverge", replay.Stderr);
    }

    [Fact]
    public void Replay_break_from_the_console_stops_the_replay_there()
    {
        using var dir = new TempDir();
        string rr = dir.File("count.rr");
        var rec = RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("count_loop"), "-nographic",
            "-icount", $"shift=3,rr=record,rrfile={rr}"], null, Long);
        Assert.True(rec.ExitCode == 0, rec.ToString());

        using var run = new RewindRun(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("count_loop"), "-nographic",
            "-icount", $"shift=3,rr=replay,rrfile={rr}", "-S"]);
        run.Write(CtrlA + "creplay_break 5000\ncont\n");
        run.WaitForOutput("(qemu) cont\n(qemu) ", Long);
        WaitUntil(run, "info status\n", "VM status: paused\n");
        run.Write("info replay\n");
        run.WaitForOutput("current instruction count: 5000\n", Long);
        run.Write("quit\n");
        var r = run.WaitForExit(Long);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    /// <summary>
    /// The output without the prompts printed after a command that let the guest run: those may land
    /// anywhere in the guest's output, as in QEMU.
    /// </summary>
    private static string WithoutPrompts(string stdout)
    {
        int cont = stdout.LastIndexOf("(qemu) cont\n", StringComparison.Ordinal);
        return cont < 0 ? stdout : stdout[..(cont + 12)] + stdout[(cont + 12)..].Replace("(qemu) ", "");
    }

    /// <summary>Repeats a monitor command until its answer contains <paramref name="expected"/>.</summary>
    private static void WaitUntil(RewindRun run, string command, string expected)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            int seen = Regex.Count(run.Stdout, Regex.Escape(expected));
            run.Write(command);
            Thread.Sleep(200);
            if (Regex.Count(run.Stdout, Regex.Escape(expected)) > seen) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no '{expected}' from '{command}'\n{run}");
        }
    }

    [Fact]
    public void On_a_terminal_the_same_keys_work_key_by_key()
    {
        // util-linux's script(1) gives ./rewind a pseudo-terminal: keys are read one by one, unechoed.
        string command = string.Join(' ', new[] { "bash", RepoPaths.Launcher, "-M", "virt", "-bios", "none", "-kernel",
            RepoPaths.Guest("uart_echo"), "-nographic" }.Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var psi = new ProcessStartInfo("script")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-qfec", command, "/dev/null" }) psi.ArgumentList.Add(a);
        RewindProcess.EnsureBuilt();
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var reader = Task.Run(() =>
        {
            var buf = new char[4096];
            int n;
            while ((n = p.StandardOutput.Read(buf, 0, buf.Length)) > 0)
                lock (output) output.Append(buf, 0, n);
        });
        _ = p.StandardError.ReadToEndAsync();
        string Text()
        {
            lock (output) return output.ToString().Replace("\r\n", "\n");
        }
        void WaitFor(string text)
        {
            var deadline = DateTime.UtcNow + Long;
            while (!Text().Contains(text, StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline || p.HasExited && reader.IsCompleted)
                    throw new TimeoutException($"no '{text}' on the terminal:\n{Text()}");
                Thread.Sleep(20);
            }
        }
        void Type(string keys)
        {
            p.StandardInput.Write(keys);
            p.StandardInput.Flush();
        }
        try
        {
            WaitFor("echo ready\n");
            Thread.Sleep(300); // let the terminal settle in raw mode
            Type(CtrlA + "c");
            WaitFor(Banner + "(qemu) ");
            Type("info stx\u007fatus\r");
            WaitFor("(qemu) info stx\b \batus\nVM status: running\n(qemu) ");
            Type(CtrlA + "c");
            Type("hi" + CtrlA + CtrlA);
            WaitFor("(qemu) \nhi" + CtrlA);
            Type(CtrlA + "x");
            WaitFor("rewind: terminated\n");
            Assert.True(p.WaitForExit(Long), Text());
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}\n{Text()}");
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Help_describes_the_console_keys_no_shutdown_and_qmp()
    {
        var r = RewindProcess.Run("--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("C-a c    switch between console and monitor", r.Stdout);
        Assert.Contains("-serial stdio|mon:stdio", r.Stdout);
        Assert.Matches(@"\n  -no-shutdown +\S", r.Stdout);
        Assert.Matches(@"\n  -qmp tcp:\[HOST\]:PORT,server=on\[,wait=off\] \| unix:PATH,server=on\[,wait=off\]\n +QMP", r.Stdout);
    }
}
