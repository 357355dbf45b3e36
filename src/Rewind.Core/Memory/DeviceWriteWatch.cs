using Rewind.Core.Cpu;

namespace Rewind.Core.Memory;

/// <summary>
/// The debugger's write and access watchpoints as physical RAM ranges, so a device's write into guest
/// memory (DMA: a virtio request's status, a received frame) reports as the store that changed the
/// location, as a CPU's store does. A watchpoint's physical place is fixed when it is set, through a
/// CPU's translation then (a kernel's mappings do not move); CPUs keep watching virtual addresses.
/// Devices call <see cref="Note"/>; the run loop takes the first hit after the devices' turn, so the
/// stop falls at the count the device wrote at. Costs one field test per device write when nothing is watched.
/// </summary>
public sealed class DeviceWriteWatch
{
    /// <summary>One physically contiguous piece of a watched range, with the virtual address of its start.</summary>
    public readonly record struct Piece(ulong Physical, ulong Length, ulong Virtual);

    // One entry per watchpoint set (the same one may be set twice), with its pieces.
    private readonly List<(Watchpoint Watch, Piece[] Pieces)> _watches = [];
    private bool _any;
    private WatchHit? _hit;

    /// <summary>Called on the first hit of a run (the machine ends the CPU's slice, for a device that writes during one).</summary>
    public Action? Hit { get; set; }

    /// <summary>Watches the physical pieces of <paramref name="watch"/> (none for a read watchpoint: devices only write).</summary>
    public void Add(Watchpoint watch, Piece[] pieces)
    {
        if (watch.Kind == WatchKind.Read || pieces.Length == 0) return;
        _watches.Add((watch, pieces));
        _any = true;
    }

    /// <summary>Forgets one setting of <paramref name="watch"/>.</summary>
    public void Remove(Watchpoint watch)
    {
        int i = _watches.FindIndex(w => w.Watch == watch);
        if (i >= 0) _watches.RemoveAt(i);
        _any = _watches.Count > 0;
    }

    /// <summary>
    /// Watches what <paramref name="other"/> watches, and nothing else: a clone of a machine searching
    /// its history takes the original's physical pieces, as its own CPUs may not map the addresses yet.
    /// </summary>
    public void CopyFrom(DeviceWriteWatch other)
    {
        _watches.Clear();
        _watches.AddRange(other._watches);
        _any = _watches.Count > 0;
        _hit = null;
    }

    /// <summary>A device wrote [<paramref name="physical"/>, +<paramref name="length"/>) of RAM.</summary>
    public void Note(ulong physical, ulong length)
    {
        if (!_any || _hit != null || length == 0) return;
        foreach (var (watch, pieces) in _watches)
            foreach (var p in pieces)
            {
                if (physical >= p.Physical + p.Length || p.Physical >= physical + length) continue;
                ulong at = Math.Max(physical, p.Physical);
                _hit = new WatchHit(watch.Kind, p.Virtual + (at - p.Physical), ByDevice: true);
                Hit?.Invoke();
                return;
            }
    }

    /// <summary>The first device write into a watched range since the last call, if any.</summary>
    public WatchHit? TakeHit()
    {
        var hit = _hit;
        _hit = null;
        return hit;
    }
}
