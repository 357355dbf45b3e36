using System.Text;
using Rewind.Monitor.Qmp;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

public sealed class JsonStreamSplitterTests
{
    private static List<string> Feed(JsonStreamSplitter s, string text) =>
        s.Feed(Encoding.UTF8.GetBytes(text)).Select(p => p.Error ?? Encoding.UTF8.GetString(p.Text)).ToList();

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

    [Fact]
    public void A_token_without_whitespace_past_the_size_limit_is_refused_once_and_not_stored()
    {
        var s = new JsonStreamSplitter();
        var digits = new byte[64 * 1024];
        Array.Fill(digits, (byte)'7');
        var pieces = new List<JsonPiece>();
        for (int i = 0; i < 64; i++) // 4 MiB of one number
        {
            pieces.AddRange(s.Feed(digits));
            Assert.True(s.Buffered <= JsonStreamSplitter.MaxText);
        }
        var refused = Assert.Single(pieces);
        Assert.StartsWith("JSON message size limit exceeded", refused.Error);
        Assert.Equal(0, s.Buffered);
        Assert.Equal(["{}"], Feed(s, " {}"));
    }

    [Fact]
    public void An_oversized_object_is_refused_and_its_rest_is_skipped_up_to_its_end()
    {
        var s = new JsonStreamSplitter();
        string big = "{\"execute\": \"x\", \"id\": \"" + new string('a', JsonStreamSplitter.MaxText) + " } {\"execute\": \"quit\"} \"}";
        var pieces = Feed(s, big + "{\"execute\": \"query-status\"}");
        Assert.Equal(2, pieces.Count);
        Assert.StartsWith("JSON message size limit exceeded", pieces[0]);
        Assert.Equal("{\"execute\": \"query-status\"}", pieces[1]);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_and_the_stream_resynchronizes()
    {
        var s = new JsonStreamSplitter();
        int deep = QmpJson.MaxDepth + 1;
        var pieces = Feed(s, new string('[', deep) + new string(']', deep) + "[[1]]");
        Assert.Equal(2, pieces.Count);
        Assert.StartsWith("JSON nesting depth limit exceeded", pieces[0]);
        Assert.Equal("[[1]]", pieces[1]);
        string limit = new string('[', QmpJson.MaxDepth) + new string(']', QmpJson.MaxDepth);
        Assert.Equal([limit], Feed(s, limit));
    }
}
