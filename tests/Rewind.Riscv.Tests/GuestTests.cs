using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;

namespace Rewind.Riscv.Tests;

/// <summary>The self-checking guest programs, run through the board and machine API (no command line).</summary>
public class GuestTests
{
    private sealed class CaptureSerial : ISerialBackend
    {
        private readonly List<byte> _bytes = [];
        public void Write(byte b) => _bytes.Add(b);
        public string Text => Encoding.ASCII.GetString(_bytes.ToArray());
    }

    public static TheoryData<string> SelfChecking => new()
    {
        "isa_i", "isa_m", "isa_a", "isa_c", "isa_zicsr",
        "trap_ecall", "trap_illegal", "trap_misaligned", "trap_timer", "trap_sdeleg", "fpu_fd", "jit_system",
    };

    /// <summary>More than any of these programs needs; reaching it means the guest hung.</summary>
    private const ulong Budget = 200_000_000;

    private static (MachineStop Stop, string Output, ulong Icount) RunGuest(string name, ulong budget = Budget)
    {
        string path = RepoPaths.Guest(name);
        Assert.True(File.Exists(path), $"{path} is missing (make -C guests all)");
        var serial = new CaptureSerial();
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = path, Serial = serial });
        var stop = board.Machine.Run(budget);
        return (stop, serial.Text, board.Machine.Icount);
    }

    [Theory]
    [MemberData(nameof(SelfChecking))]
    public void Guest_PassesOnMachineApi(string name)
    {
        var (stop, output, icount) = RunGuest(name);
        Assert.True(stop.Kind == StopKind.Exited, $"{name} stopped with {stop.Kind} at {icount}; output:\n{output}");
        Assert.True(stop.ExitCode == 0, $"{name} exited {stop.ExitCode}; output:\n{output}");
        Assert.Contains($"PASS {name}", output);
        Assert.DoesNotContain("FAIL", output);

        var again = RunGuest(name);
        Assert.Equal(icount, again.Icount);
        Assert.Equal(output, again.Output);
    }

    [Fact]
    public void Hello_prints_its_greeting_and_powers_off()
    {
        var (stop, output, _) = RunGuest("hello");
        Assert.Equal(new MachineStop(StopKind.Exited, ExitCode: 0), stop with { Cpu = 0, Icount = 0 });
        Assert.Equal("Hello from Rewind guest\n", output);
    }

    /// <summary>
    /// bench_sv39.elf is bench.o linked again with guests/common/sv39.S: the same workload at the same
    /// addresses, with main in S-mode and every fetch, load and store translated through Sv39 4 KiB pages
    /// (a 3-level walk each), the devices through a gigapage. It prints bench's checksum and exits 0.
    /// </summary>
    [Fact]
    public void Bench_sv39_prints_the_bench_checksum_under_Sv39_paging()
    {
        var (stop, output, icount) = RunGuest("bench_sv39", budget: 1_000_000_000);   // about 210 million
        Assert.True(stop.Kind == StopKind.Exited && stop.ExitCode == 0, $"stopped with {stop} at {icount}; output:\n{output}");
        Assert.Equal("bench checksum 0xe88d4c91c86f6469\n", output);
    }

    [Fact]
    public void A_raw_kernel_exiting_through_the_finisher_reports_its_code()
    {
        string path = Path.GetTempFileName();
        try
        {
            uint[] words =
            [
                Asm.Lui(Asm.T0, 0x100),            // t0 = 0x100000 (sifive_test)
                Asm.Lui(Asm.T1, 0x33),             // t1 = 0x33000
                Asm.Addi(Asm.T1, Asm.T1, 0x333),   // t1 = (3 << 16) | 0x3333
                Asm.Sw(Asm.T1, Asm.T0, 0),
                Asm.JumpSelf,
            ];
            File.WriteAllBytes(path, words.SelectMany(BitConverter.GetBytes).ToArray());
            var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = path });
            var stop = board.Machine.Run(1_000_000);
            Assert.Equal(StopKind.Exited, stop.Kind);
            Assert.Equal(3, stop.ExitCode);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Machine_Run_stops_exactly_at_the_requested_count_and_resumes_identically()
    {
        var straight = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("bench") });
        var stepped = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("bench") });
        Assert.Equal(StopKind.Reached, stepped.Machine.Run(100_000).Kind);
        Assert.Equal(100_000UL, stepped.Machine.Icount);
        Assert.Equal(StopKind.Reached, stepped.Machine.Run(150_000).Kind);
        Assert.Equal(150_000UL, stepped.Machine.Icount);
        straight.Machine.Run(150_000);
        Assert.Equal(straight.Hart.Pc, stepped.Hart.Pc);
        for (int i = 0; i < 32; i++) Assert.Equal(straight.Hart.GetX(i), stepped.Hart.GetX(i));
    }
}
