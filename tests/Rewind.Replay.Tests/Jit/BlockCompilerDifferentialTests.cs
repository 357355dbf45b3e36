using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Recording;
using Rewind.Riscv.Jit;

namespace Rewind.Replay.Tests.Jit;

/// <summary>
/// The block compiler changes nothing but speed: every committed guest runs in two machines, one
/// interpreted and one compiling, stopped together at irregular counts (inside blocks, at their ends,
/// at slice and turn boundaries), where the state digests, the pcs and the counts must agree; at the
/// end, RAM must too.
/// </summary>
public class BlockCompilerDifferentialTests
{
    /// <summary>The benchmarks run to their end; guests that wait or spin forever are compared for a while.</summary>
    private static ulong Fuel(string guest) => guest.StartsWith("bench", StringComparison.Ordinal) ? 250_000_000UL : 30_000_000UL;

    /// <summary>
    /// A board for <paramref name="guest"/>; with <paramref name="jit"/>, compiling in the foreground at the
    /// default threshold, so blocks are in place at the same counts in every run (a board left to itself
    /// compiles in the background, when a thread gets to it); with <paramref name="native"/>, native code first.
    /// </summary>
    internal static VirtBoard Board(string guest, bool jit, int smp = 1, bool native = false)
    {
        var board = VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = RepoPaths.Guest(guest),
            IcountShift = 3,
            Jit = false,
            Smp = smp,
            // The RTC reads the host clock: both machines must see the same one.
            Input = new LiveInput(() => 1_700_000_000_000_000_000),
        });
        if (jit)
            board.CodeCache.EnableCompiler(native ? JitSettings.DefaultNativeThreshold : JitSettings.DefaultThreshold, background: false, native);
        return board;
    }

    /// <summary>
    /// Chunk sizes cycled through, scaled up as the run goes on: small ones stop inside blocks and on
    /// their last instructions, large ones let blocks run long; short guests get many stops too.
    /// </summary>
    private static readonly ulong[] Chunks = [1, 3, 100, 17, 1_000, 2, 5_003, 5, 31, 250, 7];

    internal static ulong Chunk(int i) => Chunks[i % Chunks.Length] * Math.Min(4096UL, 1UL << (i / Chunks.Length));

    /// <summary>
    /// Every guest with a threshold of 1 (everything reached twice is compiled, even in short guests),
    /// the long-running ones also with the default threshold; each with IL bodies alone and with native
    /// code first (whose hottest regions then move on to IL, so the tiers mix).
    /// </summary>
    public static TheoryData<string, int, int, bool> Guests()
    {
        var data = new TheoryData<string, int, int, bool>();
        foreach (bool native in new[] { false, true })
        {
            foreach (var path in Directory.GetFiles(Path.Combine(RepoPaths.Root, "guests", "bin"), "*.elf").Order())
            {
                string name = Path.GetFileNameWithoutExtension(path);
                data.Add(name, name == "smp" ? 2 : 1, 1, native);
            }
            foreach (var name in new[] { "bench", "bench_sv39", "count_loop", "smp", "uart_echo", "input_timing" })
                data.Add(name, name == "smp" ? 3 : 1, native ? JitSettings.DefaultNativeThreshold : JitSettings.DefaultThreshold, native);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Guests))]
    public void A_guest_runs_the_same_with_the_compiler_as_without(string guest, int smp, int threshold, bool native)
    {
        var interpreted = Board(guest, jit: false, smp);
        var compiled = Board(guest, jit: false, smp);
        compiled.CodeCache.EnableCompiler(threshold, native: native);
        Assert.Equal(native, compiled.CodeCache.Blocks!.Native);
        Assert.Null(interpreted.CodeCache.Blocks);
        ulong at = 0;
        int points = 0;
        for (int i = 0; ; i++)
        {
            at += Chunk(i);
            var a = interpreted.Machine.Run(at);
            var b = compiled.Machine.Run(at);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(interpreted.Machine.Icount, compiled.Machine.Icount);
            AssertSameState(interpreted, compiled, $"{guest} at {interpreted.Machine.Icount}");
            points++;
            if (a.Kind != StopKind.Reached || at >= Fuel(guest)) break;
        }
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), $"{guest}: RAM differs at the end");
        Assert.True(points > 3, $"{guest}: only {points} comparisons");
        var blocks = compiled.CodeCache.Blocks!;
        Assert.True((native ? blocks.NativeCompiled : blocks.Compiled) > 0, $"{guest}: nothing was compiled");
    }

    internal static void AssertSameState(VirtBoard interpreted, VirtBoard compiled, string where)
    {
        for (int h = 0; h < interpreted.Harts.Length; h++)
        {
            Assert.True(interpreted.Harts[h].Pc == compiled.Harts[h].Pc,
                $"{where}: hart {h} pc {interpreted.Harts[h].Pc:x} interpreted, {compiled.Harts[h].Pc:x} compiled");
            for (int r = 1; r < 32; r++)
                Assert.True(interpreted.Harts[h].GetX(r) == compiled.Harts[h].GetX(r),
                    $"{where}: hart {h} x{r} {interpreted.Harts[h].GetX(r):x} interpreted, {compiled.Harts[h].GetX(r):x} compiled");
        }
        Assert.Equal(MachineDigest.Compute(interpreted.Machine), MachineDigest.Compute(compiled.Machine));
    }
}
