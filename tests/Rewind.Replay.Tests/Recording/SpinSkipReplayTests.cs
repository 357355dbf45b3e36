using Rewind.Arm64;
using Rewind.Board;
using Rewind.Board.Arm;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Riscv;
using Rewind.TestSupport;

namespace Rewind.Replay.Tests.Recording;

/// <summary>
/// A replay skips whole iterations of a guest polling its UART (rt_getc) between recorded inputs, and
/// is the same machine at every count as a replay that runs them: compared at irregular stops, and at the
/// end against the recording's digests.
/// </summary>
public sealed class SpinSkipReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-spin").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (VirtBoard Board, ReplayInput Input) Replaying(string kernel, byte[] recording, bool skip)
    {
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(recording)));
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 3, Input = replay, Jit = true });
        replay.Machine = board.Machine;
        board.Machine.SkipSpins = skip;
        return (board, replay);
    }

    /// <summary>
    /// Runs both machines to the same stops until they end: inside iterations, just before and after
    /// inputs, and <paramref name="far"/> apart; at each the kind of stop, the count and the digest agree.
    /// </summary>
    private static void AssertSameAtEveryStop(Machine skipping, Machine running, ulong far)
    {
        ulong limit = 0;
        for (int i = 0; ; i++)
        {
            limit += i % 3 == 0 ? far + (ulong)i : (ulong)(i * 13 + 1);
            var a = skipping.Run(limit);
            var b = running.Run(limit);
            Assert.Equal(b.Kind, a.Kind);
            Assert.Equal(running.Icount, skipping.Icount);
            Assert.True(MachineDigest.Compute(running).AsSpan().SequenceEqual(MachineDigest.Compute(skipping)),
                $"the machines differ at {running.Icount}");
            if (a.Kind != StopKind.Reached) break;
        }
    }

    [Fact]
    public void A_replay_skipping_a_polling_loop_is_the_same_machine_at_every_count_as_one_running_it()
    {
        string kernel = RepoPaths.Guest("uart_echo");
        ulong[] at = [3_000_000, 60_000_000, 60_000_007, 150_000_000];
        var (recording, recorded) = RecordReplayApiTests.Record(kernel, at, "ab\nq"u8.ToArray());
        var (skipping, skipInput) = Replaying(kernel, recording, skip: true);
        var (running, runInput) = Replaying(kernel, recording, skip: false);
        AssertSameAtEveryStop(skipping.Machine, running.Machine, far: 4_999_999);
        Assert.Equal(recorded.Icount, skipping.Machine.Icount);
        Assert.Equal(recorded.Digest, MachineDigest.Compute(skipping.Machine));
        Assert.Equal(runInput.DigestsChecked, skipInput.DigestsChecked);
        var hart = (Hart)skipping.Machine.Cpus[0];
        Assert.True(hart.SpinSkipped > recorded.Icount / 2, $"skipped {hart.SpinSkipped:N0} of {recorded.Icount:N0}");
        Assert.Equal(0UL, ((Hart)running.Machine.Cpus[0]).SpinSkipped);
    }

    /// <summary>
    /// An arm64 Image that echoes what the PL011 receives, polling its flag register, and powers off
    /// through PSCI SYSTEM_OFF after a 'q' (assembled with aarch64-linux-gnu-as).
    /// </summary>
    private static readonly uint[] ArmEcho =
    [
        0xd2a12001, // mov x1, #0x9000000
        0xb9401822, // 1: ldr w2, [x1, #0x18]
        0x3727ffe2, // tbnz w2, #4, 1b (receive FIFO empty)
        0xb9400023, // ldr w3, [x1]
        0xb9000023, // str w3, [x1]
        0x7101c47f, // cmp w3, #'q'
        0x54ffff61, // b.ne 1b
        0xd2800100, // mov x0, #8
        0xf2b08000, // movk x0, #0x8400, lsl #16 (SYSTEM_OFF)
        0xd4000002, // hvc #0
        0x14000000, // b .
    ];

    private ArmVirtBoard ArmBoard(IInputBoundary input) => ArmVirtBoard.Create(new BoardOptions
    {
        Arch = GuestArch.Aarch64,
        Bios = "none",
        RamSize = 128UL << 20,
        Kernel = Path.Combine(_dir, "Image"),
        IcountShift = 3,
        Input = input,
    });

    [Fact]
    public void An_aarch64_replay_skipping_a_pl011_poll_is_the_same_machine_at_every_count_as_one_running_it()
    {
        Arm64Image.Save(_dir, Arm64Image.Build(ArmEcho));
        ulong[] at = [1_000_000, 15_000_000, 15_000_011, 30_000_000];
        byte[] typed = "ab\nq"u8.ToArray();
        var log = new MemoryStream();
        var header = new RecordingHeader([new("machine", "virt"), new("arch", "aarch64")], []);
        var rec = new RecordingInput(new ReplayLogWriter(log, header, leaveOpen: true), () => 1_700_000_000_000_000_000);
        var recorded = ArmBoard(rec);
        rec.Machine = recorded.Machine;
        MachineStop stop;
        int next = 0;
        while (true)
        {
            stop = recorded.Machine.Run(next < at.Length ? at[next] : 200_000_000);
            if (stop.Kind != StopKind.Reached || next == at.Length) break;
            rec.Enqueue(InputChannel.Serial0, [typed[next++]]);
        }
        Assert.Equal(StopKind.Exited, stop.Kind);
        rec.Finish(recorded.Machine.Icount, "poweroff");
        byte[] digest = MachineDigest.Compute(recorded.Machine);
        rec.Dispose();

        (ArmVirtBoard Board, ReplayInput Input) Replaying(bool skip)
        {
            var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(log.ToArray())));
            var board = ArmBoard(replay);
            replay.Machine = board.Machine;
            board.Machine.SkipSpins = skip;
            return (board, replay);
        }
        var (skipping, _) = Replaying(skip: true);
        var (running, _) = Replaying(skip: false);
        AssertSameAtEveryStop(skipping.Machine, running.Machine, far: 1_999_999);
        Assert.Equal(recorded.Machine.Icount, skipping.Machine.Icount);
        Assert.Equal(digest, MachineDigest.Compute(skipping.Machine));
        var cpu = (Arm64Cpu)skipping.Machine.Cpus[0];
        Assert.True(cpu.SpinSkipped > skipping.Machine.Icount / 2, $"skipped {cpu.SpinSkipped:N0} of {skipping.Machine.Icount:N0}");
        Assert.Equal(0UL, ((Arm64Cpu)running.Machine.Cpus[0]).SpinSkipped);
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
        Assert.Equal(0UL, hart.SpinSkipped);
    }
}
