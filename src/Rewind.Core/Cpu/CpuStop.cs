namespace Rewind.Core.Cpu;

/// <summary>Why <see cref="ICpu.Run"/> returned: the run loop's business, never shown to a debugger as such.</summary>
public enum CpuStop
{
    /// <summary>The instruction count reached the requested limit.</summary>
    Limit,
    /// <summary>A device or the host asked the run loop to look at the machine (EndSlice).</summary>
    Yield,
    /// <summary>The next instruction is on a debugger breakpoint and was not executed.</summary>
    Breakpoint,
    /// <summary>
    /// The next instruction would touch a watched address (see <see cref="ICpu.LastWatchHit"/>) and was
    /// not executed, as a hardware address trigger fires before the access: GDB steps over it itself.
    /// </summary>
    Watchpoint,
    /// <summary>The CPU waits for an interrupt with nothing pending: it may be fast-forwarded to the next event.</summary>
    Idle,
}
