using System.Diagnostics;
using System.Text;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// Debian's U-Boot for QEMU arm64 (package u-boot-qemu) as QEMU users run it: `-M virt -cpu cortex-a57
/// -bios u-boot.bin -nographic`. It boots from the flash at 0 with the device tree at the start of RAM,
/// runs its boot command (fw_cfg, USB, SCSI, virtio, network) to the prompt, answers `version`, and
/// powers off through PSCI: live, recorded and replayed byte for byte, and with the same console text
/// as the real qemu-system-aarch64.
/// </summary>
public class Aarch64UbootTests
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    internal static string Uboot
    {
        get
        {
            const string path = "/usr/lib/u-boot/qemu_arm64/u-boot.bin";
            Assert.True(File.Exists(path), $"{path} is missing: install the Debian package u-boot-qemu (apt-get install u-boot-qemu)");
            return path;
        }
    }

    internal static string[] Machine(params string[] extra) =>
        ["-arch", "aarch64", "-M", "virt", "-cpu", "cortex-a57", "-bios", Uboot, "-nographic", .. extra];

    // The last lines before the first prompt (the boot command finds no disk and no network), and the
    // last line of `version`. The session synchronises on complete lines, then types.
    internal const string LineBeforeFirstPrompt = "No ethernet found.\r\nNo ethernet found.\r\n=> ";
    private const string LastLineOfVersion = "GNU ld";

    /// <summary>Waits for the prompt, types `version`, waits for its end, types `poweroff`; returns the finished run.</summary>
    private static ProcessResult VersionThenPoweroff(ConsoleProcess run, int keyDelayMs)
    {
        run.WaitFor(LineBeforeFirstPrompt, Timeout);
        run.Type("version", keyDelayMs);
        run.WaitFor(LastLineOfVersion, Timeout);
        Thread.Sleep(200);
        run.Type("poweroff", keyDelayMs);
        return run.WaitForExit(Timeout);
    }

    private static void AssertVersionSession(ProcessResult r)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = r.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains("\nU-Boot 2023.01", text);
        Assert.Contains("DRAM:  128 MiB\n", text);
        Assert.Contains("Flash: 64 MiB\n", text);
        Assert.Contains("In:    pl011@9000000\n", text);
        Assert.Contains("fatal: no kernel available\n", text); // fw_cfg found, and no -kernel in it
        int version = text.IndexOf("=> version\n", StringComparison.Ordinal);
        Assert.True(version >= 0, r.ToString());
        Assert.Matches(@"^=> version\nU-Boot 2023\.01[^\n]*\n\n[^\n]*gcc[^\n]*\nGNU ld[^\n]*\n=> poweroff\npoweroff \.\.\.", text[version..]);
    }

    [Fact]
    public void Uboot_as_bios_answers_version_and_prints_what_qemu_prints()
    {
        using var rewind = ConsoleProcess.Rewind(Machine());
        var ours = VersionThenPoweroff(rewind, 0);
        AssertVersionSession(ours);
        Assert.DoesNotContain("Synchronous Abort", ours.Stdout);

        // QEMU's default NIC needs a ROM file Debian's QEMU lacks here, and this board has no network.
        using var qemu = ConsoleProcess.Qemu(["-M", "virt", "-cpu", "cortex-a57", "-bios", Uboot, "-nographic", "-nic", "none"]);
        var theirs = VersionThenPoweroff(qemu, 0);
        Assert.True(theirs.ExitCode == 0, theirs.ToString());

        Assert.Matches(@"\nCore:  \d+ devices, \d+ uclasses, devicetree: board\r\n", ours.Stdout);
        Assert.Equal(Comparable(theirs.Stdout), Comparable(ours.Stdout));
    }

    [Fact]
    public void Uboot_on_two_cpus_runs_on_cpu_0_alone_and_prints_what_qemu_prints()
    {
        using var rewind = ConsoleProcess.Rewind(Machine("-smp", "2"));
        var ours = VersionThenPoweroff(rewind, 0);
        AssertVersionSession(ours);

        using var qemu = ConsoleProcess.Qemu(["-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-bios", Uboot, "-nographic", "-nic", "none"]);
        var theirs = VersionThenPoweroff(qemu, 0);
        Assert.True(theirs.ExitCode == 0, theirs.ToString());
        Assert.Equal(Comparable(theirs.Stdout), Comparable(ours.Stdout));
    }

    /// <summary>
    /// A console with U-Boot's device count taken out: U-Boot counts the devices its driver model bound
    /// from the tree, and QEMU's tree also has the PCIe host, the PL061 GPIO and its key, the PMU and the
    /// GICv2m frame, which this board lacks.
    /// </summary>
    internal static string Comparable(string console) =>
        string.Join('\n', console.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Where(line => !line.StartsWith("Core:  ", StringComparison.Ordinal)));

    [Fact]
    public void Typed_uboot_session_recorded_with_icount_replays_byte_identical()
    {
        using var dir = new TempDir();
        string rr = dir.File("uboot.rr");
        string[] Rr(string mode) => Machine("-icount", $"shift=5,rr={mode},rrfile={rr}");

        using (var record = ConsoleProcess.Rewind(Rr("record")))
        {
            var rec = VersionThenPoweroff(record, keyDelayMs: 40);
            AssertVersionSession(rec);

            using var replay = ConsoleProcess.Rewind(Rr("replay"));
            replay.CloseStdin(); // every key comes from the recording
            var rep = replay.WaitForExit(Timeout);
            Assert.True(rep.ExitCode == 0, rep.ToString());
            // Both runs decode stdout as Latin-1, so string equality is byte equality.
            Assert.Equal(rec.Stdout, rep.Stdout);
        }
    }

    /// <summary>
    /// U-Boot's PSCI call (`hvc #0` in __arm_smccc_hvc), after U-Boot has moved itself to the top of
    /// RAM: its offset 0x1a4 in u-boot.bin plus the relocation address `bdinfo` shows on QEMU.
    /// </summary>
    private const ulong RelocatedHvc = 0x47ef_7000 + 0x1a4;

    [Fact]
    public void Gdb_steps_uboots_poweroff_call_and_back_at_the_end_of_a_replay()
    {
        using var dir = new TempDir();
        string rr = dir.File("uboot.rr");
        string[] Rr(string mode) => Machine("-icount", $"shift=5,rr={mode},rrfile={rr}");
        using (var record = ConsoleProcess.Rewind(Rr("record")))
        {
            record.WaitFor(LineBeforeFirstPrompt, Timeout);
            record.Type("poweroff", 0);
            Assert.True(record.WaitForExit(Timeout).ExitCode == 0, record.ToString());
        }

        // U-Boot's only PSCI call in this run is `poweroff`'s SYSTEM_OFF, the last instruction recorded.
        // The stripped ELF only tells gdb-multiarch the architecture; every address is a number.
        string o = Gdb.RunAgainstReplay(Rr("replay"), "/usr/lib/u-boot/qemu_arm64/uboot.elf",
            ["x/2i $pc", $"break *0x{RelocatedHvc:x}", "continue", "p/x $pc", "p/x $x0", "stepi", "p/x $pc", "p/x $x0",
             "reverse-stepi", "p/x $pc", "p/x $x0", "continue", "p/x $pc", "reverse-continue", "p/x $pc", "p/x $x0",
             "info registers cpsr"], out _, TimeSpan.FromSeconds(240));
        Assert.Contains("=> 0x0:\tb\t0x28", o);
        var v = Gdb.HexValues(o);
        Assert.True(v.Count == 9, o);
        Assert.True(v[0] == RelocatedHvc, o);         // stopped on the HVC, in relocated U-Boot
        Assert.True(v[1] == 0x8400_0008, o);          // x0: PSCI SYSTEM_OFF
        Assert.True(v[2] == RelocatedHvc + 4, o);     // one step: the board took the call
        Assert.True(v[3] == 0, o);                    // and answered success in x0
        Assert.True(v[4] == RelocatedHvc, o);         // one step back: on the HVC again
        Assert.True(v[5] == 0x8400_0008, o);          // with the function ID back in x0
        Assert.True(v[6] == RelocatedHvc + 4, o);     // continue: the end of the recording
        Assert.True(v[7] == RelocatedHvc, o);         // reverse-continue: back to the breakpoint
        Assert.True(v[8] == 0x8400_0008, o);
        Assert.Matches(@"cpsr\s+0x[0-9a-f]+\s+\[", o);
    }
}

/// <summary>A console program (./rewind or qemu-system-aarch64) with stdin open for typing and stdout collected.</summary>
internal sealed class ConsoleProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new(), _err = new();
    private readonly Task _outTask, _errTask;
    private readonly string _what;

    private ConsoleProcess(string file, IEnumerable<string> args, string what)
    {
        _what = what;
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        _outTask = Pump(_p.StandardOutput.BaseStream, _out);
        _errTask = Pump(_p.StandardError.BaseStream, _err);
    }

    public static ConsoleProcess Rewind(string[] args)
    {
        RewindProcess.EnsureBuilt();
        return new ConsoleProcess("bash", [RepoPaths.Launcher, .. args], "rewind " + string.Join(' ', args));
    }

    public static ConsoleProcess Qemu(string[] args) =>
        new("qemu-system-aarch64", args, "qemu-system-aarch64 " + string.Join(' ', args));

    private static Task Pump(Stream s, StringBuilder sb) => Task.Run(() =>
    {
        var buf = new byte[4096];
        int n;
        while ((n = s.Read(buf, 0, buf.Length)) > 0)
            lock (sb) sb.Append(Encoding.Latin1.GetString(buf, 0, n));
    });

    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }

    public void WaitFor(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (_p.HasExited || sw.Elapsed > timeout) throw new TimeoutException($"'{text}' never came from {_what}\n{this}");
            Thread.Sleep(20);
        }
    }

    /// <summary>Types a line key by key, ending with a carriage return as a terminal does.</summary>
    public void Type(string line, int keyDelayMs)
    {
        foreach (char c in line + "\r")
        {
            Thread.Sleep(keyDelayMs);
            _p.StandardInput.Write(c);
            _p.StandardInput.Flush();
        }
    }

    /// <summary>
    /// Types a line at U-Boot's prompt and waits for the next prompt: the handshake that lets a session
    /// type its next command only when the last one is done. Returns what the command printed, from
    /// the echo of the line to the prompt.
    /// </summary>
    public string Command(string line, int keyDelayMs, TimeSpan timeout)
    {
        int from = Stdout.Length;
        Type(line, keyDelayMs);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            string text = Stdout;
            int end = text.IndexOf("\n=> ", from, StringComparison.Ordinal);
            if (end >= 0) return text[from..(end + 1)];
            if (_p.HasExited || sw.Elapsed > timeout) throw new TimeoutException($"no prompt after '{line}' from {_what}\n{this}");
            Thread.Sleep(20);
        }
    }

    public void CloseStdin()
    {
        try { _p.StandardInput.Close(); } catch (IOException) { }
    }

    public ProcessResult WaitForExit(TimeSpan timeout)
    {
        if (!_p.WaitForExit(timeout))
        {
            Dispose();
            throw new TimeoutException($"{_what} did not exit in time\n{this}");
        }
        _p.WaitForExit();
        Task.WaitAll([_outTask, _errTask], TimeSpan.FromSeconds(10));
        return new ProcessResult(_p.ExitCode, Stdout, Stderr);
    }

    public override string ToString() => $"--- {_what}: stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    public void Dispose()
    {
        if (_p.HasExited) return;
        try { _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _p.WaitForExit(10_000);
    }
}
