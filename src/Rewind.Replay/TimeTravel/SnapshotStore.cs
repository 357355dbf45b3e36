using Rewind.Core.Execution;
using Rewind.Core.Memory;
using Rewind.Core.State;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// Snapshots along one timeline, with RAM stored incrementally through the pages' dirty flags. The
/// invariant: RAM differs from snapshot <c>_sync</c> only in pages marked dirty.
/// </summary>
public sealed class SnapshotStore
{
    private readonly Machine _machine;
    private readonly PhysicalMemory _ram;
    private readonly List<Snapshot> _list = [];
    // For each page, the snapshots that hold it, by count: a far restore asks "which pages changed
    // between these two snapshots" and "which snapshot last held this page" without walking the
    // thousands of snapshots between them.
    private readonly Dictionary<int, List<Snapshot>> _holders = [];
    private Snapshot? _sync;
    // Below this many snapshots between two states, listing their pages beats asking every page's holders.
    private const int WalkLimit = 64;

    public SnapshotStore(Machine machine)
    {
        _machine = machine;
        _ram = machine.Bus.Ram;
    }

    public IReadOnlyList<Snapshot> All => _list;
    public long Bytes { get; private set; }

    /// <summary>The latest snapshot at or before <paramref name="icount"/>.</summary>
    public Snapshot? AtOrBefore(ulong icount)
    {
        int i = IndexAtOrBefore(icount);
        return i < 0 ? null : _list[i];
    }

    private int IndexAtOrBefore(ulong icount)
    {
        int lo = 0, hi = _list.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (_list[mid].Icount <= icount)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    public bool Has(ulong icount)
    {
        int i = IndexAtOrBefore(icount);
        return i >= 0 && _list[i].Icount == icount;
    }

    /// <summary>Where <paramref name="snap"/> is in the list, or -1: counts are unique, so a binary search finds it.</summary>
    private int IndexOf(Snapshot snap)
    {
        int i = IndexAtOrBefore(snap.Icount);
        return i >= 0 && ReferenceEquals(_list[i], snap) ? i : -1;
    }

    /// <summary>Captures the machine as it is now (it must be stopped between instructions).</summary>
    public Snapshot Take()
    {
        ulong icount = _machine.Icount;
        int at = IndexAtOrBefore(icount);
        if (at >= 0 && _list[at].Icount == icount)
        {
            // Same state as the one we hold; only the dirty bookkeeping moves.
            MarkSynced(_list[at]);
            return _list[at];
        }
        var snap = Capture(_machine);
        Insert(at + 1, snap);
        MarkSynced(snap);
        return snap;
    }

    /// <summary>
    /// <paramref name="machine"/> (this store's or a clone built like it) as it is now: its parts'
    /// state and the RAM pages marked dirty. The snapshot is complete only relative to the state the
    /// dirty flags were last cleared at; nothing is cleared here.
    /// </summary>
    internal static Snapshot Capture(Machine machine)
    {
        var ram = machine.Bus.Ram;
        var pages = new Dictionary<int, byte[]?>();
        for (int p = ram.NextDirty(0); p >= 0; p = ram.NextDirty(p + 1))
        {
            var span = ram.Page(p);
            pages[p] = span.IndexOfAnyExcept((byte)0) < 0 ? null : span.ToArray();
        }
        var (state, captures, capturedBytes) = SaveMachineState(machine);
        return new Snapshot(machine.Icount, state, pages, captures, capturedBytes);
    }

    /// <summary>
    /// Takes in snapshots a clone captured while replaying (<see cref="MachineClone"/>): each holds the
    /// pages changed since the snapshot before it in <paramref name="chain"/>, the first since a
    /// snapshot of this store at or before it. Where the store already has a snapshot at the same count
    /// (the same state) the clone's is dropped; otherwise it goes in at its place, which keeps every
    /// snapshot's pages a superset of the changes since the one before. The caller keeps the budget.
    /// </summary>
    public int Adopt(IReadOnlyList<Snapshot> chain)
    {
        int added = 0;
        Snapshot? skipped = null;
        foreach (var snap in chain)
        {
            if (skipped != null)
            {
                // Never dropped by the store so far, but kept correct if it ever is: a dropped link's pages move on.
                foreach (var (p, data) in skipped.Pages) snap.Pages.TryAdd(p, data);
                skipped = null;
            }
            int at = IndexAtOrBefore(snap.Icount);
            if (at >= 0 && _list[at].Icount == snap.Icount) continue;
            if (at < 0)
            {
                skipped = snap;
                continue;
            }
            Insert(at + 1, snap);
            added++;
        }
        return added;
    }

    /// <summary>
    /// Makes <paramref name="snap"/> the one RAM is measured against. RAM holds exactly snap's
    /// state, whether snap was just captured from it or the machine replayed deterministically to
    /// snap's instruction count, so no page differs from it and every dirty flag can be cleared.
    /// </summary>
    private void MarkSynced(Snapshot snap)
    {
        _ram.ClearDirty();
        _sync = snap;
    }

    /// <summary>
    /// The parts' state as named sections (<see cref="StateSections"/>), the container a machine image
    /// holds, except that bulky state (disk overlays) is captured by reference, sharing what is unchanged.
    /// </summary>
    private static (byte[] State, List<object> Captures, long CapturedBytes) SaveMachineState(Machine machine)
    {
        using var ms = new MemoryStream();
        using var w = new CapturingStateWriter(ms);
        StateSections.Write(w, machine.StatefulParts);
        w.Flush();
        return (ms.ToArray(), w.Captures, w.CapturedBytes);
    }

    /// <summary>Puts the machine back to <paramref name="target"/>'s state.</summary>
    public void Restore(Snapshot target)
    {
        int ti = IndexOf(target);
        int si = _sync == null ? -1 : IndexOf(_sync);
        var changed = new HashSet<int>();
        for (int p = _ram.NextDirty(0); p >= 0; p = _ram.NextDirty(p + 1)) changed.Add(p);
        AddChangedBetween(changed, ti, si);
        foreach (int p in changed) RestorePage(p, ti);
        StateSections.Load(target.State, _machine.StatefulParts, target.Captures);
        _ram.ClearDirty();
        _sync = target;
    }

    /// <summary>
    /// Puts another machine built like this one (a clone for a parallel search) into
    /// <paramref name="target"/>'s state. <paramref name="synced"/> is the snapshot the clone was last
    /// restored to, with its RAM changed since only in pages marked dirty or listed in
    /// <paramref name="alsoChanged"/> (dirty flags the clone cleared when it captured snapshots of its
    /// own); null (or a snapshot thinned away since) rewrites every page. Only reads the store: several clones may restore at once while
    /// the store does not change.
    /// </summary>
    public void RestoreInto(Machine clone, Snapshot target, Snapshot? synced, IEnumerable<int>? alsoChanged = null)
    {
        var ram = clone.Bus.Ram;
        if (ram.PageCount != _ram.PageCount) throw new ArgumentException("the clone's RAM differs from the machine's", nameof(clone));
        int ti = IndexOf(target);
        if (ti < 0) throw new ArgumentException("the snapshot is not in this store", nameof(target));
        int si = synced == null ? -1 : IndexOf(synced);
        if (si < 0)
            RestoreAllPages(ram, ti);
        else
        {
            var changed = new HashSet<int>(alsoChanged ?? []);
            for (int p = ram.NextDirty(0); p >= 0; p = ram.NextDirty(p + 1)) changed.Add(p);
            AddChangedBetween(changed, ti, si);
            foreach (int p in changed) CopyPage(ram, p, FindPage(p, ti));
        }
        // The disk overlays' clusters are shared by reference; a clone's writes copy them, as the machine's do.
        StateSections.Load(target.State, clone.StatefulParts, target.Captures);
        ram.ClearDirty();
    }

    /// <summary>Every page of <paramref name="ram"/> as of snapshot <paramref name="upTo"/>.</summary>
    private void RestoreAllPages(PhysicalMemory ram, int upTo)
    {
        var done = new bool[ram.PageCount];
        ulong icount = _list[upTo].Icount;
        foreach (var (p, holders) in _holders)
        {
            int h = LastAtOrBefore(holders, icount);
            if (h < 0) continue;
            done[p] = true;
            CopyPage(ram, p, holders[h].Pages[p]);
        }
        // Pages no snapshot holds are zero; reading an untouched page first keeps it uncommitted.
        for (int p = 0; p < ram.PageCount; p++)
            if (!done[p] && ram.Page(p).IndexOfAnyExcept((byte)0) >= 0) CopyPage(ram, p, null);
    }

    /// <summary>The page as of snapshot <paramref name="upTo"/>: its latest holder at or before it (never held: zero).</summary>
    private byte[]? FindPage(int page, int upTo)
    {
        if (!_holders.TryGetValue(page, out var holders)) return null;
        int h = LastAtOrBefore(holders, _list[upTo].Icount);
        return h < 0 ? null : holders[h].Pages[page];
    }

    /// <summary>Adds the pages some snapshot in (min, max] of indices <paramref name="a"/> and <paramref name="b"/> holds.</summary>
    private void AddChangedBetween(HashSet<int> changed, int a, int b)
    {
        int lo = Math.Min(a, b), hi = Math.Max(a, b);
        if (hi - lo <= WalkLimit || lo < 0)
        {
            for (int i = lo + 1; i <= hi; i++)
                foreach (int p in _list[i].Pages.Keys) changed.Add(p);
            return;
        }
        ulong from = _list[lo].Icount, to = _list[hi].Icount;
        foreach (var (p, holders) in _holders)
        {
            int h = LastAtOrBefore(holders, to);
            if (h >= 0 && holders[h].Icount > from) changed.Add(p);
        }
    }

    private static int LastAtOrBefore(List<Snapshot> holders, ulong icount)
    {
        int lo = 0, hi = holders.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (holders[mid].Icount <= icount)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    private void Insert(int index, Snapshot snap)
    {
        _list.Insert(index, snap);
        Bytes += snap.Bytes;
        foreach (int p in snap.Pages.Keys) AddHolder(p, snap);
    }

    private void AddHolder(int page, Snapshot snap)
    {
        if (!_holders.TryGetValue(page, out var holders)) _holders[page] = holders = [];
        int at = LastAtOrBefore(holders, snap.Icount) + 1;
        holders.Insert(at, snap);
    }

    private void RemoveHolder(int page, Snapshot snap)
    {
        var holders = _holders[page];
        int at = LastAtOrBefore(holders, snap.Icount);
        holders.RemoveAt(at);
        if (holders.Count == 0) _holders.Remove(page);
    }

    private static void CopyPage(PhysicalMemory ram, int page, byte[]? data)
    {
        if (data == null) ram.Page(page).Clear();
        else data.CopyTo(ram.Page(page));
        ram.NoteWriteRange((ulong)page << PhysicalMemory.PageShift, PhysicalMemory.PageSize);
    }

    // Never captured: the page was never written before the first snapshot's time, so it is zero.
    private void RestorePage(int page, int upTo) => CopyPage(_ram, page, FindPage(page, upTo));

    /// <summary>
    /// Drops snapshots so that, looking back from <paramref name="present"/>, spacing grows with
    /// distance: dense where the user is, logarithmic far back. Snapshot 0 and named ones stay.
    /// </summary>
    public void Thin(ulong present, ulong minSpacing, int divisor = 8)
    {
        ulong lastKept = ulong.MaxValue;
        for (int i = _list.Count - 1; i > 0; i--)
        {
            var s = _list[i];
            if (s.Icount >= present || s.Name != null || s == _sync)
            {
                lastKept = s.Icount < present ? s.Icount : lastKept;
                continue;
            }
            if (lastKept == ulong.MaxValue)
            {
                lastKept = s.Icount;
                continue;
            }
            ulong wanted = Math.Max(minSpacing, (present - s.Icount) / (ulong)divisor);
            if (lastKept - s.Icount >= wanted)
            {
                lastKept = s.Icount;
                continue;
            }
            Remove(i);
        }
    }

    private void Remove(int index)
    {
        var gone = _list[index];
        Bytes -= gone.Bytes;
        if (index + 1 < _list.Count)
        {
            // Pages the next snapshot relies on finding here move into it.
            var next = _list[index + 1];
            Bytes -= next.Bytes;
            foreach (var (p, data) in gone.Pages)
                if (next.Pages.TryAdd(p, data)) AddHolder(p, next);
            Bytes += next.Bytes;
        }
        foreach (int p in gone.Pages.Keys) RemoveHolder(p, gone);
        _list.RemoveAt(index);
    }
}
