using System.Diagnostics;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Real firmware through ./rewind, the way QEMU users run it: OpenSBI (Debian package opensbi) with the
/// S-mode U-Boot as -kernel, the M-mode U-Boot alone as -bios (Debian package u-boot-qemu), a typed U-Boot
/// session recorded and replayed, and the paging guest. Nothing is skipped: missing firmware is a failure
/// naming the package to install.
/// </summary>
public class FirmwareTests
{
    private const string FirmwareDir = "/usr/lib/riscv64-linux-gnu/opensbi/generic";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    internal static string FwJump => Require(Path.Combine(FirmwareDir, "fw_jump.elf"), "opensbi");
    private static string FwDynamic => Require(Path.Combine(FirmwareDir, "fw_dynamic.elf"), "opensbi");
    internal static string UbootSmode => Require("/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin", "u-boot-qemu");
    private static string UbootMmode => Require("/usr/lib/u-boot/qemu-riscv64/u-boot.bin", "u-boot-qemu");

    private static string Require(string path, string package)
    {
        Assert.True(File.Exists(path), $"{path} is missing: install the Debian package {package} (apt-get install {package})");
        return path;
    }

    internal static string[] Machine(string bios, string? kernel, params string[] extra) =>
        ["-M", "virt", "-bios", bios, .. kernel == null ? Array.Empty<string>() : ["-kernel", kernel], "-nographic", .. extra];

    private static string Text(string console) => console.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static int Count(string haystack, string needle)
    {
        int n = 0;
        for (int i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
            n++;
        return n;
    }

    /// <summary>Waits until the console holds <paramref name="text"/> at least <paramref name="n"/> times.</summary>
    private static void WaitFor(RewindRun run, string text, int n = 1)
    {
        var sw = Stopwatch.StartNew();
        while (Count(run.Stdout, text) < n)
        {
            if (run.HasExited || sw.Elapsed > Timeout)
                throw new TimeoutException($"'{text}' #{n} never came from rewind {string.Join(' ', run.Args)}\n{run}");
            Thread.Sleep(20);
        }
    }

    // The last line U-Boot prints before its first prompt (bootcmd finds no disk and no network),
    // and the last line of `version`. The tests synchronise on these complete lines, not on the "=> "
    // prompt itself, so that they check the firmware; Prompt_is_shown_while_uboot_waits_for_a_key
    // checks that the prompt reaches the console before a key is typed.
    private const string LineBeforeFirstPrompt = "No ethernet found.\r\nNo ethernet found.\r\n";
    private const string LastLineOfVersion = "GNU ld";

    /// <summary>Types a line key by key (delay between keys), ending with a carriage return as a terminal does.</summary>
    private static void Type(RewindRun run, string line, int keyDelayMs)
    {
        foreach (char c in line + "\r")
        {
            Thread.Sleep(keyDelayMs);
            run.Write(c.ToString());
        }
    }

    /// <summary>
    /// Boots to the prompt, types each command once the previous one's output holds its <c>Until</c> text,
    /// then `poweroff`; returns the finished run's result.
    /// </summary>
    internal static ProcessResult TypedSession(string[] args, int keyDelayMs, params (string Command, string Until)[] commands)
    {
        using var run = new RewindRun(args);
        WaitFor(run, LineBeforeFirstPrompt);
        foreach (var (command, until) in commands)
        {
            Thread.Sleep(200);
            Type(run, command, keyDelayMs);
            WaitFor(run, until);
        }
        Thread.Sleep(200);
        Type(run, "poweroff", keyDelayMs);
        return run.WaitForExit(Timeout);
    }

    /// <summary>Boots to the prompt, types `version` then `poweroff`, returns the finished run's result.</summary>
    private static ProcessResult VersionThenPoweroff(string[] args, int keyDelayMs = 0) =>
        TypedSession(args, keyDelayMs, ("version", LastLineOfVersion));

    private static void AssertUbootVersionSession(ProcessResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Text(r.Stdout);
        Assert.Contains("U-Boot 2023.01", text);
        Assert.Contains("Model: riscv-virtio,qemu\n", text);
        Assert.Contains("DRAM:  128 MiB\n", text);
        int version = text.IndexOf("=> version\n", StringComparison.Ordinal);
        Assert.True(version >= 0, r.ToString());
        string after = text[version..];
        Assert.Matches(@"^=> version\nU-Boot 2023\.01[^\n]*\n\n[^\n]*gcc[^\n]*\nGNU ld[^\n]*\n=> poweroff\npoweroff \.\.\.", after);
    }

    [Fact]
    public void Fw_jump_boots_smode_uboot_which_answers_version_and_powers_off()
    {
        var r = VersionThenPoweroff(Machine(FwJump, UbootSmode));
        AssertUbootVersionSession(r);
        string text = Text(r.Stdout);
        Assert.Contains("OpenSBI v1.1\n", text);
        Assert.Contains(@"  \____/| .__/ \___|_| |_|_____/|____/_____|", text);
        Assert.Contains("Platform Name             : riscv-virtio,qemu\n", text);
        Assert.Contains("Domain0 Next Address      : 0x0000000080200000\n", text);
        Assert.Contains("Domain0 Next Mode         : S-mode\n", text);
        Assert.Contains("Boot HART Base ISA        : rv64imafdc\n", text);
        Assert.True(text.IndexOf("OpenSBI v1.1", StringComparison.Ordinal) < text.IndexOf("U-Boot 2023.01", StringComparison.Ordinal), r.ToString());
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Fw_dynamic_on_two_harts_boots_smode_uboot_with_both_harts_in_opensbis_domain()
    {
        // The same lines as QEMU 7.2 with -smp 2, but for the differences of the single-hart boot.
        var r = VersionThenPoweroff(Machine(FwDynamic, UbootSmode, "-smp", "2"));
        AssertUbootVersionSession(r);
        string text = Text(r.Stdout);
        Assert.Contains("Platform HART Count       : 2\n", text);
        Assert.Contains("Domain0 HARTs             : 0*,1*\n", text);
        Assert.Contains("Boot HART ID              : 0\n", text);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Uboot_reading_opensbi_memory_gets_the_access_fault_qemu_gives_through_pmp()
    {
        // OpenSBI closes its own memory to S-mode with PMP. QEMU 7.2 prints exactly these lines
        // (checked by hand with the same command line); with -no-reboot the reset ends the run.
        using var run = new RewindRun(Machine(FwJump, UbootSmode, "-no-reboot"));
        WaitFor(run, LineBeforeFirstPrompt);
        Thread.Sleep(200);
        Type(run, "md 0x80000000 4", 0);
        var r = run.WaitForExit(Timeout);
        string text = Text(r.Stdout);
        Assert.True(text.Contains("=> md 0x80000000 4\nUnhandled exception: Load access fault\n"), r.ToString());
        Assert.Contains("TVAL: 0000000080000000\n", text);
        Assert.Contains("resetting ...", text);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public void Prompt_is_shown_while_uboot_waits_for_a_key()
    {
        // QEMU writes every UART byte to the console at once; a user at a terminal (or a script
        // driving one) must see "=> " before typing, although no line end follows it.
        using var run = new RewindRun(Machine(FwJump, UbootSmode));
        WaitFor(run, LineBeforeFirstPrompt);
        var sw = Stopwatch.StartNew();
        while (!run.Stdout.EndsWith("=> ", StringComparison.Ordinal) && sw.Elapsed < TimeSpan.FromSeconds(5))
            Thread.Sleep(20);
        bool shown = run.Stdout.EndsWith("=> ", StringComparison.Ordinal);
        Type(run, "poweroff", 0);
        var r = run.WaitForExit(Timeout);
        Assert.True(shown, "the U-Boot prompt \"=> \" did not reach stdout within 5 s while U-Boot waited for input\n" + r);
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public void Fw_dynamic_boots_smode_uboot_to_the_prompt()
    {
        using var run = new RewindRun(Machine(FwDynamic, UbootSmode));
        WaitFor(run, LineBeforeFirstPrompt);
        Thread.Sleep(200);
        Type(run, "poweroff", 0);
        var r = run.WaitForExit(Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = Text(r.Stdout);
        Assert.Contains("OpenSBI v1.1\n", text);
        Assert.Contains("Domain0 Next Mode         : S-mode\n", text);
        Assert.Contains("U-Boot 2023.01", text);
        Assert.Contains("=> poweroff\npoweroff ...", text);
    }

    [Fact]
    public void Mmode_uboot_as_bios_boots_to_the_prompt()
    {
        var r = VersionThenPoweroff(Machine(UbootMmode, null));
        AssertUbootVersionSession(r);
        Assert.DoesNotContain("OpenSBI", r.Stdout);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void Typed_uboot_session_recorded_with_icount_replays_byte_identical(string smp)
    {
        using var dir = new TempDir();
        string rr = dir.File("uboot.rr");
        string[] Rr(string mode) => Machine(FwJump, UbootSmode, "-smp", smp, "-icount", $"shift=5,rr={mode},rrfile={rr}");

        var rec = VersionThenPoweroff(Rr("record"), keyDelayMs: 40);
        AssertUbootVersionSession(rec);

        using var replay = new RewindRun(Rr("replay"));
        replay.CloseStdin();                        // every key comes from the recording
        var rep = replay.WaitForExit(Timeout);
        Assert.True(rep.ExitCode == 0, rep.ToString());
        // Both runs decode stdout as Latin-1, so string equality is byte equality.
        Assert.Equal(rec.Stdout, rep.Stdout);
    }

    [Fact]
    public void Paging_guest_passes()
    {
        var r = RewindProcess.RunKernel(RepoPaths.Guest("paging"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("PASS paging\n", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout);
        Assert.Equal("", r.Stderr);
    }
}
