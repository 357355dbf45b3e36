using System.Text;
using Rewind.Monitor.Qmp;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

public sealed class JsonStreamSplitterTests
{
    private static List<string> Feed(JsonStreamSplitter s, string text) =>
        s.Feed(Encoding.UTF8.GetBytes(text)).Select(b => Encoding.UTF8.GetString(b)).ToList();

    [Fact]
    public void Objects_are_cut_at_their_closing_brace_even_across_feeds()
    {
        var s = new JsonStreamSplitter();
        Assert.Empty(Feed(s, "{\"a\": {\"b\""));
        Assert.Equal(["{\"a\": {\"b\": 1}}", "{}"], Feed(s, ": 1}}  \r\n{}"));
    }

    [Fact]
    public void Braces_and_escaped_quotes_inside_strings_do_not_count()
    {
        var s = new JsonStreamSplitter();
        Assert.Equal(["{\"x\": \"}\\\"{\"}"], Feed(s, "{\"x\": \"}\\\"{\"}"));
    }

    [Fact]
    public void Scalars_and_stray_closing_brackets_come_out_as_their_own_texts()
    {
        var s = new JsonStreamSplitter();
        Assert.Equal(["42", "}", "[1]"], Feed(s, "42 }[1]"));
        Assert.Equal(["null"], Feed(s, "null{"));
    }

    [Fact]
    public void Multibyte_text_in_strings_passes_through()
    {
        var s = new JsonStreamSplitter();
        Assert.Equal(["{\"id\": \"żółw}\"}"], Feed(s, "{\"id\": \"żółw}\"}"));
    }
}
