using System.Globalization;
using Rewind.Cli.Host;

namespace Rewind.Cli.Tests;

public class RunStatsTests
{
    [Fact]
    public void Interpreted_steps_are_the_count_less_the_counted_ones()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            Assert.Equal("interpreted ~700 (70.0 % of executed)", RunStats.Interpreted(1100, 300, 90, 10));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void After_time_travel_took_the_count_back_the_interpreted_steps_are_unknown_not_wrapped()
    {
        // A replay that ran to 1,000 then went back to 100: the counters still hold the work done.
        Assert.Equal("interpreted unknown (the count went back in time)", RunStats.Interpreted(100, 900, 0, 5));
    }
}
