using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Recording;

namespace Rewind.Session;

/// <summary>What a session's machine is made of, as the command line says it.</summary>
public sealed record MachineSetup
{
    /// <summary>The board's options; its serial backend is the host's business, its input is set here.</summary>
    public required BoardOptions Board { get; init; }
    /// <summary>The board's name (-M), kept in a recording's header.</summary>
    public string MachineName { get; init; } = "virt";
    public RunMode Mode { get; init; }
    /// <summary>rrfile=: the recording written or replayed.</summary>
    public string? RecordFile { get; init; }
    /// <summary>rrsnapshot=: the start snapshot kept in the recording and replayed from.</summary>
    public string? RecordSnapshot { get; init; }
    /// <summary>-no-reboot: a guest's reset ends the run.</summary>
    public bool NoReboot { get; init; }
    /// <summary>-icount sleep=on (the default): a live machine's idle time follows the wall clock; off, it jumps to the next deadline.</summary>
    public bool Sleep { get; init; } = true;
}

/// <summary>
/// Builds a session's machine: the board, the input boundary for its mode (live, recording, replaying,
/// checked against the recording's header), the start snapshot, the pacer and the runner.
/// </summary>
public sealed class MachineAssembly : IDisposable
{
    private MachineAssembly(IBoard board, LiveInput? live, RecordingInput? recorder, ReplayInput? replay, MachineRunner runner)
    {
        Board = board;
        Live = live;
        Recorder = recorder;
        Replay = replay;
        Runner = runner;
    }

    public IBoard Board { get; }
    public Machine Machine => Board.Machine;
    /// <summary>Where host input goes (live or recording); null when replaying.</summary>
    public LiveInput? Live { get; }
    public RecordingInput? Recorder { get; }
    public ReplayInput? Replay { get; }
    public MachineRunner Runner { get; }

    /// <param name="flush">Pushes the guest's console output out whenever the machine stops.</param>
    /// <param name="log">Where one-line reports go.</param>
    /// <exception cref="SessionException">A recording that cannot be made, read or matched.</exception>
    public static MachineAssembly Create(MachineSetup setup, Action flush, TextWriter log)
    {
        LiveInput? live = null;
        RecordingInput? recorder = null;
        ReplayInput? replay = null;
        IInputBoundary input;
        switch (setup.Mode)
        {
            case RunMode.Record:
                live = recorder = new RecordingInput(RecordReplay.CreateWriter(setup.RecordFile!, RecordReplay.HeaderFor(setup.MachineName, setup.Board)));
                input = recorder;
                break;
            case RunMode.Replay:
                input = replay = RecordReplay.OpenForReplay(setup.RecordFile!, RecordReplay.HeaderFor(setup.MachineName, setup.Board));
                break;
            default:
                input = live = new LiveInput();
                break;
        }
        // Only a live run writes a disk through to its image; recordings and replays keep writes in the machine.
        // The console's bytes are stamped with their counts: in the recording, or in the replay's console log.
        var stamp = new ConsoleStamp(setup.Board.Serial) { Recorder = recorder, Log = replay?.Console };
        var board = Boards.Create(setup.Board with { Input = input, Serial = stamp, DiskWriteThrough = setup.Mode == RunMode.None });
        var machine = board.Machine;
        stamp.Machine = machine;
        machine.NoReboot = setup.NoReboot;
        if (recorder != null) recorder.Machine = machine;
        if (replay != null) replay.Machine = machine;
        if (setup.RecordSnapshot is string snapshot)
        {
            if (recorder != null) RecordReplay.SaveStartSnapshot(recorder, machine, snapshot);
            if (replay != null) RecordReplay.LoadStartSnapshot(replay, machine, snapshot, setup.RecordFile!);
        }
        // A live machine's idle time follows the wall clock; a replay's jumps (its inputs carry their counts).
        machine.Pacer = live == null ? InstantPacer.Instance : setup.Sleep ? new WallClockPacer(live) : new DeadlinePacer(live);
        var runner = new MachineRunner(machine, recorder, replay, flush, log)
        {
            CloneFactory = replay == null ? null : fork => BuildClone(setup, fork),
            SearchWorkers = replay == null ? 1 : SearchWorkerSetting.FromEnvironment(),
        };
        return new MachineAssembly(board, live, recorder, replay, runner);
    }

    /// <summary>
    /// A machine built like the session's, replaying through <paramref name="fork"/>, for a parallel
    /// reverse search: its console goes nowhere and its disks never write through.
    /// </summary>
    private static Machine BuildClone(MachineSetup setup, ReplayInput fork)
    {
        var board = Boards.Create(setup.Board with { Input = fork, Serial = new NullSerialBackend(), DiskWriteThrough = false });
        var machine = board.Machine;
        machine.NoReboot = setup.NoReboot;
        machine.Pacer = InstantPacer.Instance;
        fork.Machine = machine;
        return machine;
    }

    public void Dispose() => Recorder?.Dispose();
}
