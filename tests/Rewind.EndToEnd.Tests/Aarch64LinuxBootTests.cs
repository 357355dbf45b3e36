using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux 6.1 for arm64 (`scripts/build-linux.sh --arch aarch64`) on the aarch64 virt board, booted as
/// qemu-system-aarch64 users boot it: `-kernel Image -initrd initramfs.cpio.gz -append "console=ttyAMA0
/// earlycon"`, no firmware (PSCI is answered on HVC), on 1 and 2 CPUs. Its init prints the prompt `rewind-linux# `; the
/// test types commands, checks their answers and powers off (PSCI SYSTEM_OFF), live, recorded and
/// replayed with the same console output.
/// </summary>
public class Aarch64LinuxBootTests
{
    private const string Prompt = "rewind-linux# ";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(600);

    private static string[] Machine(int cpus, params string[] extra) =>
        LinuxWorkload.RequireAarch64().Aarch64Machine(cpus, "console=ttyAMA0 earlycon", extra);

    private static string Text(string console) => Regex.Replace(console, "\r+\n", "\n");

    private static int Count(string haystack, string needle) => Regex.Count(haystack, Regex.Escape(needle));

    private static void WaitForPrompt(RewindRun run, int n)
    {
        var sw = Stopwatch.StartNew();
        while (Count(run.Stdout, Prompt) < n)
        {
            if (run.HasExited || sw.Elapsed > Timeout)
                throw new TimeoutException($"prompt #{n} never came from rewind {string.Join(' ', run.Args)}\n{run}");
            Thread.Sleep(50);
        }
    }

    private static void Type(RewindRun run, string line)
    {
        foreach (char c in line + "\r")
        {
            Thread.Sleep(10);
            run.Write(c.ToString());
        }
    }

    private static ProcessResult TypedSession(string[] args, params string[] commands)
    {
        using var run = new RewindRun(args);
        int prompts = 1;
        WaitForPrompt(run, prompts);
        foreach (var command in commands)
        {
            Type(run, command);
            WaitForPrompt(run, ++prompts);
        }
        Type(run, "poweroff");
        return run.WaitForExit(Timeout);
    }

    private static readonly string[] Commands = ["write /tmp/note rewind was here", "cat /tmp/note", "uname", "harts"];

    private static void AssertSession(ProcessResult r, int cpus)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Text(r.Stdout);
        Assert.Contains("Booting Linux on physical CPU 0x0000000000 [0x411fd070]\n", text);
        Assert.Matches(@"Linux version 6\.1\.\d+", text);
        Assert.Contains("Kernel command line: console=ttyAMA0 earlycon\n", text);
        Assert.Contains("Unpacking initramfs...\n", text);
        Assert.Contains("Run /init as init process\n", text);
        Assert.Contains($"smp: Brought up 1 node, {cpus} CPU{(cpus == 1 ? "" : "s")}\n", text);
        if (cpus > 1) Assert.Contains("CPU1: Booted secondary processor 0x0000000001 [0x411fd070]\n", text);
        Assert.Contains($"rewind-linux: init up, harts online: {cpus}\n", text);
        string session = Regex.Replace(text[text.IndexOf(Prompt, StringComparison.Ordinal)..],
            @"^\[ *\d+\.\d+\] (?!reboot: Power down).*\n", "", RegexOptions.Multiline);
        Assert.Matches(
            "^rewind-linux# write /tmp/note rewind was here\n" +
            "rewind-linux# cat /tmp/note\nrewind was here\n" +
            @"rewind-linux# uname\nLinux 6\.1\.\d+\S* aarch64\n" +
            $"rewind-linux# harts\nharts online: {cpus}\n" +
            @"rewind-linux# poweroff\n(\[[ \d.]+\] )?reboot: Power down\n", session);
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Arm64_linux_boots_to_the_prompt_answers_commands_and_powers_off(int cpus)
    {
        AssertSession(TypedSession(Machine(cpus), Commands), cpus);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Typed_arm64_linux_session_recorded_replays_with_the_same_console(int cpus)
    {
        using var dir = new TempDir();
        string rr = dir.File("linux.rr");
        string[] Rr(string mode) => Machine(cpus, "-icount", $"shift=3,rr={mode},rrfile={rr}");

        var rec = TypedSession(Rr("record"), Commands);
        AssertSession(rec, cpus);

        using var replay = new RewindRun(Rr("replay"));
        replay.CloseStdin();
        var rep = replay.WaitForExit(Timeout);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal(rec.Stdout, rep.Stdout);
    }
}
