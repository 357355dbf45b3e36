using Rewind.Core.Cpu;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// Debugger breakpoints and watchpoints. Breakpoints live in the code cache as a special operation,
/// so guest memory is never patched and a run with none set pays nothing (the cache is shared: a hart
/// reaching a slot marked for another hart's breakpoint runs the instruction); watchpoints route data
/// accesses through the slow path only while any exist.
/// </summary>
public sealed partial class Hart
{
    private const ulong NoPc = ulong.MaxValue;
    private readonly HashSet<ulong> _breakpoints = [];
    private List<Watchpoint>? _watchpoints;
    private ulong _resumePc = NoPc;
    private bool _watchStopPending;
    // The count at which the last watchpoint stop was reported: resuming there performs that access
    // instead of stopping again, so a run resumed from a watch stop always makes progress.
    private ulong _watchStopAt = NoPc;
    private DecodedInsn _scratch;

    public WatchHit? LastWatchHit { get; private set; }

    public IReadOnlyCollection<ulong> Breakpoints => _breakpoints;
    public IReadOnlyList<Watchpoint> Watchpoints => (IReadOnlyList<Watchpoint>?)_watchpoints ?? [];

    public bool AddBreakpoint(ulong address)
    {
        if (!_breakpoints.Add(address)) return false;
        _codeCache.AddBreakpoint(address);
        return true;
    }

    public bool RemoveBreakpoint(ulong address)
    {
        if (!_breakpoints.Remove(address)) return false;
        _codeCache.RemoveBreakpoint(address);
        return true;
    }

    public void AddWatchpoint(Watchpoint watchpoint)
    {
        (_watchpoints ??= []).Add(watchpoint);
        InvalidateTranslation();
    }

    public bool RemoveWatchpoint(Watchpoint watchpoint)
    {
        bool removed = _watchpoints?.Remove(watchpoint) ?? false;
        InvalidateTranslation();
        return removed;
    }

    /// <summary>
    /// Drops every decoded instruction of the machine's code cache, which all harts share. Nothing in the
    /// emulator needs it: writes, restores included, invalidate precisely, and breakpoints invalidate themselves.
    /// </summary>
    public void FlushDecoded() => _codeCache.Clear();

    /// <summary>
    /// True when the access must not happen because it touches a watchpoint: the instruction is then
    /// abandoned before any effect, like a trap, and the slice ends with the hart still on it.
    /// </summary>
    private bool WatchStops(ulong va, int size, AccessKind access)
    {
        var list = _watchpoints;
        if (list == null || list.Count == 0 || LastWatchHit != null || Icount == _watchStopAt) return false;
        foreach (var w in list)
        {
            if (va >= w.Address + w.Length || w.Address >= va + (ulong)size) continue;
            bool match = w.Kind switch
            {
                WatchKind.Write => access == AccessKind.Write,
                WatchKind.Read => access == AccessKind.Read,
                _ => true,
            };
            if (!match) continue;
            LastWatchHit = new WatchHit(w.Kind, Math.Max(va, w.Address));
            _watchStopPending = true;
            _sliceEnd = 0;
            return true;
        }
        return false;
    }
}
