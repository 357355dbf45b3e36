using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Session.Tests;

/// <summary>Real machines for the session tests: a guest from guests/bin, live, or recorded then replayed.</summary>
internal sealed class Rig
{
    private sealed class Collect : ISerialBackend
    {
        private readonly StringBuilder _text = new();
        public void Write(byte b) => _text.Append((char)b);
        public override string ToString() => _text.ToString();
    }

    private readonly Collect _serial;

    private Rig(VirtBoard board, ReplayInput? replay, Collect serial)
    {
        Board = board;
        Replay = replay;
        _serial = serial;
    }

    public VirtBoard Board { get; }
    public Machine Machine => Board.Machine;
    public ReplayInput? Replay { get; }
    public string Output => _serial.ToString();

    public ulong Symbol(string name) => Board.SymbolSource!.Symbols.First(s => s.Name == name).Value;

    private static BoardOptions Options(string guest, ISerialBackend serial, IInputBoundary input) =>
        new() { Bios = "none", Kernel = RepoPaths.Guest(guest), IcountShift = 3, Serial = serial, Input = input };

    public static Rig Live(string guest, IInputBoundary? input = null)
    {
        var collect = new Collect();
        return new Rig(VirtBoard.Create(Options(guest, collect, input ?? new LiveInput())), null, collect);
    }

    /// <summary>
    /// Records the guest to its end (or, with <paramref name="quitAt"/>, quits the recording there as
    /// a user would), then builds a second machine replaying that recording.
    /// </summary>
    public static Rig Replayed(string guest, ulong? quitAt = null)
    {
        var ms = new MemoryStream();
        var header = RecordReplay.HeaderFor("virt", Options(guest, new NullSerialBackend(), new LiveInput()));
        var recorder = new RecordingInput(new ReplayLogWriter(ms, header, leaveOpen: true), () => 0);
        var recording = VirtBoard.Create(Options(guest, new NullSerialBackend(), recorder));
        recorder.Machine = recording.Machine;
        var runner = new MachineRunner(recording.Machine, recorder, null, () => { }, TextWriter.Null);
        if (quitAt is ulong at)
        {
            recording.Machine.Run(at);
            runner.Finish("quit");
        }
        else if (runner.RunAlone(() => false) is int status && status != 0)
            throw new InvalidOperationException($"{guest} exited with {status} while recording");
        recorder.Dispose();
        var replay = new ReplayInput(new ReplayLogReader(new MemoryStream(ms.ToArray())));
        var collect = new Collect();
        var board = VirtBoard.Create(Options(guest, collect, replay));
        replay.Machine = board.Machine;
        return new Rig(board, replay, collect);
    }
}
