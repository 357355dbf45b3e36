using Rewind.Cli.CommandLine;

namespace Rewind.Cli.Tests;

public class VersionTextTests
{
    [Theory]
    [InlineData(new string[] { "--version" }, "riscv64 virt")]
    [InlineData(new string[] { "-arch", "aarch64", "--version" }, "aarch64 virt")]
    public void Version_names_the_emulator_the_command_line_stands_in_for(string[] args, string expected)
    {
        var options = OptionParser.Parse(args);
        Assert.True(options.Version);
        Assert.EndsWith($"(QEMU-compatible command line, {expected})", HelpText.VersionFor(options.Arch));
    }
}
