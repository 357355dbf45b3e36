using Rewind.Cli.CommandLine;

namespace Rewind.Fuzz.Tests;

/// <summary>What the fuzzers found, kept as named tests (each names the area, seed and input that found it).</summary>
public sealed class Regressions
{
    /// <summary>command-line, seed 0x5eed20240011, input 256: an argument with a newline broke the error over two lines.</summary>
    [Fact]
    public void An_argument_with_control_characters_gives_a_one_line_error_with_them_escaped()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["a\nb\x1b[2J", "-h"]));
        Assert.Equal("a\\x0ab\\x1b[2J: unexpected argument (options start with '-')", e.Message);
        e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-m", "1\r"]));
        Assert.DoesNotContain('\r', e.Message);
    }
}
