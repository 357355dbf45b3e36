using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Linux 6.1 for arm64 (`scripts/build-linux.sh --arch aarch64`) on the aarch64 virt board, booted as
/// qemu-system-aarch64 users boot it: `-kernel Image -initrd initramfs.cpio.gz -append "console=ttyAMA0
/// earlycon"`, no firmware (PSCI is answered on HVC), on 1 and 2 CPUs, with the GICv2 (the default)
/// and with `-M virt,gic-version=3`. Its init prints the prompt `rewind-linux# `; the
/// test types commands, checks their answers and powers off (PSCI SYSTEM_OFF), live, recorded and
/// replayed with the same console output.
/// </summary>
public class Aarch64LinuxBootTests
{
    private const string Prompt = "rewind-linux# ";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(600);

    private static string[] Machine(int cpus, int gic, params string[] extra) =>
        LinuxWorkload.RequireAarch64().Aarch64Machine(gic == 2 ? "virt" : $"virt,gic-version={gic}", cpus, "console=ttyAMA0 earlycon", extra);

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

    private static void AssertSession(ProcessResult r, int cpus, int gic)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Text(r.Stdout);
        if (gic == 3)
        {
            // As Linux reports QEMU 7.2's virt,gic-version=3,its=off.
            Assert.Contains("CPU features: detected: GIC system register CPU interface\n", text);
            Assert.Contains("GICv3: 224 SPIs implemented\n", text);
            Assert.Contains("GICv3: GICv3 features: 16 PPIs\n", text);
            Assert.Contains("GICv3: CPU0: found redistributor 0 region 0:0x00000000080a0000\n", text);
            if (cpus > 1) Assert.Contains("GICv3: CPU1: found redistributor 1 region 0:0x00000000080c0000\n", text);
        }
        else Assert.DoesNotContain("GICv3", text);
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
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    public void Arm64_linux_boots_to_the_prompt_answers_commands_and_powers_off(int cpus, int gic)
    {
        AssertSession(TypedSession(Machine(cpus, gic), Commands), cpus, gic);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    public void Typed_arm64_linux_session_recorded_replays_with_the_same_console(int cpus, int gic)
    {
        using var dir = new TempDir();
        string rr = dir.File("linux.rr");
        string[] Rr(string mode) => Machine(cpus, gic, "-icount", $"shift=3,rr={mode},rrfile={rr}");

        var rec = TypedSession(Rr("record"), Commands);
        AssertSession(rec, cpus, gic);

        using var replay = new RewindRun(Rr("replay"));
        replay.CloseStdin();
        var rep = replay.WaitForExit(Timeout);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        Assert.Equal(rec.Stdout, rep.Stdout);
    }

    /// <summary>
    /// Twenty CPUs with the GICv3, booted straight to poweroff: CPUs 16 to 19 are in the second affinity
    /// cluster (MPIDR 0x100 and up), so Linux starts them with PSCI CPU_ON by that affinity and reaches
    /// them with SGIs to Aff1 = 1. The workload's kernel is built with CONFIG_NR_CPUS=32
    /// (scripts/linux/virt-aarch64.config); qemu-system-aarch64 7.2 prints the same lines.
    /// </summary>
    [Fact]
    public void Arm64_linux_on_twenty_gicv3_cpus_brings_up_all_twenty_across_two_clusters()
    {
        const int Cpus = 20;
        var linux = LinuxWorkload.RequireAarch64();
        var nrCpus = Regex.Match(File.ReadAllText(Path.Combine(linux.Directory, "config")), @"^CONFIG_NR_CPUS=(\d+)$", RegexOptions.Multiline);
        Assert.True(nrCpus.Success && int.Parse(nrCpus.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= Cpus,
            $"the cached arm64 kernel allows fewer than {Cpus} CPUs: rebuild it with scripts/build-linux.sh --arch aarch64");
        var r = RewindProcess.Run(linux.Aarch64Machine("virt,gic-version=3", Cpus, "console=ttyAMA0 earlycon -- poweroff"), null, Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Text(r.Stdout);
        for (int i = 0; i < Cpus; i++)
        {
            // Linux prints the MPIDR affinity, in hex: CPU 10's redistributor is "a", CPU 16's "100".
            int affinity = (i / 16) << 8 | (i % 16);
            Assert.Contains($"GICv3: CPU{i}: found redistributor {affinity:x} region 0:0x{0x080a_0000 + i * 0x2_0000:x16}\n", text);
            if (i > 0) Assert.Contains($"CPU{i}: Booted secondary processor 0x{affinity:x10} [0x411fd070]\n", text);
        }
        Assert.Contains($"smp: Brought up 1 node, {Cpus} CPUs\n", text);
        Assert.Contains($"rewind-linux: init up, harts online: {Cpus}\n", text);
        Assert.Contains("reboot: Power down", text);
    }
}
