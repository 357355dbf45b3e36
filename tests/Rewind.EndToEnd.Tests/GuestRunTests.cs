namespace Rewind.EndToEnd.Tests;

/// <summary>The guest programs run through ./rewind exactly as through qemu-system-riscv64.</summary>
public class GuestRunTests
{
    public static TheoryData<string> SelfChecking => new()
    {
        "isa_i", "isa_m", "isa_a", "isa_c", "isa_zicsr",
        "trap_ecall", "trap_illegal", "trap_misaligned", "trap_timer", "trap_sdeleg", "fpu_fd", "jit_system",
    };

    [Theory]
    [MemberData(nameof(SelfChecking))]
    public void Self_checking_guest_prints_PASS_and_exits_0(string name)
    {
        var r = RewindProcess.RunKernel(RepoPaths.Guest(name));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"PASS {name}\n", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Hello_prints_its_line()
    {
        var r = RewindProcess.RunKernel(RepoPaths.Guest("hello"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("Hello from Rewind guest\n", r.Stdout);
    }

    [Fact]
    public void Uart_echo_echoes_stdin_until_q()
    {
        var r = RewindProcess.RunKernel(RepoPaths.Guest("uart_echo"), stdin: "abcq");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("echo ready\nabcq", r.Stdout);
    }

    /// <summary>bench_sv39 is bench.o again with main in S-mode under Sv39 paging (guests/common/sv39.S).</summary>
    [Theory]
    [InlineData("bench")]
    [InlineData("bench_sv39")]
    public void Bench_prints_its_checksum(string name)
    {
        var r = RewindProcess.RunKernel(RepoPaths.Guest(name), null, "-icount", "shift=0");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("bench checksum 0xe88d4c91c86f6469\n", r.Stdout);
    }

    [Fact]
    public void Output_is_identical_from_run_to_run()
    {
        var a = RewindProcess.RunKernel(RepoPaths.Guest("trap_timer"));
        var b = RewindProcess.RunKernel(RepoPaths.Guest("trap_timer"));
        Assert.Equal(a, b);
    }
}
