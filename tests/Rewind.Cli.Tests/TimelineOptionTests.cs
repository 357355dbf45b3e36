using Rewind.Cli.CommandLine;
using Rewind.Session;

namespace Rewind.Cli.Tests;

/// <summary>-timeline PORT: the timeline page attached to a replay.</summary>
public class TimelineOptionTests
{
    private static readonly string[] Replay = ["-M", "virt", "-bios", "none", "-kernel", "k.elf", "-icount", "shift=3,rr=replay,rrfile=r.rr"];

    [Fact]
    public void Timeline_takes_a_port_while_replaying()
    {
        var o = OptionParser.Parse([.. Replay, "-timeline", "8080"]);
        Assert.Equal(8080, o.Timeline);
        Assert.Equal(RunMode.Replay, o.RecordReplay);
        Assert.Equal(0, OptionParser.Parse([.. Replay, "-timeline", "0"]).Timeline);
    }

    [Theory]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("http")]
    [InlineData("")]
    public void A_port_that_is_not_one_is_a_usage_error(string port)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse([.. Replay, "-timeline", port]));
        Assert.Equal($"-timeline {port}: a port number from 0 to 65535", e.Message);
    }

    [Fact]
    public void Timeline_without_a_replay_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-M", "virt", "-bios", "none", "-kernel", "k.elf", "-timeline", "8080"]));
        Assert.StartsWith("-timeline: the timeline page moves a replay; use it with -icount rr=replay", e.Message);
    }
}
