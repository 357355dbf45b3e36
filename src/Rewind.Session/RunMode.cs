namespace Rewind.Session;

/// <summary>How the machine meets the outside world: live, recording its inputs, or replaying them.</summary>
public enum RunMode { None, Record, Replay }

public static class RunModeNames
{
    /// <summary>QEMU's names in query-replay and info replay: "none", "record", "play".</summary>
    public static string QmpName(this RunMode mode) => mode switch
    {
        RunMode.Record => "record",
        RunMode.Replay => "play",
        _ => "none",
    };
}
