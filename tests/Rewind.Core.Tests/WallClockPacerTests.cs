using Rewind.Core.Execution;

namespace Rewind.Core.Tests;

public class WallClockPacerTests
{
    [Theory]
    [InlineData(1UL, 1)]
    [InlineData(999_999UL, 1)]
    [InlineData(1_000_000UL, 1)]
    [InlineData(1_000_001UL, 2)]
    [InlineData(4_200_000UL, 5)]
    public void Idle_waits_sleep_whole_milliseconds_rounded_up_never_zero(ulong waitNs, int expected)
    {
        // Sleep(0) is a yield that returns at once: an idle guest would spin a host core.
        Assert.Equal(expected, WallClockPacer.SleepMilliseconds(waitNs));
    }
}
