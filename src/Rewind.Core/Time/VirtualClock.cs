namespace Rewind.Core.Time;

/// <summary>
/// Guest time is a pure function of the instruction count: each instruction advances time by 2^Shift
/// nanoseconds, as QEMU's -icount shift=N. Nothing here reads the host clock.
/// </summary>
public sealed class VirtualClock(int shift)
{
    public const int DefaultShift = 3;
    public const ulong TimebaseHz = 10_000_000;

    public int Shift { get; } = shift is >= 0 and <= 10
        ? shift
        : throw new ArgumentOutOfRangeException(nameof(shift), "icount shift must be between 0 and 10");

    public ulong NanosecondsAt(ulong icount) => icount << Shift;

    /// <summary>The 10 MHz timebase (CLINT mtime, the time CSR) at an instruction count.</summary>
    public ulong TicksAt(ulong icount) => (icount << Shift) / 100;

    /// <summary>The first instruction count at which the timebase reaches <paramref name="ticks"/>.</summary>
    public ulong IcountForTicks(ulong ticks)
    {
        if (ticks >= ulong.MaxValue / 100) return ulong.MaxValue;
        ulong ns = ticks * 100;
        ulong ic = (ns + (1UL << Shift) - 1) >> Shift;
        return ic;
    }

    public ulong IcountForNanoseconds(ulong ns) => (ns + (1UL << Shift) - 1) >> Shift;
}
