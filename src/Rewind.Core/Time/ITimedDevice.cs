namespace Rewind.Core.Time;

/// <summary>
/// A device whose outputs change with virtual time (CLINT mtimecmp, RTC alarm). The run loop asks for
/// the next deadline so a slice stops exactly there, then calls <see cref="Advance"/> to update outputs.
/// </summary>
public interface ITimedDevice
{
    /// <summary>The first instruction count at which an output may change, or ulong.MaxValue.</summary>
    ulong NextDeadline(ulong icount);

    /// <summary>Bring outputs (interrupt levels) up to date for <paramref name="icount"/>.</summary>
    void Advance(ulong icount);
}

/// <summary>The guest's 10 MHz timebase as the hart's time CSR reads it (CLINT mtime).</summary>
public interface ITimebase
{
    ulong ReadTime();
}
