using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux 6.1 (scripts/build-linux.sh) on Debian's OpenSBI, the way QEMU users boot it: `-bios default
/// -kernel Image -initrd initramfs.cpio.gz -append "console=ttyS0 ..."`. Its init prints the prompt
/// `rewind-linux# `; a test types commands, checks their answers and powers off, live, recorded and
/// replayed with the same console output, on one hart and on two.
/// </summary>
public class LinuxBootTests
{
    private const string Prompt = "rewind-linux# ";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);

    private static string[] Machine(string smp, params string[] extra)
    {
        var linux = LinuxWorkload.Require();
        return ["-M", "virt", "-bios", "default", "-kernel", linux.Image, "-initrd", linux.Initramfs,
            "-append", "console=ttyS0 earlycon=sbi", "-nographic", "-smp", smp, .. extra];
    }

    // The SBI early console ends lines with "\r\r\n" (Linux adds a CR, OpenSBI another), ttyS0 with "\r\n".
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

    /// <summary>Types a line key by key, ending with a carriage return as a terminal does.</summary>
    private static void Type(RewindRun run, string line)
    {
        foreach (char c in line + "\r")
        {
            Thread.Sleep(10);
            run.Write(c.ToString());
        }
    }

    /// <summary>Boots to the prompt, types each command once the previous one's prompt is back, then `poweroff`.</summary>
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

    /// <summary>The console of a booted session: kernel, init, each command's answer, power-off.</summary>
    private static void AssertSession(ProcessResult r, int harts)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Text(r.Stdout);
        Assert.Contains("OpenSBI v1.", text);
        Assert.Matches(@"Linux version 6\.1\.\d+", text);
        Assert.Contains("Kernel command line: console=ttyS0 earlycon=sbi\n", text);
        Assert.Contains("Unpacking initramfs...\n", text);
        Assert.Contains("Run /init as init process\n", text);
        Assert.Contains($"rewind-linux: init up, harts online: {harts}\n", text);
        Assert.Contains($"smp: Brought up 1 node, {harts} CPU{(harts == 1 ? "" : "s")}\n", text);
        // Kernel messages may come at any time (e.g. "random: crng init done"): the session is the
        // rest, and the power-off line.
        string session = Regex.Replace(text[text.IndexOf(Prompt, StringComparison.Ordinal)..],
            @"^\[ *\d+\.\d+\] (?!reboot: Power down).*\n", "", RegexOptions.Multiline);
        Assert.Matches(
            "^rewind-linux# write /tmp/note rewind was here\n" +
            "rewind-linux# cat /tmp/note\nrewind was here\n" +
            @"rewind-linux# uname\nLinux 6\.1\.\d+\S* riscv64\n" +
            $"rewind-linux# harts\nharts online: {harts}\n" +
            @"rewind-linux# poweroff\n(\[[ \d.]+\] )?reboot: Power down\n", session);
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Linux_boots_to_the_prompt_answers_commands_and_powers_off(int harts)
    {
        AssertSession(TypedSession(Machine(harts.ToString(System.Globalization.CultureInfo.InvariantCulture)), Commands), harts);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Typed_linux_session_recorded_replays_with_the_same_console(int harts)
    {
        using var dir = new TempDir();
        string rr = dir.File("linux.rr");
        string[] Rr(string mode) => Machine(harts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-icount", $"shift=3,rr={mode},rrfile={rr}");

        var rec = TypedSession(Rr("record"), Commands);
        AssertSession(rec, harts);

        using var replay = new RewindRun(Rr("replay"));
        replay.CloseStdin();                        // every key comes from the recording
        var rep = replay.WaitForExit(Timeout);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        // Both runs decode stdout as Latin-1, so string equality is byte equality.
        Assert.Equal(rec.Stdout, rep.Stdout);
    }

    [Fact]
    public void Missing_build_fails_with_how_to_build_it()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidOperationException>(() => LinuxWorkload.Locate(dir.Path));
        Assert.Matches($@"^the Linux workload is not built \({Regex.Escape(dir.Path)}/linux-[0-9a-f]{{16}} is missing\): run scripts/build-linux.sh$", e.Message);
    }
}
