namespace Rewind.Replay.Recording;

/// <summary>Replay no longer matches the recording; carries a one-line explanation.</summary>
public sealed class ReplayDivergenceException(ulong icount, string detail)
    : Exception($"replay diverged at instruction {icount}: {detail}")
{
    public ulong Icount { get; } = icount;
}
