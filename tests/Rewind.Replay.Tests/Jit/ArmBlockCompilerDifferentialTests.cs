using Rewind.Arm64.Jit;
using Rewind.Board;
using Rewind.Board.Arm;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Recording;
using Rewind.TestSupport;

namespace Rewind.Replay.Tests.Jit;

/// <summary>
/// The Arm block compiler changes nothing but speed: every committed aarch64 guest runs in two machines,
/// one interpreted and one compiling, stopped together at irregular counts (inside regions, at their ends,
/// at slice and turn boundaries), where pcs, registers, counts and state digests must agree; at the end,
/// RAM must too.
/// </summary>
public class ArmBlockCompilerDifferentialTests
{
    private static ulong Fuel(string guest) => guest == "bench" ? 200_000_000UL : 40_000_000UL;

    /// <param name="native">Native code first, at the first visit; the runtime's JIT after <paramref name="threshold"/> runs of it.</param>
    internal static ArmVirtBoard Board(string guest, int smp, int threshold, bool native = false)
    {
        var board = ArmVirtBoard.Create(new BoardOptions
        {
            Arch = GuestArch.Aarch64,
            Bios = "none",
            RamSize = 128UL << 20,
            Kernel = RepoPaths.Aarch64Guest(guest),
            IcountShift = 3,
            Smp = smp,
            Semihosting = true,
            Jit = false,
            // The RTC and semihosting clock read the host's: both machines must see the same one.
            Input = new LiveInput(() => 1_700_000_000_000_000_000),
        });
        if (threshold > 0) board.CodeCache.EnableCompiler(threshold, native: native, nativeThreshold: 1);
        return board;
    }

    /// <summary>Every aarch64 guest with a threshold of 1 (a region is compiled wherever the interpreter's loop starts over), and the default.</summary>
    public static TheoryData<string, int, int, bool> Guests()
    {
        var data = new TheoryData<string, int, int, bool>();
        foreach (var path in Directory.GetFiles(Path.Combine(RepoPaths.Root, "guests", "aarch64", "bin"), "*.elf").Order())
        {
            string name = Path.GetFileNameWithoutExtension(path);
            data.Add(name, name == "smp" ? 3 : 1, 1, false);
            data.Add(name, name == "smp" ? 3 : 1, 64, true);
        }
        data.Add("bench", 1, ArmJitSettings.DefaultThreshold, false);
        data.Add("smp", 2, ArmJitSettings.DefaultThreshold, false);
        data.Add("bench", 1, ArmJitSettings.DefaultThreshold, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Guests))]
    public void An_aarch64_guest_runs_the_same_with_the_compiler_as_without(string guest, int smp, int threshold, bool native)
    {
        var interpreted = Board(guest, smp, threshold: 0);
        var compiled = Board(guest, smp, threshold, native);
        Assert.Null(interpreted.CodeCache.Blocks);
        ulong at = 0;
        int points = 0;
        for (int i = 0; ; i++)
        {
            at += BlockCompilerDifferentialTests.Chunk(i);
            var a = interpreted.Machine.Run(at);
            var b = compiled.Machine.Run(at);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(interpreted.Machine.Icount, compiled.Machine.Icount);
            Assert.Null(ArmLockstep.Difference(interpreted, compiled) is { } d ? $"{guest} at {interpreted.Machine.Icount}: {d}" : null);
            points++;
            if (a.Kind != StopKind.Reached || at >= Fuel(guest)) break;
        }
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), $"{guest}: RAM differs at the end");
        Assert.True(points >= 3, $"{guest}: only {points} comparisons");
        Assert.True(compiled.CodeCache.Blocks!.Compiled > 0, $"{guest}: nothing was compiled");
        if (native) Assert.True(compiled.CodeCache.Blocks.NativeCompiled > 0, $"{guest}: nothing was translated to native code");
    }
}
