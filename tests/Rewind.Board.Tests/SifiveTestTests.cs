using Rewind.Board.Devices;
using Rewind.Core.Execution;

namespace Rewind.Board.Tests;

public class SifiveTestTests
{
    private readonly FakeRunControl _run = new();

    [Theory]
    [InlineData(0x5555UL, PowerAction.PowerOff, 0)]
    [InlineData(0x7777UL, PowerAction.Reset, 0)]
    [InlineData((3UL << 16) | 0x3333, PowerAction.ExitWithCode, 3)]
    [InlineData((0xffffUL << 16) | 0x3333, PowerAction.ExitWithCode, 0xffff)]
    [InlineData((9UL << 16) | 0x5555, PowerAction.PowerOff, 0)]
    public void SifiveTest_Command_RecordsRequestAndEndsSlice(ulong value, PowerAction action, int code)
    {
        var dev = new SifiveTest(_run);
        PowerRequest? seen = null;
        dev.PowerRequested += r => seen = r;
        dev.Write(0, 4, value);
        Assert.Equal(new PowerRequest(action, code), dev.PowerRequest);
        Assert.Equal(dev.PowerRequest, seen);
        Assert.Equal(1, _run.EndSliceCount);
    }

    [Fact]
    public void SifiveTest_UnknownValueOrOffset_IsIgnored()
    {
        var dev = new SifiveTest(_run);
        dev.Write(0, 4, 0x1234);
        dev.Write(4, 4, 0x5555);
        Assert.Equal(PowerAction.None, dev.PowerRequest.Action);
        Assert.Equal(0, _run.EndSliceCount);
        Assert.Equal(0UL, dev.Read(0, 4));
    }

    [Fact]
    public void SifiveTest_ClearRequest_ResetsToNone()
    {
        var dev = new SifiveTest(_run);
        dev.Write(0, 4, 0x7777);
        dev.ClearRequest();
        Assert.Equal(PowerAction.None, dev.PowerRequest.Action);
    }

    [Fact]
    public void SifiveTest_SaveLoad_RoundTripsPendingRequest()
    {
        var dev = new SifiveTest(_run);
        dev.Write(0, 4, (42UL << 16) | 0x3333);
        var saved = State.Save(dev);
        var copy = new SifiveTest(_run);
        State.Load(copy, saved);
        Assert.Equal(new PowerRequest(PowerAction.ExitWithCode, 42), copy.PowerRequest);
    }
}
