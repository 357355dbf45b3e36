using Rewind.Cli.CommandLine;

namespace Rewind.Cli.Tests;

/// <summary>QEMU's -smp forms: a count, cpus=, maxcpus= and a topology whose product is the count.</summary>
public class SmpOptionTests
{
    [Theory]
    [InlineData("1", 1)]
    [InlineData("4", 4)]
    [InlineData("cpus=2", 2)]
    [InlineData("2,maxcpus=4", 2)]
    [InlineData("sockets=2,cores=2", 4)]
    [InlineData("sockets=1,cores=2,threads=2", 4)]
    [InlineData("4,sockets=2,cores=2", 4)]
    [InlineData("2,sockets=2,cores=2", 2)]
    [InlineData("512", 512)]
    public void Smp_gives_the_number_of_harts(string value, int harts)
    {
        Assert.Equal(harts, OptionParser.Parse(["-smp", value]).Smp);
    }

    [Theory]
    [InlineData("0", "-smp 0: invalid number of CPUs")]
    [InlineData("two", "-smp two: invalid number of CPUs")]
    [InlineData("2,cores=x", "-smp 2,cores=x: invalid number of CPUs")]
    [InlineData("2,books=2", "-smp 2,books=2: invalid parameter 'books'")]
    [InlineData("4,maxcpus=2", "-smp 4,maxcpus=2: maxcpus must be equal to or greater than the number of CPUs")]
    [InlineData("8,sockets=2,cores=2", "-smp 8,sockets=2,cores=2: the topology holds 4 CPUs, fewer than 8")]
    [InlineData("513", "-smp 513: the virt machine supports at most 512 CPUs")]
    [InlineData("sockets=32,cores=32", "-smp 1024: the virt machine supports at most 512 CPUs")]
    public void A_bad_smp_value_is_one_clear_error(string value, string message)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-smp", value]));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("-arch", "aarch64", "-smp", "9")]
    [InlineData("-smp", "9", "-arch", "aarch64")]
    public void Aarch64_with_gicv2_takes_at_most_8_cpus_whichever_option_comes_first(params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(args));
        Assert.Equal("-smp 9: the aarch64 virt machine with GICv2 supports at most 8 CPUs (as QEMU's)", e.Message);
        Assert.Equal(8, OptionParser.Parse(["-arch", "aarch64", "-smp", "8"]).Smp);
    }
}
