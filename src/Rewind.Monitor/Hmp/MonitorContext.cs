using Rewind.Board;
using Rewind.Replay.TimeTravel;

namespace Rewind.Monitor.Hmp;

/// <summary>What monitor commands act on: the board, and the time-travel engine when replaying.</summary>
public sealed class MonitorContext(VirtBoard board, TimeTravelEngine? engine, string mode, string? recordFile)
{
    public VirtBoard Board { get; } = board;
    public TimeTravelEngine? Engine { get; } = engine;
    /// <summary>"none", "record" or "play", as QEMU's query-replay names them.</summary>
    public string Mode { get; } = mode;
    public string? RecordFile { get; } = recordFile;
}
