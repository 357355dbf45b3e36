namespace Rewind.Replay.Log;

/// <summary>
/// A file that cannot be used as a recording at all: not a recording, an unsupported version, or a
/// damaged header. The message is one line meant for the user. Damage after the header is not an
/// exception: <see cref="ReplayLogReader"/> stops and reports it in <see cref="ReplayLogReader.Corruption"/>
/// or <see cref="ReplayLogReader.Truncation"/>.
/// </summary>
public sealed class RecordingFormatException : Exception
{
    public RecordingFormatException(string message) : base(message) { }

    public RecordingFormatException(string message, Exception? inner) : base(message, inner) { }
}
