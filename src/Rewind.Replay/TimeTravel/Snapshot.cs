namespace Rewind.Replay.TimeTravel;

/// <summary>
/// The machine at one instruction count: harts and devices serialized, plus the RAM pages that changed
/// since the snapshot before it (a null page is all zeros). Restoring needs this snapshot and, for pages
/// it does not hold, the nearest earlier snapshot that does.
/// </summary>
/// <remarks>
/// Bulky device state (a disk overlay) is kept in <see cref="Captures"/> by reference, shared with the
/// snapshots before; <see cref="CapturedBytes"/> counts only what this snapshot copied.
/// </remarks>
public sealed class Snapshot(ulong icount, byte[] state, Dictionary<int, byte[]?> pages, IReadOnlyList<object>? captures = null, long capturedBytes = 0)
{
    public IReadOnlyList<object> Captures { get; } = captures ?? [];
    public long CapturedBytes { get; } = capturedBytes;
    public ulong Icount { get; } = icount;
    public byte[] State { get; } = state;
    public Dictionary<int, byte[]?> Pages { get; } = pages;
    public string? Name { get; set; }

    public long Bytes => State.Length + CapturedBytes + Pages.Values.Sum(p => (long)(p?.Length ?? 0)) + Pages.Count * 16L;
}
