using Rewind.Core.Bus;
using Rewind.Core.Cpu;

namespace Rewind.Arm64.Tests;

/// <summary>
/// An Arm CPU told every input is known ahead skips whole iterations of a loop that only waits, and leaves
/// exactly the state running them would: each program runs in two rigs, skipping and not, compared at
/// odd counts. Loops that change anything but their registers' fixed values are run in full.
/// </summary>
public class SpinSkipTests
{
    private const ulong DeviceBase = 0x0900_0000;

    /// <summary>A PL011-like flag register at 0x18 (bit 4: receive FIFO empty); reads count, and say whether they are steady.</summary>
    private sealed class FlagDevice(bool steady) : IMmioDevice, ISteadyReads
    {
        public bool Received;
        public int Reads;
        public string Name => "flags";
        public ulong Read(ulong offset, int size)
        {
            Reads++;
            return offset == 0x18 && !Received ? 0x10UL : 0;
        }
        public void Write(ulong offset, int size, ulong value) { }
        public bool IsSteadyRead(ulong offset, int size) => steady;
    }

    private const uint MovX1Device = 0xd2a12001;   // mov x1, #0x9000000
    private const uint LdrW2Flags = 0xb9401822;    // ldr w2, [x1, #0x18]
    private const uint Mov42 = 0xd2800540;         // mov x0, #42
    private const uint Self = 0x14000000;          // b .

    /// <summary>ldr w2, [x1, #0x18]; tbnz w2, #4, back to the ldr: a PL011 receive loop.</summary>
    private static readonly uint[] PollLoop = [LdrW2Flags, 0x3727ffe2];

    private static (CpuRig Rig, FlagDevice Device) Rig(bool skip, bool steady, uint[] setup, uint[] loop)
    {
        var rig = new CpuRig([MovX1Device, .. setup, .. loop, Mov42, Self]);
        var device = new FlagDevice(steady);
        rig.Bus.Map(DeviceBase, 0x1000, device);
        rig.Cpu.SkipSpins = skip;
        return (rig, device);
    }

    private static void AssertSame(CpuRig a, CpuRig b)
    {
        Assert.Equal(a.Cpu.Icount, b.Cpu.Icount);
        Assert.Equal(a.Cpu.Pc, b.Cpu.Pc);
        for (int r = 0; r < 31; r++) Assert.True(a.Cpu.GetX(r) == b.Cpu.GetX(r), $"x{r}: {a.Cpu.GetX(r):x} against {b.Cpu.GetX(r):x}");
        Assert.Equal(a.Cpu.Nzcv, b.Cpu.Nzcv);
    }

    [Fact]
    public void A_loop_polling_a_steady_register_is_skipped_and_leaves_the_state_of_running_it()
    {
        var (skipping, skipDevice) = Rig(skip: true, steady: true, [], PollLoop);
        var (running, runDevice) = Rig(skip: false, steady: true, [], PollLoop);
        foreach (ulong limit in new ulong[] { 1_000_003, 1_000_004, 3_333_335 })
        {
            Assert.Equal(CpuStop.Limit, skipping.Cpu.Run(limit));
            Assert.Equal(CpuStop.Limit, running.Cpu.Run(limit));
            AssertSame(skipping, running);
        }
        Assert.True(skipping.Cpu.SpinSkipped > 3_000_000, $"skipped {skipping.Cpu.SpinSkipped}");
        Assert.Equal(0UL, running.Cpu.SpinSkipped);
        Assert.True(skipDevice.Reads < 100, $"{skipDevice.Reads} reads");
        // A byte arrives (an input, between slices): both leave the loop at the same count.
        skipDevice.Received = runDevice.Received = true;
        Assert.Equal(CpuStop.Limit, skipping.Cpu.Run(3_333_335 + 2_000));
        Assert.Equal(CpuStop.Limit, running.Cpu.Run(3_333_335 + 2_000));
        AssertSame(skipping, running);
        Assert.Equal(42UL, skipping.Cpu.GetX(0));
    }

    public static TheoryData<string, uint[], uint[], bool> NotSpins => new()
    {
        // The registers never come back: it counts while it waits (add x3, x3, #1).
        { "counting", [], [LdrW2Flags, 0x91000463, 0x3727ffc2], true },
        // It stores, on a page of its own (adr x4, .; add x4, x4, #0x1000; then str w2, [x4]).
        { "storing", [0x10000004, 0x91400484], [LdrW2Flags, 0xb9000082, 0x3727ffc2], true },
        // It reads the virtual counter: a value that moves with the count alone (mrs; lsr #40; cbz).
        { "counter", [], [0xd53be042, 0xd368fc42, 0xb4ffffc2], true },
        // Its device register is not steady (reading it has an effect).
        { "unsteady", [], PollLoop, false },
    };

    [Theory]
    [MemberData(nameof(NotSpins))]
    public void A_loop_that_changes_or_reads_what_moves_is_run_in_full(string name, uint[] setup, uint[] loop, bool steady)
    {
        var (skipping, skipDevice) = Rig(skip: true, steady, setup, loop);
        var (running, runDevice) = Rig(skip: false, steady, setup, loop);
        // Slices of many lengths: the CPU looks for a spin as each begins, from wherever it stopped.
        for (ulong limit = 20_011; limit < 400_000; limit += 20_011)
        {
            Assert.Equal(CpuStop.Limit, skipping.Cpu.Run(limit));
            Assert.Equal(CpuStop.Limit, running.Cpu.Run(limit));
            AssertSame(skipping, running);
        }
        Assert.True(skipping.Cpu.SpinSkipped == 0, $"{name}: skipped {skipping.Cpu.SpinSkipped}");
        Assert.Equal(runDevice.Reads, skipDevice.Reads);
    }

    [Fact]
    public void A_breakpoint_inside_a_spin_stops_the_run_at_it()
    {
        var (rig, _) = Rig(skip: true, steady: true, [], PollLoop);
        ulong tbnz = CpuRig.Ram + 8;
        Assert.True(rig.Cpu.AddBreakpoint(tbnz));
        Assert.Equal(CpuStop.Breakpoint, rig.Cpu.Run(1_000_000));
        Assert.Equal(tbnz, rig.Cpu.Pc);
        Assert.Equal(2UL, rig.Cpu.Icount);
        Assert.Equal(0UL, rig.Cpu.SpinSkipped);
    }
}
