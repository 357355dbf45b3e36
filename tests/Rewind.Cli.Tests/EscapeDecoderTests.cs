using Rewind.Cli.Host;

namespace Rewind.Cli.Tests;

public class EscapeDecoderTests
{
    private static List<EscapeResult> FeedAll(EscapeDecoder d, params byte[] bytes) =>
        bytes.Select(d.Feed).Where(r => r.Action != EscapeAction.None).ToList();

    private static EscapeResult Data(char c) => new(EscapeAction.Data, (byte)c);

    [Fact]
    public void Ordinary_bytes_pass_through()
    {
        var d = new EscapeDecoder(monitor: true);
        Assert.Equal([Data('a'), Data('\r'), Data('\u0003')], FeedAll(d, (byte)'a', (byte)'\r', 3));
        Assert.False(d.Pending);
    }

    [Theory]
    [InlineData('x', EscapeAction.Quit)]
    [InlineData('h', EscapeAction.Help)]
    [InlineData('?', EscapeAction.Help)]
    [InlineData('c', EscapeAction.SwitchFocus)]
    public void Ctrl_a_then_a_letter_is_a_command(char letter, EscapeAction action)
    {
        var d = new EscapeDecoder(monitor: true);
        Assert.Equal(EscapeAction.None, d.Feed(EscapeDecoder.EscapeChar).Action);
        Assert.True(d.Pending);
        Assert.Equal(action, d.Feed((byte)letter).Action);
        Assert.False(d.Pending);
    }

    [Fact]
    public void Ctrl_a_ctrl_a_sends_one_ctrl_a()
    {
        var d = new EscapeDecoder(monitor: true);
        Assert.Equal([Data('\u0001'), Data('b')], FeedAll(d, 1, 1, (byte)'b'));
        // Three in a row: one C-a sent, the third starts a new escape.
        Assert.Equal([Data('\u0001'), new EscapeResult(EscapeAction.Quit)], FeedAll(d, 1, 1, 1, (byte)'x'));
    }

    [Fact]
    public void Unknown_commands_are_dropped_with_their_prefix()
    {
        var d = new EscapeDecoder(monitor: true);
        Assert.Equal([Data('y')], FeedAll(d, 1, (byte)'z', 1, (byte)'s', 1, (byte)'t', (byte)'y'));
    }

    [Fact]
    public void Without_a_monitor_ctrl_a_c_does_nothing_and_help_does_not_offer_it()
    {
        var d = new EscapeDecoder(monitor: false);
        Assert.Empty(FeedAll(d, 1, (byte)'c'));
        Assert.DoesNotContain("C-a c", d.HelpText);
        Assert.Contains("C-a c    switch between console and monitor\n", new EscapeDecoder(true).HelpText);
    }

    [Fact]
    public void Help_text_lists_the_supported_keys_in_qemus_words()
    {
        Assert.Equal(
            "\nC-a h    print this help\nC-a x    exit emulator\nC-a c    switch between console and monitor\nC-a C-a  sends C-a\n",
            new EscapeDecoder(monitor: true).HelpText);
    }

    [Fact]
    public void A_split_escape_is_decoded_across_feeds()
    {
        // A pipe may deliver C-a at the end of one read and the letter at the start of the next.
        var d = new EscapeDecoder(monitor: true);
        Assert.Equal([Data('a')], FeedAll(d, (byte)'a', 1));
        Assert.Equal([new EscapeResult(EscapeAction.SwitchFocus), Data('b')], FeedAll(d, (byte)'c', (byte)'b'));
    }
}
