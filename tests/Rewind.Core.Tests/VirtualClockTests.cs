using Rewind.Core.Time;

namespace Rewind.Core.Tests;

public class VirtualClockTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    public void Shifts_from_0_to_10_are_accepted(int shift)
    {
        Assert.Equal(shift, new VirtualClock(shift).Shift);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    [InlineData(64)]
    public void Shifts_outside_0_to_10_are_rejected(int shift)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtualClock(shift));
    }

    [Fact]
    public void Default_shift_makes_each_instruction_8_ns()
    {
        var clock = new VirtualClock(VirtualClock.DefaultShift);
        Assert.Equal(8UL, clock.NanosecondsAt(1));
        Assert.Equal(8000UL, clock.NanosecondsAt(1000));
    }

    [Theory]
    [InlineData(0, 100UL, 1UL)]
    [InlineData(0, 99UL, 0UL)]
    [InlineData(3, 25UL, 2UL)]
    [InlineData(10, 1UL, 10UL)]
    public void TicksAt_counts_the_10MHz_timebase(int shift, ulong icount, ulong ticks)
    {
        Assert.Equal(ticks, new VirtualClock(shift).TicksAt(icount));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(10)]
    public void IcountForTicks_is_the_first_count_at_which_TicksAt_reaches_the_value(int shift)
    {
        var clock = new VirtualClock(shift);
        foreach (ulong ticks in new ulong[] { 1, 2, 3, 7, 10, 99, 100, 12345, 10_000_000, 1UL << 40 })
        {
            ulong ic = clock.IcountForTicks(ticks);
            Assert.True(clock.TicksAt(ic) >= ticks, $"shift {shift}, ticks {ticks}: TicksAt({ic}) < ticks");
            Assert.True(clock.TicksAt(ic - 1) < ticks, $"shift {shift}, ticks {ticks}: {ic} is not the first count");
        }
    }

    [Fact]
    public void IcountForTicks_of_zero_is_zero()
    {
        Assert.Equal(0UL, new VirtualClock(3).IcountForTicks(0));
    }

    [Fact]
    public void IcountForTicks_saturates_instead_of_overflowing()
    {
        var clock = new VirtualClock(0);
        Assert.Equal(ulong.MaxValue, clock.IcountForTicks(ulong.MaxValue));
        Assert.Equal(ulong.MaxValue, clock.IcountForTicks(ulong.MaxValue / 100));
    }

    [Fact]
    public void IcountForNanoseconds_rounds_up_to_a_whole_instruction()
    {
        var clock = new VirtualClock(3);
        Assert.Equal(0UL, clock.IcountForNanoseconds(0));
        Assert.Equal(1UL, clock.IcountForNanoseconds(1));
        Assert.Equal(1UL, clock.IcountForNanoseconds(8));
        Assert.Equal(2UL, clock.IcountForNanoseconds(9));
    }
}
