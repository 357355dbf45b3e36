using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.TestSupport;

namespace Rewind.Riscv.Tests;

/// <summary>
/// A hart told every input is known ahead skips whole iterations of a loop that only waits, and leaves
/// exactly the state running them would: each program runs in two rigs, skipping and not, compared at
/// odd counts. Loops that change anything but their registers' fixed values are run in full.
/// </summary>
public class SpinSkipTests
{
    private const ulong DeviceBase = 0x1000_0000;
    private const int A0 = 10, A4 = 14, A5 = 15, S0 = 8, S1 = 9, T0 = 5;

    /// <summary>A status register at offset 5 (bit 0: ready); reads count, and say whether they are steady.</summary>
    private sealed class StatusDevice(bool steady) : IMmioDevice, ISteadyReads
    {
        public bool Ready;
        public int Reads;
        public string Name => "status";
        public ulong Read(ulong offset, int size)
        {
            Reads++;
            return offset == 5 && Ready ? 1UL : 0;
        }
        public void Write(ulong offset, int size, ulong value) { }
        public bool IsSteadyRead(ulong offset, int size) => steady;
    }

    private static uint Lbu(int rd, int rs1, int imm) => Asm.I(imm, rs1, 4, rd, 0x03);
    private static uint Andi(int rd, int rs1, int imm) => Asm.I(imm, rs1, 7, rd, 0x13);
    private static uint Srli(int rd, int rs1, int sh) => Asm.I(sh, rs1, 5, rd, 0x13);

    private static (HartRig Rig, StatusDevice Device) Rig(bool skip, bool steady, params uint[] loop)
    {
        var rig = new HartRig();
        var device = new StatusDevice(steady);
        rig.Bus.Map(DeviceBase, 0x100, device);
        // lui a4, device; the loop; then a0 = 42 and a jump to itself.
        rig.Program([Asm.Lui(A4, (uint)(DeviceBase >> 12)), .. loop, Asm.Addi(A0, 0, 42), Asm.JumpSelf]);
        rig.Hart.SkipSpins = skip;
        return (rig, device);
    }

    private static void AssertSame(HartRig a, HartRig b)
    {
        Assert.Equal(a.Hart.Icount, b.Hart.Icount);
        Assert.Equal(a.Hart.Pc, b.Hart.Pc);
        for (int r = 1; r < 32; r++) Assert.True(a.X(r) == b.X(r), $"x{r}: {a.X(r):x} against {b.X(r):x}");
    }

    /// <summary>lbu a5, 5(a4); andi a5, a5, 1; beqz a5, back to the lbu: rt_getc's loop.</summary>
    private static readonly uint[] PollLoop = [Lbu(A5, A4, 5), Andi(A5, A5, 1), Asm.Beq(A5, 0, -8)];

    [Fact]
    public void A_loop_polling_a_steady_register_is_skipped_and_leaves_the_state_of_running_it()
    {
        var (skipping, skipDevice) = Rig(skip: true, steady: true, PollLoop);
        var (running, runDevice) = Rig(skip: false, steady: true, PollLoop);
        foreach (ulong limit in new ulong[] { 1_000_003, 1_000_004, 3_333_335 })
        {
            Assert.Equal(CpuStop.Limit, skipping.Hart.Run(limit));
            Assert.Equal(CpuStop.Limit, running.Hart.Run(limit));
            AssertSame(skipping, running);
        }
        Assert.True(skipping.Hart.SpinSkipped > 3_000_000, $"skipped {skipping.Hart.SpinSkipped}");
        Assert.Equal(0UL, running.Hart.SpinSkipped);
        Assert.True(skipDevice.Reads < 100, $"{skipDevice.Reads} reads");
        // The device becomes ready (an input, between slices): both leave the loop at the same count.
        skipDevice.Ready = runDevice.Ready = true;
        Assert.Equal(CpuStop.Limit, skipping.Hart.Run(3_333_335 + 2_000));
        Assert.Equal(CpuStop.Limit, running.Hart.Run(3_333_335 + 2_000));
        AssertSame(skipping, running);
        Assert.Equal(42UL, skipping.X(A0));
    }

    public static TheoryData<string, uint[], bool> NotSpins => new()
    {
        // The registers never come back: it counts while it waits.
        { "counting", [Lbu(A5, A4, 5), Asm.Addi(S0, S0, 1), Andi(A5, A5, 1), Asm.Beq(A5, 0, -12)], true },
        // It stores (the same value every time, on a page of its own, but a store is never skipped).
        { "storing", [Asm.Auipc(S1, 1), Lbu(A5, A4, 5), Asm.Sw(A5, S1, 0x400), Andi(A5, A5, 1), Asm.Beq(A5, 0, -12)], true },
        // It reads the cycle counter: a value that changes with the count alone.
        { "cycle", [Asm.Csrr(T0, 0xc00), Srli(T0, T0, 40), Asm.Beq(T0, 0, -8)], true },
        // Its device register is not steady (reading it has an effect).
        { "unsteady", PollLoop, false },
    };

    [Theory]
    [MemberData(nameof(NotSpins))]
    public void A_loop_that_changes_or_reads_what_moves_is_run_in_full(string name, uint[] loop, bool steady)
    {
        var (skipping, skipDevice) = Rig(skip: true, steady, loop);
        var (running, runDevice) = Rig(skip: false, steady, loop);
        // Slices of many lengths: the hart looks for a spin as each begins, from wherever it stopped.
        for (ulong limit = 20_011; limit < 400_000; limit += 20_011)
        {
            Assert.Equal(CpuStop.Limit, skipping.Hart.Run(limit));
            Assert.Equal(CpuStop.Limit, running.Hart.Run(limit));
            AssertSame(skipping, running);
        }
        Assert.True(skipping.Hart.SpinSkipped == 0, $"{name}: skipped {skipping.Hart.SpinSkipped}");
        Assert.Equal(runDevice.Reads, skipDevice.Reads);
    }

    [Fact]
    public void A_breakpoint_inside_a_spin_stops_the_run_at_it()
    {
        var (rig, _) = Rig(skip: true, steady: true, PollLoop);
        ulong andi = HartRig.RamBase + 8;
        Assert.True(rig.Hart.AddBreakpoint(andi));
        Assert.Equal(CpuStop.Breakpoint, rig.Hart.Run(1_000_000));
        Assert.Equal(andi, rig.Hart.Pc);
        Assert.Equal(2UL, rig.Hart.Icount);
        Assert.Equal(0UL, rig.Hart.SpinSkipped);
    }

}
