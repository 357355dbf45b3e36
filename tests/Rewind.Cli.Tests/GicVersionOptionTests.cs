using Rewind.Cli.CommandLine;

namespace Rewind.Cli.Tests;

/// <summary>-M virt,gic-version=N on aarch64: 2 (the default) or 3; anything else is one line naming the valid ones.</summary>
public class GicVersionOptionTests
{
    [Theory]
    [InlineData("virt", 2)]
    [InlineData("virt,gic-version=2", 2)]
    [InlineData("virt,gic-version=3", 3)]
    [InlineData("virt,gic-version=3,its=off", 3)]
    [InlineData("virt,secure=off,gic-version=3,virtualization=off", 3)]
    public void Gic_version_2_or_3_is_taken(string machine, int version)
    {
        Assert.Equal(version, OptionParser.Parse(["-arch", "aarch64", "-M", machine]).GicVersion);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("host")]
    [InlineData("max")]
    [InlineData("")]
    public void Another_gic_version_is_one_line_listing_the_valid_ones(string version)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-arch", "aarch64", "-M", $"virt,gic-version={version}"]));
        Assert.Equal($"-machine virt,gic-version={version}: unsupported gic-version '{version}' (valid: 2, 3)", e.Message);
    }

    [Fact]
    public void The_its_is_not_modelled_so_only_its_off_is_taken()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-arch", "aarch64", "-M", "virt,gic-version=3,its=on"]));
        Assert.Equal("-machine virt,gic-version=3,its=on: only its=off is supported (the GICv3 ITS is not modelled)", e.Message);
    }

    [Theory]
    [InlineData("-arch", "aarch64", "-M", "virt,gic-version=3", "-smp", "124")]
    [InlineData("-smp", "124", "-M", "virt,gic-version=3", "-arch", "aarch64")]
    public void Aarch64_with_gicv3_takes_at_most_123_cpus(params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(args));
        Assert.Equal("-smp 124: the aarch64 virt machine with GICv3 supports at most 123 CPUs (the first redistributor region's; QEMU's second, above 4 GiB, is not modelled)", e.Message);
        Assert.Equal(123, OptionParser.Parse(["-arch", "aarch64", "-M", "virt,gic-version=3", "-smp", "123"]).Smp);
        Assert.Equal(20, OptionParser.Parse(["-arch", "aarch64", "-M", "virt,gic-version=3", "-smp", "20"]).Smp);
    }

    [Fact]
    public void Gic_version_3_on_riscv_is_refused()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-M", "virt,gic-version=3"]));
        Assert.Equal("-machine gic-version: an Arm board property (use -arch aarch64)", e.Message);
    }
}
