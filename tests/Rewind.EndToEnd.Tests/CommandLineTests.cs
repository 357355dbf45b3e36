namespace Rewind.EndToEnd.Tests;

public class CommandLineTests
{
    private static void AssertOneLineError(ProcessResult r, string mustContain)
    {
        Assert.True(r.ExitCode == 1, r.ToString());
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("rewind: ", line);
        Assert.Contains(mustContain, line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    private static string TempPath(string suffix) =>
        Path.Combine(Path.GetTempPath(), $"rewind-e2e-{Guid.NewGuid():N}{suffix}");

    [Fact]
    public void Unknown_option_exits_1_with_one_line_naming_it()
    {
        var r = RewindProcess.Run("-M", "virt", "-frobnicate", "-nographic");
        AssertOneLineError(r, "-frobnicate");
    }

    [Fact]
    public void Option_missing_its_value_is_one_line()
    {
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-kernel"), "-kernel");
    }

    [Fact]
    public void Smp_beyond_the_virt_machines_512_cpus_is_one_line()
    {
        var r = RewindProcess.Run("-M", "virt", "-smp", "513", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-nographic");
        AssertOneLineError(r, "-smp 513: the virt machine supports at most 512 CPUs");
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-smp", "0", "-nographic"), "-smp 0: invalid number of CPUs");
    }

    [Theory]
    [InlineData("2", 2)]
    [InlineData("cpus=4", 4)]
    [InlineData("1", 1)]
    public void Smp_runs_every_hart_and_none_loses_an_atomic_or_locked_update(string smp, int harts)
    {
        var r = RewindProcess.Run("-M", "virt", "-smp", smp, "-bios", "none", "-kernel", RepoPaths.Guest("smp"), "-nographic");
        Assert.True(r.ExitCode == 0, r.ToString());
        long total = harts * 20000L;
        Assert.Equal($"smp: {harts} harts\nsmp: woke {harts - 1}\nsmp: atomic {total} locked {total} expected {total}\n", r.Stdout);
    }

    [Fact]
    public void Unsupported_machine_is_one_line()
    {
        AssertOneLineError(RewindProcess.Run("-M", "sifive_u", "-nographic"), "sifive_u");
    }

    [Fact]
    public void Missing_kernel_file_is_one_line_naming_it()
    {
        string missing = TempPath(".elf");
        var r = RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", missing, "-nographic");
        AssertOneLineError(r, missing);
    }

    [Fact]
    public void Truncated_elf_kernel_is_one_clear_line()
    {
        string path = TempPath(".elf");
        try
        {
            File.WriteAllBytes(path, File.ReadAllBytes(RepoPaths.Guest("hello")).AsSpan(0, 100).ToArray());
            var r = RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", path, "-nographic");
            AssertOneLineError(r, "kernel");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Version_prints_one_line_and_exits_0()
    {
        var r = RewindProcess.Run("--version");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("Rewind ", r.Stdout);
        Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Help_prints_usage_and_exits_0(string flag)
    {
        var r = RewindProcess.Run(flag);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("usage: rewind", r.Stdout);
        Assert.Contains("-kernel", r.Stdout);
        Assert.Contains("-icount", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Serial_file_writes_guest_output_to_the_file()
    {
        string path = TempPath(".log");
        try
        {
            var r = RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"),
                "-display", "none", "-serial", $"file:{path}");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("Hello from Rewind guest\n", File.ReadAllText(path));
            Assert.DoesNotContain("Hello", r.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_guest_exiting_through_the_finisher_with_code_3_gives_exit_status_3()
    {
        // Loaded raw at 0x80000000:
        uint[] program =
        [
            Asm.Lui(Asm.T0, 0x100),            // t0 = 0x100000 (sifive_test finisher)
            Asm.Lui(Asm.T1, 0x33),             // t1 = 0x33000
            Asm.Addi(Asm.T1, Asm.T1, 0x333),   // t1 = 0x33333 = (3 << 16) | 0x3333 (FAIL, code 3)
            Asm.Sw(Asm.T1, Asm.T0, 0),
            Asm.JumpSelf,
        ];
        string path = TempPath(".bin");
        try
        {
            File.WriteAllBytes(path, program.SelectMany(BitConverter.GetBytes).ToArray());
            var r = RewindProcess.RunKernel(path);
            Assert.True(r.ExitCode == 3, r.ToString());
            Assert.Equal("", r.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
