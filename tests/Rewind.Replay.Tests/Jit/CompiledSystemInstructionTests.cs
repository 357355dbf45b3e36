using Rewind.Core.Execution;
using Rewind.Riscv;
using Rewind.Riscv.Decode;

namespace Rewind.Replay.Tests.Jit;

/// <summary>
/// CSR accesses, LR/SC, AMOs and floating point inside compiled blocks (guests/jit_system.S): they run
/// from compiled code, traps and interrupts among them leave the precise pc and count, and the machine
/// stays the interpreter's at every stop, one hart or two taking turns.
/// </summary>
public class CompiledSystemInstructionTests
{
    private static readonly Op[] Classes = [Op.AmoAddW, Op.AmoSwapD, Op.LrD, Op.ScD, Op.LrW, Op.ScW, Op.Csrrs, Op.Csrrw, Op.Csrrsi, Op.FaddD, Op.FcvtDL, Op.Fld, Op.Fsd];

    /// <summary>The guest with everything reached compiled at once.</summary>
    private static Rewind.Board.VirtBoard Compiling(string guest, int smp = 1)
    {
        var board = BlockCompilerDifferentialTests.Board(guest, jit: false, smp);
        board.CodeCache.EnableCompiler(1);
        return board;
    }

    [Fact]
    public void Csr_atomic_and_fp_instructions_run_inside_compiled_blocks()
    {
        var board = Compiling("jit_system");
        var stop = board.Machine.Run(30_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        Assert.Equal(0, stop.ExitCode);
        var c = board.Harts[0].Counters;
        foreach (var op in Classes)
            Assert.True(c.CompiledRareOps[(int)op] > 1000, $"{op} ran {c.CompiledRareOps[(int)op]} times from compiled code");
        // Misaligned AMOs and missing CSRs trap inside blocks; enabling the timer while it is pending stops one after the csrsi.
        Assert.True(c.BlockExits[(int)JitExitReason.Trapped] > 1000, $"trapped exits: {c.BlockExits[(int)JitExitReason.Trapped]}");
        Assert.True(c.BlockExits[(int)JitExitReason.StopAfter] > 0, $"stop-after exits: {c.BlockExits[(int)JitExitReason.StopAfter]}");
        Assert.True(board.Harts[0].GetX(22) > 10, "the timer interrupted the loop only a few times"); // x22 (s6) counts them
        Assert.Equal(0UL, c.BlockStops[(int)Op.AmoAddW] + c.BlockStops[(int)Op.Csrrs] + c.BlockStops[(int)Op.LrD] + c.BlockStops[(int)Op.FaddD]);
    }

    /// <summary>Stops at every count for a stretch of the loop: each lands where the interpreter's would, state and all.</summary>
    [Fact]
    public void Every_count_inside_the_compiled_loop_is_a_stop_like_the_interpreters()
    {
        var interpreted = BlockCompilerDifferentialTests.Board("jit_system", jit: false);
        var compiled = Compiling("jit_system");
        // Past the first rounds, so that the loop is compiled; then one instruction at a time for a few rounds.
        ulong at = 200_000;
        interpreted.Machine.Run(at);
        compiled.Machine.Run(at);
        BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
        for (int i = 0; i < 400; i++)
        {
            at += 1;
            var a = interpreted.Machine.Run(at);
            var b = compiled.Machine.Run(at);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(interpreted.Machine.Icount, compiled.Machine.Icount);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
        }
        Assert.True(compiled.Harts[0].Counters.CompiledRareOps[(int)Op.AmoAddW] > 0);
    }

    /// <summary>Two harts taking turns run the same loop's atomics from compiled code, as the interpreter does.</summary>
    [Fact]
    public void Two_harts_taking_turns_stay_like_the_interpreter()
    {
        var interpreted = BlockCompilerDifferentialTests.Board("smp", jit: false, smp: 2);
        var compiled = Compiling("smp", smp: 2);
        ulong at = 0;
        for (int i = 0; i < 60; i++)
        {
            // Past the harts' arrival wait (1.25 M steps at this shift) into the rounds of atomics and locks.
            at += (ulong)(i % 7 == 0 ? 1 : 25_013 * (i % 5 + 1));
            var a = interpreted.Machine.Run(at);
            var b = compiled.Machine.Run(at);
            Assert.Equal(a.Kind, b.Kind);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
            if (a.Kind != StopKind.Reached) break;
        }
        ulong atomics = 0;
        foreach (var hart in compiled.Harts)
            for (var op = Op.LrW; op <= Op.AmoMaxuD; op++) atomics += hart.Counters.CompiledRareOps[(int)op];
        Assert.True(atomics > 0, "no atomic ran from compiled code");
    }
}
