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

    private static ArmVirtBoard Linux(ISerialBackend serial, int cpus, int threshold)
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
        if (threshold > 0) board.CodeCache.EnableCompiler(threshold);
        return board;
    }

    private static ArmVirtBoard Uboot(ISerialBackend serial, int threshold)
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
        if (threshold > 0) board.CodeCache.EnableCompiler(threshold);
        return board;
    }

    /// <summary>U-Boot copies itself to the top of RAM, rewrites its relocations there and runs from there: code written, then compiled.</summary>
    [Fact]
    public void Uboot_reaches_its_prompt_the_same_with_the_compiler_as_without()
    {
        var consoleA = new Collect();
        var consoleB = new Collect();
        var interpreted = Uboot(consoleA, threshold: 0);
        var compiled = Uboot(consoleB, threshold: 16);
        Lockstep(interpreted, compiled, () => consoleA.Text.Contains("=> ", StringComparison.Ordinal), 2_000_000_000);
        Assert.Contains("=> ", consoleA.Text, StringComparison.Ordinal);
        Assert.Equal(consoleA.Text, consoleB.Text);
        Assert.True(compiled.Cpu.RegionsCompiled > 50, $"only {compiled.Cpu.RegionsCompiled} regions compiled");
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
    [InlineData(1)]
    [InlineData(2)]
    public void Arm64_linux_boots_to_its_prompt_the_same_with_the_compiler_as_without(int cpus)
    {
        var consoleA = new Collect();
        var consoleB = new Collect();
        var interpreted = Linux(consoleA, cpus, threshold: 0);
        var compiled = Linux(consoleB, cpus, Threshold);
        int points = Lockstep(interpreted, compiled, () => consoleA.Text.Contains(LinuxPrompt, StringComparison.Ordinal), 6_000_000_000);
        Assert.Contains(LinuxPrompt, consoleA.Text, StringComparison.Ordinal);
        Assert.Equal(consoleA.Text, consoleB.Text);
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), "RAM differs at the end");
        Assert.True(points > 10, $"only {points} comparisons");
        long regions = compiled.Cpus.Sum(c => c.RegionsCompiled);
        ulong steps = compiled.Cpus.Aggregate(0UL, (s, c) => s + c.RegionSteps);
        Assert.True(regions > 200, $"only {regions} regions compiled");
        // Most of a one-CPU boot runs compiled (about 70 %); with two, the count also holds the idle CPUs' waits.
        Assert.True(steps > 50_000_000, $"only {steps:N0} of {compiled.Machine.Icount:N0} steps in compiled regions");
    }
}
