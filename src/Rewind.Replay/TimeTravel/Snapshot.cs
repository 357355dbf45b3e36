namespace Rewind.Replay.TimeTravel;

/// <summary>
/// The machine at one instruction count: harts and devices serialized, plus the RAM pages that changed
/// since the snapshot before it (a null page is all zeros). Restoring needs this snapshot and, for pages
/// it does not hold, the nearest earlier snapshot that does.
/// </summary>
public sealed class Snapshot(ulong icount, byte[] state, Dictionary<int, byte[]?> pages)
{
    public ulong Icount { get; } = icount;
    public byte[] State { get; } = state;
    public Dictionary<int, byte[]?> Pages { get; } = pages;
    public string? Name { get; set; }

    public long Bytes => State.Length + Pages.Values.Sum(p => (long)(p?.Length ?? 0)) + Pages.Count * 16L;
}
