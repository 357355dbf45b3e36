using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The block compiler changes nothing but speed, on real firmware and a real kernel: OpenSBI + U-Boot
/// and the Linux workload boot in two machines at once, one interpreted and one compiling, stopped
/// together at irregular counts where pcs, registers and state digests must agree; and a Linux boot
/// recorded by the interpreter, with a command typed at its prompt, replays with the compiler digest
/// for digest (the replay checks every digest in the log) to the same console, count and final state.
/// The compiling machines use a low threshold, in the foreground, so that much of the code they run is
/// compiled and a block is in place at the same count in every run.
/// </summary>
public class CompilerDifferentialBootTests
{
    private const string LinuxPrompt = "rewind-linux# ";
    // Low enough that most of the code run is compiled, high enough that a Linux boot does not compile
    // thousands of blocks run a few times (each costs the runtime's JIT a millisecond or more).
    private const int FirmwareThreshold = 32, LinuxThreshold = 256;

    private sealed class Collect : ISerialBackend
    {
        private readonly MemoryStream _bytes = new();
        public void Write(byte b) => _bytes.WriteByte(b);
        public string Text => Encoding.Latin1.GetString(_bytes.ToArray());
    }

    private static BoardOptions Firmware(ISerialBackend serial) => new()
    {
        Bios = FirmwareTests.FwJump,
        Kernel = FirmwareTests.UbootSmode,
        IcountShift = 0,
        Jit = false,
        Serial = serial,
        Input = new LiveInput(() => 1_700_000_000_000_000_000),
    };

    private static BoardOptions Linux(ISerialBackend serial, IInputBoundary input)
    {
        var linux = LinuxWorkload.Require();
        return new BoardOptions
        {
            Bios = "default",
            Kernel = linux.Image,
            Initrd = linux.Initramfs,
            Append = "console=ttyS0 earlycon=sbi",
            IcountShift = 0,
            Jit = false,
            Serial = serial,
            Input = input,
        };
    }

    /// <summary>A compiling machine: IL bodies alone, or native code first (regions that keep running move on to IL).</summary>
    private static VirtBoard Compiling(BoardOptions options, int threshold, bool native)
    {
        var board = VirtBoard.Create(options);
        board.CodeCache.EnableCompiler(threshold, native: native);
        Assert.Equal(native, board.CodeCache.Blocks!.Native);
        return board;
    }

    /// <summary>Bodies the machine compiled in the tier it starts with.</summary>
    private static int FirstTierBodies(VirtBoard board) =>
        board.CodeCache.Blocks!.Native ? board.CodeCache.Blocks.NativeCompiled : board.CodeCache.Blocks.Compiled;

    /// <summary>
    /// Runs both machines to the same counts, growing irregularly (so stops fall inside blocks, at their
    /// ends and between), comparing them at each, until <paramref name="done"/> or a stop that is not a
    /// count reached. Returns the comparisons made.
    /// </summary>
    private static int Lockstep(VirtBoard interpreted, VirtBoard compiled, Func<bool> done, ulong fuel)
    {
        ulong at = 0, step = 9_973;
        int points = 0;
        while (true)
        {
            at += step;
            step = step * 3 / 2 + (ulong)(points % 7) * 1_009;
            var a = interpreted.Machine.Run(at);
            var b = compiled.Machine.Run(at);
            Assert.Equal(a.Kind, b.Kind);
            Assert.Equal(interpreted.Machine.Icount, compiled.Machine.Icount);
            AssertSameState(interpreted, compiled, $"at {interpreted.Machine.Icount}");
            points++;
            if (a.Kind != StopKind.Reached || done() || at >= fuel) return points;
        }
    }

    private static void AssertSameState(VirtBoard interpreted, VirtBoard compiled, string where)
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OpenSBI_and_UBoot_boot_the_same_with_the_compiler_as_without(bool native)
    {
        var consoleA = new Collect();
        var consoleB = new Collect();
        var interpreted = VirtBoard.Create(Firmware(consoleA));
        var compiled = Compiling(Firmware(consoleB), FirmwareThreshold, native);
        int points = Lockstep(interpreted, compiled, () => consoleA.Text.Contains("No ethernet found.\r\nNo ethernet found.\r\n", StringComparison.Ordinal), 2_000_000_000);
        Assert.Contains("OpenSBI", consoleA.Text, StringComparison.Ordinal);
        Assert.Contains("No ethernet found.", consoleA.Text, StringComparison.Ordinal);
        Assert.Equal(consoleA.Text, consoleB.Text);
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), "RAM differs at the end");
        Assert.True(points > 10, $"only {points} comparisons");
        Assert.True(FirstTierBodies(compiled) > 100, $"only {FirstTierBodies(compiled)} bodies compiled");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Linux_boots_to_its_prompt_the_same_with_the_compiler_as_without(bool native)
    {
        var consoleA = new Collect();
        var consoleB = new Collect();
        var interpreted = VirtBoard.Create(Linux(consoleA, new LiveInput(() => 1_700_000_000_000_000_000)));
        var compiled = Compiling(Linux(consoleB, new LiveInput(() => 1_700_000_000_000_000_000)), LinuxThreshold, native);
        int points = Lockstep(interpreted, compiled, () => consoleA.Text.Contains(LinuxPrompt, StringComparison.Ordinal), 3_000_000_000);
        Assert.Contains(LinuxPrompt, consoleA.Text, StringComparison.Ordinal);
        Assert.Equal(consoleA.Text, consoleB.Text);
        Assert.True(interpreted.Ram.Bytes.SequenceEqual(compiled.Ram.Bytes), "RAM differs at the end");
        Assert.True(points > 10, $"only {points} comparisons");
        Assert.True(FirstTierBodies(compiled) > 200, $"only {FirstTierBodies(compiled)} bodies compiled");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_interpreter_recording_of_a_Linux_session_replays_with_the_compiler(bool native)
    {
        // Record with the interpreter: boot, type a command at the prompt, power off.
        var ms = new MemoryStream();
        var header = new RecordingHeader([new("machine", "virt")], []);
        var writer = new ReplayLogWriter(ms, header, leaveOpen: true);
        var rec = new RecordingInput(writer, () => 1_700_000_000_123_456_789);
        var recordedConsole = new Collect();
        var recorder = VirtBoard.Create(Linux(recordedConsole, rec));
        rec.Machine = recorder.Machine;
        var typed = new Queue<string>(["write /tmp/note compiled-42\r", "cat /tmp/note\r", "poweroff\r"]);
        MachineStop stop;
        int prompts = 0;
        ulong limit = 0;
        while (true)
        {
            limit += 5_000_000;
            stop = recorder.Machine.Run(limit);
            int seen = CountOf(recordedConsole.Text, LinuxPrompt);
            if (seen > prompts && typed.Count > 0)
            {
                prompts = seen;
                rec.Enqueue(InputChannel.Serial0, Encoding.ASCII.GetBytes(typed.Dequeue()));
            }
            if (stop.Kind is StopKind.Reached or StopKind.Starved && limit < 4_000_000_000) continue;
            break;
        }
        Assert.True(stop.Kind == StopKind.Exited, $"the recording stopped with {stop.Kind} at {recorder.Machine.Icount}");
        // Echoed as it was typed, then printed by cat.
        Assert.True(CountOf(recordedConsole.Text, "compiled-42") >= 2, recordedConsole.Text);
        rec.Finish(recorder.Machine.Icount, "poweroff");
        var recordedDigest = MachineDigest.Compute(recorder.Machine);
        ulong recordedIcount = recorder.Machine.Icount;
        rec.Dispose();

        // Replay with the compiler: every digest in the log is checked on the way.
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(ms.ToArray())));
        var replayedConsole = new Collect();
        var replayer = Compiling(Linux(replayedConsole, replay), LinuxThreshold, native);
        replay.Machine = replayer.Machine;
        do stop = replayer.Machine.Run(4_000_000_000);
        while (stop.Kind == StopKind.Reached && replayer.Machine.Icount < 4_000_000_000);
        Assert.Equal(StopKind.Exited, stop.Kind);
        Assert.Equal(recordedIcount, replayer.Machine.Icount);
        Assert.Equal(recordedConsole.Text, replayedConsole.Text);
        Assert.Equal(recordedDigest, MachineDigest.Compute(replayer.Machine));
        Assert.True(replay.DigestsChecked > 3, $"only {replay.DigestsChecked} digests checked");
        Assert.True(FirstTierBodies(replayer) > 200, $"only {FirstTierBodies(replayer)} bodies compiled");
    }

    private static int CountOf(string haystack, string needle)
    {
        int n = 0;
        for (int i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
            n++;
        return n;
    }
}
