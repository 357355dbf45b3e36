using Rewind.Gdb;

namespace Rewind.Gdb.Tests;

/// <summary>Errors as GDB's textual E.text when GDB offers error-message+ in qSupported, Enn otherwise.</summary>
public sealed class ErrorMessageTests : IDisposable
{
    private readonly FakeTarget _target = new();
    private readonly RspServer _server;
    private readonly RspClient _client;

    public ErrorMessageTests()
    {
        _server = new RspServer(_target, "tcp::0");
        _server.Start();
        _client = new RspClient(_server);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    [Fact]
    public void Offered_error_message_is_answered_and_errors_carry_their_text()
    {
        var features = _client.Command("qSupported:multiprocess+;swbreak+;error-message+;vContSupported+").Split(';');
        Assert.Contains("error-message+", features);
        Assert.Equal("E.cannot read memory at 0x10", _client.Command("m10,4"));
        Assert.Equal("E.expected ADDR,LENGTH", _client.Command("m10"));
        Assert.Equal("E.running backwards needs a replay (-icount rr=replay)", _client.Command("bs"));
        Assert.Equal("E.no such thread", _client.Command("Hg9"));
    }

    [Fact]
    public void Without_the_offer_errors_stay_numbers()
    {
        Assert.DoesNotContain("error-message+", _client.Command("qSupported:multiprocess+;swbreak+").Split(';'));
        Assert.Equal("E0e", _client.Command("m10,4"));
        Assert.Equal("E01", _client.Command("m10"));
        Assert.Equal("E22", _client.Command("bs"));
    }

    [Fact]
    public void A_handler_failure_names_what_went_wrong_and_framing_characters_are_kept_out()
    {
        _client.Command("qSupported:error-message+");
        _target.ReadMemoryFailure = new InvalidOperationException("bad $state# {x} *y*");
        Assert.Equal("E.internal error: InvalidOperationException: bad ?state? {x? ?y?", _client.Command("m80000000,4"));
        Assert.Equal("QC1", _client.Command("qC"));
    }
}
