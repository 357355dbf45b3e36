namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The seeds' own session on AArch64: QEMU's arm virt board with semihosting, recorded with
/// -icount shift=5,rr=record, replayed under gdb-multiarch, stepped forwards and backwards.
/// </summary>
public class Aarch64SessionTests
{
    private static readonly string Memory = RepoPaths.Aarch64Guest("memory");

    private static string[] Machine(string kernel) =>
        ["-arch", "aarch64", "-monitor", "none", "-display", "none", "-M", "virt", "-cpu", "max",
         "-semihosting-config", "enable=on", "-kernel", kernel];

    private static string[] Rr(string mode, string file, string? snapshot) =>
        ["-icount", $"shift=5,rr={mode},rrfile={file}" + (snapshot == null ? "" : $",rrsnapshot={snapshot}")];

    [Theory]
    [InlineData(null)]
    [InlineData("init")]
    public void Seed_session_x3i_si_rsi_shows_x0_going_back(string? snapshot)
    {
        using var dir = new TempDir();
        string rr = dir.File("record.bin");
        var rec = RewindProcess.Run([.. Machine(Memory), .. Rr("record", rr, snapshot)], null, TimeSpan.FromSeconds(120));
        Assert.True(rec.ExitCode == 0 && rec.Stdout.Contains("PASS memory", StringComparison.Ordinal), rec.ToString());

        string o = Gdb.RunAgainstReplay([.. Machine(Memory), .. Rr("replay", rr, snapshot)], Memory,
            ["x/3i $pc", "p/x $x0", "si", "p/x $x0", "rsi", "p/x $x0"], out var replay);
        Assert.Contains("=> 0x40001000 <_start>:\tadr\tx0, 0x40001800 <vector_table>", o);
        Assert.Contains("<_start+4>:\tmsr\tvbar_el1, x0", o);
        Assert.Contains("$1 = 0x0", o);
        Assert.Contains("$2 = 0x40001800", o);
        Assert.Contains("$3 = 0x0", o);
        Assert.DoesNotContain("E14", o);
        Assert.DoesNotContain("internal error", replay.Stderr);
    }

    [Fact]
    public void Reverse_continue_goes_back_to_the_previous_breakpoint_hit()
    {
        using var dir = new TempDir();
        string rr = dir.File("record.bin");
        Assert.Equal(0, RewindProcess.Run([.. Machine(Memory), .. Rr("record", rr, null)], null, TimeSpan.FromSeconds(120)).ExitCode);
        string o = Gdb.RunAgainstReplay([.. Machine(Memory), .. Rr("replay", rr, null)], Memory,
            ["break check", "continue", "continue", "p/x $pc", "p/x check_no", "continue", "p/x check_no",
             "reverse-continue", "p/x $pc", "p/x check_no", "info registers x0 pc cpsr", "p $v0.d.u[0]"], out _);
        var v = Gdb.HexValues(o);
        Assert.True(v.Count == 5, o);
        Assert.True(v[2] >= v[1], o);          // the third hit is not earlier than the second
        Assert.Equal(v[0], v[3]);              // back at the second hit: same pc
        Assert.Equal(v[1], v[4]);              // and the same state
        Assert.Matches(@"cpsr\s+0x[0-9a-f]+\s+\[", o);
        Assert.Contains("$6 = 0", o);
    }

    [Fact]
    public void Launcher_named_rewind_aarch64_runs_the_arm_board()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        RewindProcess.EnsureBuilt();
        foreach (var a in new[] { "./rewind-aarch64", "-M", "virt", "-display", "none", "-semihosting-config", "enable=on",
            "-kernel", RepoPaths.Aarch64Guest("hello") }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 0, stdout + stderr);
        Assert.Equal("Hello from Rewind aarch64 guest\n", stdout);
    }

    [Fact]
    public void Isa_self_check_passes_and_exits_through_semihosting()
    {
        var r = RewindProcess.Run(Machine(RepoPaths.Aarch64Guest("isa")), null, TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.EndsWith("PASS isa\n", r.Stdout);
    }

    [Theory]
    [InlineData("max")]
    [InlineData("cortex-a57")]
    public void Mmu_with_64k_pages_passes_the_checks_qemu_passes(string cpu)
    {
        // guests/aarch64/mmu64k.c: 39-, 42- and 48-bit VAs with the 64 KiB granule, faults and TLBI;
        // `make -C guests/aarch64 test-qemu` runs the same ELF on qemu-system-aarch64.
        var r = RewindProcess.Run([.. Machine(RepoPaths.Aarch64Guest("mmu64k")), "-cpu", cpu], null, TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.EndsWith("PASS mmu64k\n", r.Stdout);
    }

    [Fact]
    public void Unknown_cpu_is_one_line_listing_the_valid_ones()
    {
        var r = RewindProcess.Run([.. Machine(Memory), "-cpu", "cortex-a9"], null, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 1 && r.StderrLines.Length == 1, r.ToString());
        Assert.Contains("cortex-a53, cortex-a57, cortex-a72, max", r.Stderr);
    }

    [Fact]
    public void A_riscv_elf_on_the_arm_board_is_one_clear_error()
    {
        var r = RewindProcess.Run(Machine(RepoPaths.Guest("hello")), null, TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 1 && r.StderrLines.Length == 1, r.ToString());
        Assert.Contains("not AArch64", r.Stderr);
    }
}
