namespace Rewind.Core.Cpu;

/// <summary>What a watchpoint watches; the values are GDB's Z packet types.</summary>
public enum WatchKind : byte { Write = 2, Read = 3, Access = 4 }

public readonly record struct Watchpoint(ulong Address, ulong Length, WatchKind Kind);

/// <summary>
/// The access that stopped a CPU at a watchpoint: its kind and the address it touched;
/// <paramref name="ByDevice"/> when a device's write into RAM (DMA) made it, not a CPU's store.
/// </summary>
public readonly record struct WatchHit(WatchKind Kind, ulong Address, bool ByDevice = false);
