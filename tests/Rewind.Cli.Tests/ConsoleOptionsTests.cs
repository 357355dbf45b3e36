using Rewind.Cli.CommandLine;
using Rewind.Cli.Host;

namespace Rewind.Cli.Tests;

/// <summary>Which backends stdio gets, by QEMU's rules for -nographic, -serial and -monitor.</summary>
public class ConsoleOptionsTests
{
    [Theory]
    [InlineData("-nographic", "mon:stdio", null)]
    [InlineData("-nographic -serial mon:stdio", "mon:stdio", null)]
    [InlineData("-display none -serial mon:stdio", "mon:stdio", null)]
    [InlineData("-nographic -monitor stdio", "null", "stdio")]
    [InlineData("-nographic -monitor none", "stdio", "none")]
    [InlineData("-nographic -serial file:/tmp/x", "file:/tmp/x", "stdio")]
    [InlineData("-nographic -serial null", "null", "stdio")]
    [InlineData("-nographic -serial stdio", "stdio", null)]
    [InlineData("-display none", "stdio", null)]
    [InlineData("-display none -serial file:/tmp/x", "file:/tmp/x", null)]
    [InlineData("-monitor stdio", "null", "stdio")]
    public void Stdio_goes_where_qemu_sends_it(string args, string serial, string? monitor)
    {
        var o = OptionParser.Parse(args.Split(' '));
        Assert.Equal(serial, o.EffectiveSerial);
        Assert.Equal(monitor, o.EffectiveMonitor);
        Assert.Equal(serial == "mon:stdio", o.Multiplexed);
    }

    [Fact]
    public void Serial_mon_stdio_and_monitor_stdio_cannot_share_stdio()
    {
        var e = Assert.Throws<UsageException>(() => OptionParser.Parse(["-serial", "mon:stdio", "-monitor", "stdio"]));
        Assert.Contains("cannot use stdio by multiple character devices", e.Message);
    }

    [Theory]
    [InlineData(ConsoleKey.Enter, '\r', new byte[] { 13 })]
    [InlineData(ConsoleKey.Backspace, '\b', new byte[] { 0x7f })]
    [InlineData(ConsoleKey.UpArrow, '\0', new byte[] { 0x1b, (byte)'[', (byte)'A' })]
    [InlineData(ConsoleKey.Delete, '\0', new byte[] { 0x1b, (byte)'[', (byte)'3', (byte)'~' })]
    [InlineData(ConsoleKey.A, '\u0001', new byte[] { 1 })]
    [InlineData(ConsoleKey.C, 'c', new byte[] { (byte)'c' })]
    [InlineData(ConsoleKey.E, '\u00e9', new byte[] { 0xc3, 0xa9 })]
    [InlineData(ConsoleKey.F1, '\0', new byte[0])]
    public void Terminal_keys_become_the_bytes_a_raw_terminal_sends(ConsoleKey key, char c, byte[] expected)
    {
        bool control = c is > '\0' and < ' ' && key is not (ConsoleKey.Enter or ConsoleKey.Backspace);
        Assert.Equal(expected, StdinPump.KeyBytes(new ConsoleKeyInfo(c, key, false, false, control)));
    }
}
