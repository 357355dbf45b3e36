using System.Text;
using Rewind.Cli.Host;

namespace Rewind.Cli.Tests;

public class LineEditorTests
{
    /// <summary>Feeds <paramref name="input"/>; returns the completed lines and everything echoed.</summary>
    private static (List<string> Lines, string Echo) Type(LineEditor e, string input)
    {
        var lines = new List<string>();
        var echo = new List<byte>();
        foreach (byte b in Encoding.UTF8.GetBytes(input))
            if (e.Feed(b, echo) is string line) lines.Add(line);
        return (lines, Encoding.UTF8.GetString(echo.ToArray()));
    }

    [Fact]
    public void Lines_end_at_cr_lf_or_crlf_and_are_echoed()
    {
        var e = new LineEditor();
        var (lines, echo) = Type(e, "info status\ninfo replay\r\nstop\rc\n");
        Assert.Equal(["info status", "info replay", "stop", "c"], lines);
        Assert.Equal("info status\ninfo replay\nstop\nc\n", echo);
    }

    [Fact]
    public void An_empty_line_is_a_line()
    {
        var (lines, _) = Type(new LineEditor(), "\n\r\r");
        Assert.Equal(["", "", ""], lines);
    }

    [Fact]
    public void Backspace_and_del_erase_the_last_character_and_ctrl_u_the_line()
    {
        var e = new LineEditor();
        var (lines, echo) = Type(e, "infx\u007fo statuz\bs\n");
        Assert.Equal(["info status"], lines);
        Assert.Equal("infx\b \bo statuz\b \bs\n", echo);
        (lines, _) = Type(e, "garbage\u0015quit\n");
        Assert.Equal(["quit"], lines);
        (lines, echo) = Type(e, "\u007f\n");
        Assert.Equal([""], lines);
        Assert.Equal("\n", echo);
    }

    [Fact]
    public void Backspace_removes_a_whole_utf8_character()
    {
        var (lines, _) = Type(new LineEditor(), "ab\u00e9\u20ac\u007f\u007fc\n");
        Assert.Equal(["abc"], lines);
    }

    [Fact]
    public void Cursor_key_sequences_and_control_characters_are_ignored()
    {
        var (lines, echo) = Type(new LineEditor(), "in\e[Afo\eOB\e[3~ st\tatus\u0003\n");
        Assert.Equal(["info status"], lines);
        Assert.Equal("info status\n", echo);
    }

    [Fact]
    public void Clear_forgets_a_partial_line()
    {
        var e = new LineEditor();
        Type(e, "half");
        Assert.Equal("half", e.Current);
        e.Clear();
        Assert.Equal(["cont"], Type(e, "cont\n").Lines);
    }
}
