using System.Text;
using Rewind.Gdb;

namespace Rewind.Gdb.Tests;

public class FramingTests
{
    private static List<RspEvent> Decode(string input, int max = RspSession.PacketSize)
    {
        var events = new List<RspEvent>();
        new PacketReader(max).Feed(Encoding.Latin1.GetBytes(input), events.Add);
        return events;
    }

    [Fact]
    public void Frame_appends_modulo_256_checksum_in_lowercase_hex()
    {
        Assert.Equal("$OK#9a", Encoding.Latin1.GetString(RspFraming.Frame("OK")));
        Assert.Equal("$#00", Encoding.Latin1.GetString(RspFraming.Frame("")));
        Assert.Equal("$qSupported#37", Encoding.Latin1.GetString(RspFraming.Frame("qSupported")));
    }

    [Fact]
    public void Reader_decodes_packets_acks_naks_and_ctrl_c()
    {
        var events = Decode("+$g#67-\u0003junk$m0,4#fd");
        Assert.Equal([RspEventKind.Ack, RspEventKind.Packet, RspEventKind.Nak, RspEventKind.Interrupt, RspEventKind.Packet],
            events.Select(e => e.Kind));
        Assert.Equal("g", events[1].Text);
        Assert.Equal("m0,4", events[4].Text);
    }

    [Fact]
    public void Reader_accepts_uppercase_checksum_digits()
    {
        var events = Decode("$OK#9A");
        Assert.Equal(RspEventKind.Packet, Assert.Single(events).Kind);
    }

    [Fact]
    public void Reader_reports_bad_checksum_and_non_hex_checksum()
    {
        Assert.Equal([RspEventKind.BadChecksum, RspEventKind.BadChecksum], Decode("$g#00$g#zz").Select(e => e.Kind));
    }

    [Fact]
    public void Reader_unescapes_binary_data_and_keeps_ctrl_c_inside_packets_as_data()
    {
        byte[] payload = [(byte)'X', (byte)'0', (byte)',', (byte)'4', (byte)':', 0x03, (byte)'}', (byte)('#' ^ 0x20), (byte)'}', (byte)('}' ^ 0x20), 0xff];
        var events = new List<RspEvent>();
        new PacketReader().Feed(RspFraming.Frame(payload), events.Add);
        var ev = Assert.Single(events);
        Assert.Equal(RspEventKind.Packet, ev.Kind);
        Assert.Equal(new byte[] { (byte)'X', (byte)'0', (byte)',', (byte)'4', (byte)':', 0x03, (byte)'#', (byte)'}', 0xff }, ev.Data);
    }

    [Fact]
    public void Escape_then_unescape_round_trips_every_byte()
    {
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var escaped = RspFraming.EscapeBinary(all);
        Assert.DoesNotContain((byte)'$', escaped);
        Assert.DoesNotContain((byte)'#', escaped);
        Assert.DoesNotContain((byte)'*', escaped);
        Assert.Equal(all, RspFraming.Unescape(escaped));
    }

    [Fact]
    public void Reader_flags_oversized_packets_without_buffering_them()
    {
        string big = new('a', 100);
        var events = Decode(Encoding.Latin1.GetString(RspFraming.Frame(big)) + "$g#67", max: 64);
        Assert.Equal([RspEventKind.Oversized, RspEventKind.Packet], events.Select(e => e.Kind));
    }

    [Fact]
    public void Reader_resynchronises_on_a_new_dollar_and_flags_dangling_escape()
    {
        var events = Decode("$m0,$g#67" + Encoding.Latin1.GetString(RspFraming.Frame("ab}")));
        Assert.Equal([RspEventKind.Packet, RspEventKind.Malformed], events.Select(e => e.Kind));
        Assert.Equal("g", events[0].Text);
    }

    [Fact]
    public void Reader_handles_input_split_across_feeds()
    {
        var reader = new PacketReader();
        var events = new List<RspEvent>();
        foreach (char c in "$qC#b4") reader.Feed([(byte)c], events.Add);
        Assert.Equal("qC", Assert.Single(events).Text);
    }
}
