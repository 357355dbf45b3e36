using System.Text;
using Rewind.Board;
using Rewind.Board.Arm;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Recording;
using Rewind.TestSupport;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The Arm block compiler changes nothing but speed on a real kernel: the arm64 Linux workload boots in two
/// machines at once, one interpreted and one compiling (at a low threshold, so most of the boot runs
/// compiled), stopped together at irregular counts where pcs, registers and state digests must agree, on
/// one CPU and on two (whose regions are shared through one code cache).
/// </summary>
public class Aarch64CompilerDifferentialBootTests
{
    private const string LinuxPrompt = "rewind-linux# ";
    private const int Threshold = 64;

    private sealed class Collect : ISerialBackend
    {
        private readonly MemoryStream _bytes = new();
        public void Write(byte b) => _bytes.WriteByte(b);
        public string Text => Encoding.Latin1.GetString(_bytes.ToArray());
    }

    private static ArmVirtBoard Linux(ISerialBackend serial, int cpus, int threshold, bool native = false)
    {
        var linux = LinuxWorkload.RequireAarch64();
        var board = ArmVirtBoard.Create(new BoardOptions
        {
            Arch = GuestArch.Aarch64,
            Bios = "none",
            Kernel = linux.Image,
            Initrd = linux.Initramfs,
            Append = "console=ttyAMA0 earlycon",
            Smp = cpus,
            IcountShift = 0,
            Jit = false,
            Serial = serial,
            Input = new LiveInput(() => 1_700_000_000_000_000_000),
        });
        if (threshold > 0) board.CodeCache.EnableCompiler(threshold, native: native, nativeThreshold: 16);
        return board;
    }

    private static ArmVirtBoard Uboot(ISerialBackend serial, int threshold, bool native = false)
    {
        var board = ArmVirtBoard.Create(new BoardOptions
        {
            Arch = GuestArch.Aarch64,
            Bios = "/usr/lib/u-boot/qemu_arm64/u-boot.bin",
            IcountShift = 5,
            Jit = false,
            Serial = serial,
            Input = new LiveInput(() => 1_700_000_000_000_000_000),
        });
        if (threshold > 0) board.CodeCache.EnableCompiler(threshold, native: native, nativeThreshold: 16);
        return board;
    }

    /// <summary>U-Boot copies itself to the top of RAM, rewrites its relocations there and runs from there: code written, then compiled.</summary>
    /// <param name="native">Native code first (compiled at 16 visits), then the runtime's JIT (after 16 runs).</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Uboot_reaches_its_prompt_the_same_with_the_compiler_as_without(bool native)
    {
        var consoleA = new Collect();
        var consoleB = new Collect();
        var interpreted = Uboot(consoleA, threshold: 0);
        var compiled = Uboot(consoleB, threshold: 16, native);
        Lockstep(interpreted, compiled, () => consoleA.Text.Contains("=> ", StringComparison.Ordinal), 2_000_000_000);
        Assert.Contains("=> ", consoleA.Text, StringComparison.Ordinal);
        Assert.Equal(consoleA.Text, consoleB.Text);
        long placed = compiled.CodeCache.Blocks!.Compiled;
        Assert.True(placed > 50, $"only {placed} regions compiled");
        if (native) Assert.True(compiled.CodeCache.Blocks.NativeCompiled > 50, $"only {compiled.CodeCache.Blocks.NativeCompiled} native bodies");
    }

    private static int Lockstep(ArmVirtBoard interpreted, ArmVirtBoard compiled, Func<bool> done, ulong fuel)
    {
        ulong at = 0, step = 9_973;
        int points = 0;
        while (true)
        {
            at += step;
            step = step * 3 / 2 + (ulong)(points % 7) * 1_009;
            step = Math.Min(step, 3_000_017);
            var a = interpreted.Machine.Run(at);
            var b = compiled.Machine.Run(at);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(interpreted.Machine.Icount, compiled.Machine.Icount);
            Assert.Null(ArmLockstep.Difference(interpreted, compiled) is { } d ? $"at {interpreted.Machine.Icount}: {d}" : null);
            points++;
            if (a.Kind != StopKind.Reached || done() || at >= fuel) return points;
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void Arm64_linux_boots_to_its_prompt_the_same_with_the_compiler_as_without(int cpus, bool native)
    {
        var consoleA = new Collect();
        var consoleB = new Collect();
        var interpreted = Linux(consoleA, cpus, threshold: 0);
        var compiled = Linux(consoleB, cpus, Threshold, native);
        int points = Lockstep(interpreted, compiled, () => consoleA.Text.Contains(LinuxPrompt, StringComparison.Ordinal), 6_000_000_000);
        Assert.Contains(LinuxPrompt, consoleA.Text, StringComparison.Ordinal);
        Assert.Equal(consoleA.Text, consoleB.Text);
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), "RAM differs at the end");
        Assert.True(points > 10, $"only {points} comparisons");
        long regions = compiled.CodeCache.Blocks!.Compiled;
        if (native) Assert.True(compiled.CodeCache.Blocks.NativeCompiled > 200, $"only {compiled.CodeCache.Blocks.NativeCompiled} native bodies");
        ulong steps = compiled.Cpus.Aggregate(0UL, (s, c) => s + c.RegionSteps);
        Assert.True(regions > 200, $"only {regions} regions compiled");
        // Most of a one-CPU boot runs compiled (about 70 %); with two, the count also holds the idle CPUs' waits.
        Assert.True(steps > 50_000_000, $"only {steps:N0} of {compiled.Machine.Icount:N0} steps in compiled regions");
    }
}
