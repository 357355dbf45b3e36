using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;
using static Rewind.TestSupport.Asm;

namespace Rewind.Replay.Tests.Jit;

/// <summary>
/// What time travel needs from compiled code, each compared against the interpreter: self-modifying
/// code, stops at every count inside hot blocks, replay of an interpreted recording, restores.
/// </summary>
public class BlockCompilerExactnessTests
{
    private const int S2 = 18, S3 = 19, T3 = 28, T4 = 29, T5 = 30;
    private const ulong Base = 0x8000_0000;

    /// <summary>
    /// A loop whose first instruction is patched by a store after 500 rounds (from another block), then
    /// a loop whose block patches one of its own later instructions on every round, alternating two encodings.
    /// </summary>
    internal static byte[] SelfModifyingProgram()
    {
        uint addS0Ten = Addi(S0, S0, 10), addS3Hundred = Addi(S3, S3, 100), addS3One = Addi(S3, S3, 1);
        var code = new uint[0x110 / 4];
        uint[] prologue =
        [
            Auipc(T0, 0),              // 00: t0 = base
            Lw(T1, T0, 0x100),         // 04: t1 = addi s0, s0, 10
            Lw(T3, T0, 0x104),         // 08: t3 = addi s3, s3, 100
            Lw(T5, T0, 0x108),         // 0c: t5 = the two encodings xored
            Addi(T2, Zero, 500),       // 10
            Addi(T4, T0, 0x40),        // 14: t4 = the self-patching loop
            Addi(S0, S0, 1),           // 18: L: patched to addi s0, s0, 10
            Addi(S1, S1, 1),           // 1c
            Bne(S1, T2, -8),           // 20: bne s1, t2, L
            Sw(T1, T0, 0x18),          // 24: patch L (another block)
            Addi(T2, T2, 500),         // 28
            Addi(A0, Zero, 1000),      // 2c
            B(-0x18, A0, S1, 4),       // 30: blt s1, a0, L
            Jal(Zero, 0x0c),           // 34: to 40
            Addi(Zero, Zero, 0),       // 38
            Addi(Zero, Zero, 0),       // 3c
            Addi(S2, S2, 1),           // 40: M
            Addi(A1, A1, 1),           // 44
            Addi(A2, A2, 1),           // 48
            Addi(A3, A3, 1),           // 4c
            Sw(T3, T4, 0x1c),          // 50: patch 5c, two instructions ahead in this very block
            R(0, T5, T3, 4, T3, 0x33), // 54: xor t3, t3, t5
            Addi(A4, A4, 1),           // 58
            addS3One,                  // 5c: patched, alternating +100 and +1
            Jal(Zero, -0x20),          // 60: to M
        ];
        prologue.CopyTo(code, 0);
        code[0x100 / 4] = addS0Ten;
        code[0x104 / 4] = addS3Hundred;
        code[0x108 / 4] = addS3Hundred ^ addS3One;
        return code.SelectMany(BitConverter.GetBytes).ToArray();
    }

    internal static VirtBoard RawBoard(byte[] image, bool jit, int threshold = 1, bool native = false)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rewind-jit-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, image);
        try
        {
            var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = path, IcountShift = 3, Jit = false });
            if (jit) board.CodeCache.EnableCompiler(threshold, native: native);
            return board;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Runs both boards to the same irregular counts from <paramref name="first"/> to before
    /// <paramref name="end"/> (strides of 1 to <paramref name="spread"/>), comparing them at each.
    /// </summary>
    private static void RunInLockstep(VirtBoard interpreted, VirtBoard compiled, ulong first, ulong end, ulong spread)
    {
        for (ulong at = first; at < end; at += 1 + at % spread)
        {
            interpreted.Machine.Run(at);
            compiled.Machine.Run(at);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
        }
    }

    /// <summary>
    /// A hot loop of AMOs (add, swap, xor, or, and; words and doublewords) and, every other round, an
    /// amoadd.w at a misaligned address, which the trap handler at 0x80 counts in s2 and steps over.
    /// </summary>
    internal static byte[] AmoProgram(int rounds)
    {
        const int T6 = 31;
        // The data on the next page: a store to a page holding compiled code always leaves native code.
        var code = new uint[0x1020 / 4];
        uint[] main =
        [
            Auipc(T0, 0),                         // 00: t0 = base
            Lui(T1, 1),                           // 04
            Add(T1, T1, T0),                      // 08: t1 = the data, base + 0x1000 (t2, the round, starts at 0)
            Addi(T3, Zero, rounds),               // 0c
            Addi(A0, T0, 0x80),                   // 10
            Csrrw(Zero, 0x305, A0),               // 14: mtvec = the handler
            Addi(T4, T1, 8),                      // 18
            Addi(T5, T1, 16),                     // 1c
            Addi(T6, T1, 24),                     // 20
            Amo(0x00, A1, T2, T1, word: true),    // 24: L: amoadd.w a1, t2, (t1)
            Amo(0x01, A2, T2, T4, word: false),   // 28: amoswap.d a2, t2, (t4)
            Amo(0x04, A3, T2, T5, word: true),    // 2c: amoxor.w a3, t2, (t5)
            Amo(0x08, A4, T2, T6, word: false),   // 30: amoor.d a4, t2, (t6)
            Amo(0x0c, A5, A1, T6, word: false),   // 34: amoand.d a5, a1, (t6)
            I(1, T2, 7, S1, 0x13),                // 38: andi s1, t2, 1
            Add(S1, S1, S1),                      // 3c: s1 = 2 on odd rounds
            Add(S1, S1, T1),                      // 40
            Amo(0x00, 16, T2, S1, word: true),    // 44: amoadd.w a6, t2, (s1): misaligned on odd rounds
            Addi(T2, T2, 1),                      // 48
            Bne(T2, T3, -0x28),                   // 4c: to L
            JumpSelf,                             // 50
        ];
        main.CopyTo(code, 0);
        uint[] handler =
        [
            Csrr(17, 0x341),                      // 80: a7 = mepc
            Addi(17, 17, 4),                      // 84
            Csrrw(Zero, 0x341, 17),               // 88: step over the AMO
            Addi(S2, S2, 1),                      // 8c
            Mret,                                 // 90
        ];
        handler.CopyTo(code, 0x80 / 4);
        code[0x1000 / 4] = 0x7fff_fff0; // the add wraps past int.MaxValue: its word is sign-extended
        return code.SelectMany(BitConverter.GetBytes).ToArray();
    }

    [Fact]
    public void Amos_in_native_code_match_the_interpreter_and_misaligned_ones_trap_at_their_instruction()
    {
        const int rounds = 1000;
        var image = AmoProgram(rounds);
        var interpreted = RawBoard(image, jit: false);
        var compiled = RawBoard(image, jit: true, threshold: 1, native: true);
        RunInLockstep(interpreted, compiled, first: 7, end: 40_000, spread: 13);
        Assert.Equal((ulong)rounds, compiled.Hart.GetX(T2));
        Assert.Equal((ulong)rounds / 2, compiled.Hart.GetX(S2));

        // Run through at once, the aligned AMOs run in native code: the interpreter takes the misaligned
        // ones (and the stops above, every few instructions, left little room for bodies to run).
        interpreted = RawBoard(image, jit: false);
        compiled = RawBoard(image, jit: true, threshold: 1, native: true);
        interpreted.Machine.Run(40_000);
        compiled.Machine.Run(40_000);
        BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, "at 40,000");
        var hart = compiled.Hart;
        Assert.Equal((ulong)rounds / 2, hart.GetX(S2));
        Assert.True(compiled.CodeCache.Blocks!.NativeCompiled > 0, "no native body");
        ulong interpretedAdds = hart.Counters.RareOps[(int)Rewind.Riscv.Decode.Op.AmoAddW];
        Assert.True(interpretedAdds < rounds, $"{interpretedAdds} amoadd.w interpreted in {rounds} rounds, two a round");
    }

    /// <summary>
    /// A hot loop storing and loading a byte, a halfword and a word that end at the last byte of a page.
    /// </summary>
    internal static byte[] PageEndProgram(int rounds)
    {
        var code = new uint[0x1000 / 4 + 4];
        uint[] main =
        [
            Auipc(T0, 0),                         // 00
            Lui(T1, 1),                           // 04
            Add(T1, T1, T0),                      // 08: t1 = the data page, base + 0x1000
            Addi(T4, T1, 0x7ff),                  // 0c
            Addi(T4, T4, 0x7f9),                  // 10: t4 = its last 8 bytes
            Addi(T3, Zero, rounds),               // 14
            S(7, T2, T4, 0, 0x23),                // 18: L: sb t2, 7(t4): the page's last byte
            I(7, T4, 4, A1, 0x03),                // 1c: lbu a1, 7(t4)
            Sh(T2, T4, 6),                        // 20: its last halfword
            I(6, T4, 5, A2, 0x03),                // 24: lhu a2, 6(t4)
            Sw(T2, T4, 4),                        // 28: its last word
            Lw(A3, T4, 4),                        // 2c
            Add(A4, A4, A1),                      // 30
            Add(A4, A4, A3),                      // 34
            Addi(T2, T2, 1),                      // 38
            Bne(T2, T3, -0x24),                   // 3c: to L
            JumpSelf,                             // 40
        ];
        main.CopyTo(code, 0);
        return code.SelectMany(BitConverter.GetBytes).ToArray();
    }

    [Fact]
    public void Accesses_ending_at_a_page_end_stay_in_native_code()
    {
        const int rounds = 1000;
        var image = PageEndProgram(rounds);
        var interpreted = RawBoard(image, jit: false);
        var compiled = RawBoard(image, jit: true, threshold: 1, native: true);
        RunInLockstep(interpreted, compiled, first: 5, end: 20_000, spread: 11);
        Assert.Equal((ulong)rounds, compiled.Hart.GetX(T2));

        compiled = RawBoard(image, jit: true, threshold: 1, native: true);
        compiled.Machine.Run(20_000);
        Assert.Equal((ulong)rounds, compiled.Hart.GetX(T2));
        // Only the first store, to a page not yet dirty, is the interpreter's; before, every round's
        // byte and halfword left native code, as accesses "within 8 bytes of the page's end".
        ulong misses = compiled.Hart.Counters.BlockExits[(int)Rewind.Riscv.JitExitReason.NativeMiss];
        Assert.True(misses < 20, $"{misses} runs of native code ended before an access in {rounds} rounds");
    }

    /// <summary>A loop that reads the UART's line status register, then counts: rounds of a device read and two instructions.</summary>
    internal static byte[] PollingProgram(int rounds)
    {
        uint[] code =
        [
            Lui(T0, 0x10000),                     // 00: t0 = the UART
            Lui(T3, (uint)(rounds >> 12)),        // 04
            Addi(T3, T3, rounds & 0x7ff),         // 08: t3 = rounds (a multiple of 4,096 plus under 2,048)
            I(5, T0, 4, A5, 0x03),                // 0c: L: lbu a5, 5(t0): the line status
            Addi(T2, T2, 1),                      // 10
            Bne(T2, T3, -8),                      // 14: to L
            JumpSelf,                             // 18
        ];
        return code.SelectMany(BitConverter.GetBytes).ToArray();
    }

    [Fact]
    public void A_native_body_that_stops_at_a_device_read_every_time_moves_on_to_its_IL_region()
    {
        const int rounds = 16_384 + 1_000;
        var image = PollingProgram(rounds);
        var interpreted = RawBoard(image, jit: false);
        var compiled = RawBoard(image, jit: true, threshold: 1, native: true);
        RunInLockstep(interpreted, compiled, first: 3, end: 3 * rounds + 100, spread: 997);
        interpreted.Machine.Run(3 * rounds + 100);
        compiled.Machine.Run(3 * rounds + 100);
        BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, "at the end");
        var hart = compiled.Hart;
        Assert.Equal((ulong)rounds, hart.GetX(T2));
        // The native body at L stops before its device read every time it is tried; after a few thousand
        // such stops its IL region (in the foreground here) runs the loop, reading the device in-line.
        Assert.True(compiled.CodeCache.Blocks!.Compiled > 0, "no IL region compiled");
        Assert.True(hart.Counters.CompiledSteps > (ulong)rounds, $"{hart.Counters.CompiledSteps} steps compiled in {3 * rounds}");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(8, false)]
    [InlineData(1, true)]
    [InlineData(8, true)]
    public void Self_modifying_code_runs_the_new_instructions_in_compiled_blocks(int threshold, bool native)
    {
        var image = SelfModifyingProgram();
        var interpreted = RawBoard(image, jit: false);
        var compiled = RawBoard(image, jit: true, threshold, native);
        for (ulong at = 997; at < 60_000; at += 997)
        {
            interpreted.Machine.Run(at);
            compiled.Machine.Run(at);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
        }
        var hart = compiled.Hart;
        Assert.Equal(1000UL, hart.GetX(S1));
        Assert.Equal(500UL * 1 + 500 * 10, hart.GetX(S0));
        // s3 took +100 and +1 in turn: the patch two instructions ahead took effect every round.
        ulong rounds = hart.GetX(S2);
        Assert.True(rounds > 1000, $"only {rounds} rounds");
        Assert.InRange(hart.GetX(S3), 101 * (rounds / 2), 101 * (rounds / 2) + 100);
        var blocks = compiled.CodeCache.Blocks!;
        Assert.True(blocks.Invalidated > 500, $"{blocks.Invalidated} blocks invalidated");
        // The versions of the patched block were compiled once each, then placed again by content.
        Assert.True(blocks.Compiled + blocks.NativeCompiled < 40, $"{blocks.Compiled} + {blocks.NativeCompiled} bodies compiled");
        if (native) Assert.True(blocks.NativeCompiled > 0, "no native body");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_run_stops_at_every_exact_count_inside_hot_blocks(bool native)
    {
        var interpreted = BlockCompilerDifferentialTests.Board("bench", jit: false);
        var compiled = BlockCompilerDifferentialTests.Board("bench", jit: true, native: native);
        interpreted.Machine.Run(2_000_000);
        compiled.Machine.Run(2_000_000);
        var blocks = compiled.CodeCache.Blocks!;
        // bench's inner loop is one region of several blocks: the stops below fall inside it.
        Assert.True(blocks.Placed >= 1, $"{blocks.Placed} regions placed");
        ulong compiledBefore = compiled.Hart.Counters.CompiledSteps;
        // Every count for 400 steps, then strides of 1 to 97, long enough for whole blocks to run compiled.
        ulong at = 2_000_000;
        for (ulong i = 0; i < 800; i++)
        {
            at += i < 400 ? 1 : 1 + i * 37 % 97;
            Assert.Equal(StopKind.Reached, interpreted.Machine.Run(at).Kind);
            Assert.Equal(StopKind.Reached, compiled.Machine.Run(at).Kind);
            Assert.Equal(at, compiled.Hart.Icount);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"at {at}");
        }
        // Compiled code ran between those stops, not only the interpreter.
        Assert.True(compiled.Hart.Counters.CompiledSteps > compiledBefore, "no compiled steps between the stops");
    }

    /// <summary>
    /// A breakpoint on an instruction inside a compiled region, not at its entry, stops there at the
    /// interpreter's count; once removed, the region is placed again from the body kept by content and
    /// the next breakpoint there stops again.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_breakpoint_inside_a_compiled_region_stops_there_and_leaves_no_trace(bool native)
    {
        var interpreted = BlockCompilerDifferentialTests.Board("bench", jit: false);
        var compiled = BlockCompilerDifferentialTests.Board("bench", jit: true, native: native);
        interpreted.Machine.Run(2_000_000);
        compiled.Machine.Run(2_000_000);
        Assert.True(compiled.CodeCache.Blocks!.Placed >= 1);
        // Some instruction of the hot loop, several steps in: inside the region, rarely its entry.
        interpreted.Machine.Run(2_000_013);
        ulong target = interpreted.Hart.Pc;
        for (int round = 0; round < 3; round++)
        {
            interpreted.Hart.AddBreakpoint(target);
            compiled.Hart.AddBreakpoint(target);
            var a = interpreted.Machine.Run(ulong.MaxValue);
            var b = compiled.Machine.Run(ulong.MaxValue);
            Assert.Equal(StopKind.Breakpoint, a.Kind);
            Assert.Equal(StopKind.Breakpoint, b.Kind);
            Assert.Equal(target, compiled.Hart.Pc);
            Assert.Equal(interpreted.Hart.Icount, compiled.Hart.Icount);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"round {round}");
            interpreted.Hart.RemoveBreakpoint(target);
            compiled.Hart.RemoveBreakpoint(target);
            ulong on = interpreted.Hart.Icount + 300_000;
            interpreted.Machine.Run(on);
            compiled.Machine.Run(on);
            BlockCompilerDifferentialTests.AssertSameState(interpreted, compiled, $"after round {round}");
        }
        Assert.True(compiled.Hart.Counters.CompiledSteps > 500_000, $"{compiled.Hart.Counters.CompiledSteps} compiled steps");
    }

    [Fact]
    public void A_recording_made_by_the_interpreter_replays_with_the_compiler_digest_for_digest()
    {
        string kernel = RepoPaths.Guest("bench");
        var (recording, recorded) = RecordReplayApiTests.Record(kernel, [], [], jit: false);
        var replayed = RecordReplayApiTests.Replay(kernel, recording, jit: true);
        Assert.Equal(recorded.Output, replayed.Output);
        Assert.Equal(recorded.Icount, replayed.Icount);
        Assert.Equal(Convert.ToHexString(recorded.Digest), Convert.ToHexString(replayed.Digest));
        Assert.True(replayed.DigestsChecked >= 10, $"{replayed.DigestsChecked} digests checked");
    }

    [Fact]
    public void An_input_recording_made_by_the_interpreter_replays_with_the_compiler()
    {
        string kernel = RepoPaths.Guest("input_timing");
        var (recording, recorded) = RecordReplayApiTests.Record(kernel, [500_000, 40_000_000, 40_000_100], "xyz"u8.ToArray(), jit: false);
        var replayed = RecordReplayApiTests.Replay(kernel, recording, jit: true);
        Assert.Equal(recorded.Output, replayed.Output);
        Assert.Equal(recorded.Icount, replayed.Icount);
        Assert.Equal(Convert.ToHexString(recorded.Digest), Convert.ToHexString(replayed.Digest));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_snapshot_restore_keeps_compiled_code_and_reruns_it_identically(bool native)
    {
        var compiled = BlockCompilerDifferentialTests.Board("bench", jit: true, native: native);
        var m = compiled.Machine;
        m.Run(3_000_000);
        var store = new SnapshotStore(m);
        var snapshot = store.Take();
        m.Run(9_000_000);
        var first = MachineDigest.Compute(m);
        var blocks = compiled.CodeCache.Blocks!;
        for (int i = 0; i < 3; i++)
        {
            store.Restore(snapshot);
            Assert.Equal(3_000_000UL, m.Icount);
            m.Run(9_000_000);
            Assert.Equal(first, MachineDigest.Compute(m));
        }
        // Going back compiled nothing twice: the code's pages were not rewritten, or came back with the
        // same bytes, and bodies are kept by content. (New bodies may come: blocks that keep running grow
        // into regions.)
        Assert.Equal(blocks.Kept, blocks.Compiled + blocks.NativeCompiled);
    }
}
