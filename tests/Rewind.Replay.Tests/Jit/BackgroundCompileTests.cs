using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Core.Input;

namespace Rewind.Replay.Tests.Jit;

/// <summary>
/// Compiling on another thread (what boards do by default): bodies come back and are placed between
/// slices, and the run is the interpreter's, step for step, whenever they arrive.
/// </summary>
public class BackgroundCompileTests
{
    private static VirtBoard Board(string guest, int? backgroundThreshold)
    {
        var board = VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = RepoPaths.Guest(guest),
            IcountShift = 3,
            Jit = false,
            Input = new LiveInput(() => 1_700_000_000_000_000_000),
        });
        if (backgroundThreshold is int t) board.CodeCache.EnableCompiler(t, background: true);
        return board;
    }

    [Fact]
    public void Blocks_compiled_in_the_background_are_placed_and_change_nothing_but_speed()
    {
        var interpreted = Board("bench", null);
        var compiled = Board("bench", backgroundThreshold: 16);
        var blocks = compiled.CodeCache.Blocks!;
        Assert.True(blocks.Background);
        ulong at = 0;
        for (int i = 0; i < 40; i++)
        {
            at += 1_000_003;
            Assert.Equal(StopKind.Reached, interpreted.Machine.Run(at).Kind);
            Assert.Equal(StopKind.Reached, compiled.Machine.Run(at).Kind);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
            // Let the compiling thread finish what was asked so far: the next slice places it.
            if (i == 2) Assert.True(blocks.WaitForCompiler(TimeSpan.FromMinutes(2)), "the compiling thread never finished");
        }
        Assert.True(blocks.Compiled > 0, "nothing was compiled");
        Assert.True(blocks.Placed > 0, "nothing was placed");
        Assert.True(compiled.Hart.Counters.CompiledSteps > 1_000_000, $"only {compiled.Hart.Counters.CompiledSteps} steps ran compiled");
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), "RAM differs at the end");
    }

    [Fact]
    public void Bodies_that_come_back_for_code_patched_meanwhile_are_not_run_there()
    {
        // The self-modifying program patches the block it runs every round: a body compiled for the old
        // bytes must not be placed over the new ones. The result stays the interpreter's.
        var image = BlockCompilerExactnessTests.SelfModifyingProgram();
        var interpreted = BlockCompilerExactnessTests.RawBoard(image, jit: false);
        var compiled = BlockCompilerExactnessTests.RawBoard(image, jit: false);
        compiled.CodeCache.EnableCompiler(1, background: true);
        var blocks = compiled.CodeCache.Blocks!;
        for (ulong at = 499; at < 60_000; at += 499)
        {
            interpreted.Machine.Run(at);
            compiled.Machine.Run(at);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
            // Every few stops, let the compiler catch up so that bodies arrive after their bytes changed.
            if (at % 3 == 0) Assert.True(blocks.WaitForCompiler(TimeSpan.FromMinutes(2)), "the compiling thread never finished");
        }
        Assert.True(blocks.Compiled > 0, "nothing was compiled");
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), "RAM differs at the end");
    }
}
