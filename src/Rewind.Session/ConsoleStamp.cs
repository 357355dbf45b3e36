using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Replay.Recording;

namespace Rewind.Session;

/// <summary>
/// Between the UART and the host's console: passes every byte on, and notes the instruction count at
/// which the guest wrote it, into the recording (Output records) or, replaying a recording made before
/// they existed, into the replay's console log. It only observes: nothing flows back to the guest.
/// </summary>
public sealed class ConsoleStamp(ISerialBackend inner) : ISerialBackend
{
    public Machine? Machine { get; set; }
    public RecordingInput? Recorder { get; set; }
    public ConsoleLog? Log { get; set; }

    public void Write(byte b)
    {
        inner.Write(b);
        if (Machine is not Machine m) return;
        if (Recorder != null) Recorder.NoteOutput(m.Icount, b);
        else if (Log is { FromRecording: false } log) log.Note(m.Icount, b);
    }
}
