using Rewind.Cli.CommandLine;

namespace Rewind.Cli.Tests;

/// <summary>QEMU's -icount sleep=on|off: whether a live machine's idle time follows the wall clock.</summary>
public class IcountSleepOptionTests
{
    [Theory]
    [InlineData("shift=0", true)]
    [InlineData("shift=0,sleep=on", true)]
    [InlineData("shift=0,sleep=off", false)]
    [InlineData("sleep=off,shift=3", false)]
    public void Sleep_is_on_unless_turned_off(string value, bool sleep)
    {
        Assert.Equal(sleep, OptionParser.Parse(["-icount", value]).IcountSleep);
    }

    [Fact]
    public void A_sleep_value_other_than_on_or_off_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-icount", "shift=0,sleep=maybe"]));
        Assert.Equal("-icount sleep=maybe: must be on or off", e.Message);
    }
}
