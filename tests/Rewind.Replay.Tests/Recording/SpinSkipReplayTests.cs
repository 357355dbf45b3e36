using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Riscv;

namespace Rewind.Replay.Tests.Recording;

/// <summary>
/// A replay skips whole iterations of a guest polling its UART (rt_getc) between recorded inputs, and
/// is the same machine at every count as a replay that runs them: compared at irregular stops, and at the
/// end against the recording's digests.
/// </summary>
public class SpinSkipReplayTests
{
    private static (VirtBoard Board, ReplayInput Input) Replaying(string kernel, byte[] recording, bool skip)
    {
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording)));
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Input = replay, Jit = true });
        replay.Machine = board.Machine;
        board.Machine.SkipSpins = skip;
        return (board, replay);
    }

    [Fact]
    public void A_replay_skipping_a_polling_loop_is_the_same_machine_at_every_count_as_one_running_it()
    {
        string kernel = RepoPaths.Guest("uart_echo");
        ulong[] at = [3_000_000, 60_000_000, 60_000_007, 150_000_000];
        var (recording, recorded) = RecordReplayApiTests.Record(kernel, at, "ab\nq"u8.ToArray());
        var (skipping, skipInput) = Replaying(kernel, recording, skip: true);
        var (running, runInput) = Replaying(kernel, recording, skip: false);
        ulong limit = 0;
        for (int i = 0; ; i++)
        {
            // Stops inside iterations, just before and after inputs, and far between them.
            limit += i % 3 == 0 ? 4_999_999UL + (ulong)i : (ulong)(i * 13 + 1);
            var a = skipping.Machine.Run(limit);
            var b = running.Machine.Run(limit);
            Assert.Equal(b.Kind, a.Kind);
            Assert.Equal(running.Machine.Icount, skipping.Machine.Icount);
            Assert.True(MachineDigest.Compute(running.Machine).AsSpan().SequenceEqual(MachineDigest.Compute(skipping.Machine)),
                $"the machines differ at {running.Machine.Icount}");
            if (a.Kind != StopKind.Reached) break;
        }
        Assert.Equal(recorded.Icount, skipping.Machine.Icount);
        Assert.Equal(recorded.Digest, MachineDigest.Compute(skipping.Machine));
        Assert.Equal(runInput.DigestsChecked, skipInput.DigestsChecked);
        var hart = (Hart)skipping.Machine.Cpus[0];
        Assert.True(hart.Counters.SpinSkipped > recorded.Icount / 2, $"skipped {hart.Counters.SpinSkipped:N0} of {recorded.Icount:N0}");
        Assert.Equal(0UL, ((Hart)running.Machine.Cpus[0]).Counters.SpinSkipped);
    }

    [Fact]
    public void A_live_run_never_skips_its_inputs_come_when_the_host_sends_them()
    {
        var board = VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = RepoPaths.Guest("uart_echo"),
            IcountShift = 3,
            Input = new Core.Input.LiveInput(() => 1_700_000_000_000_000_000),
            Jit = true,
        });
        Assert.Equal(StopKind.Reached, board.Machine.Run(20_000_000).Kind);
        var hart = (Hart)board.Machine.Cpus[0];
        Assert.False(hart.SkipSpins);
        Assert.Equal(0UL, hart.Counters.SpinSkipped);
    }
}
