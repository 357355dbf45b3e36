using Rewind.Board.Devices;
using Rewind.Core.Interrupts;

namespace Rewind.Board.Tests;

public class GoldfishRtcTests
{
    private const ulong Host = 1_700_000_000_123_456_789UL;
    private readonly FakeRunControl _run = new(shift: 3);
    private readonly FakeInput _input = new(Host);
    private readonly FakeIrqSink _sink = new();
    private readonly GoldfishRtc _rtc;

    public GoldfishRtcTests() => _rtc = new GoldfishRtc(_input, new IrqLine(_sink, VirtMemoryMap.RtcIrq), _run);

    private ulong ReadTime()
    {
        ulong low = _rtc.Read(GoldfishRtc.TimeLow, 4);
        return (_rtc.Read(GoldfishRtc.TimeHigh, 4) << 32) | low;
    }

    [Fact]
    public void Rtc_FirstTimeRead_ReadsHostClockOnceThenFollowsVirtualTime()
    {
        _run.Icount = 1000;
        Assert.Equal(Host, ReadTime());
        _input.HostClockNs = 5; // the host clock must not be consulted again
        _run.Icount = 2000;
        Assert.Equal(Host + 8000, ReadTime());
        Assert.Equal([1000UL], _input.ClockReadsAt);
    }

    [Fact]
    public void Rtc_TimeHigh_IsLatchedByTimeLowRead()
    {
        _run.Icount = 0;
        _rtc.Read(GoldfishRtc.TimeLow, 4);
        Assert.Equal(Host >> 32, _rtc.Read(GoldfishRtc.TimeHigh, 4));
    }

    [Fact]
    public void Rtc_TimeWrite_MovesTheClock()
    {
        _rtc.Write(GoldfishRtc.TimeHigh, 4, 0);
        _rtc.Write(GoldfishRtc.TimeLow, 4, 1000);
        Assert.Equal(1000UL, ReadTime());
    }

    [Fact]
    public void Rtc_Alarm_FiresAtDeadlineAndRaisesIrqWhenEnabled()
    {
        _run.Icount = 100;
        ulong now = ReadTime();
        ulong alarm = now + 80_000; // 10000 instructions later
        _rtc.Write(GoldfishRtc.IrqEnabled, 4, 1);
        _rtc.Write(GoldfishRtc.AlarmHigh, 4, alarm >> 32);
        _rtc.Write(GoldfishRtc.AlarmLow, 4, (uint)alarm);
        Assert.Equal(1UL, _rtc.Read(GoldfishRtc.AlarmStatus, 4));
        Assert.Equal((uint)alarm, _rtc.Read(GoldfishRtc.AlarmLow, 4));
        Assert.Equal(10_100UL, _rtc.NextDeadline(100));
        _rtc.Advance(10_099);
        Assert.False(_sink[VirtMemoryMap.RtcIrq]);
        _rtc.Advance(10_100);
        Assert.True(_sink[VirtMemoryMap.RtcIrq]);
        Assert.Equal(0UL, _rtc.Read(GoldfishRtc.AlarmStatus, 4));
        _rtc.Write(GoldfishRtc.ClearInterrupt, 4, 1);
        Assert.False(_sink[VirtMemoryMap.RtcIrq]);
    }

    [Fact]
    public void Rtc_AlarmInThePast_FiresImmediately()
    {
        _rtc.Write(GoldfishRtc.IrqEnabled, 4, 1);
        _rtc.Write(GoldfishRtc.AlarmHigh, 4, 0);
        _rtc.Write(GoldfishRtc.AlarmLow, 4, 5);
        Assert.True(_sink[VirtMemoryMap.RtcIrq]);
        Assert.Equal(0UL, _rtc.Read(GoldfishRtc.AlarmStatus, 4));
    }

    [Fact]
    public void Rtc_ClearAlarm_StopsIt()
    {
        ulong alarm = ReadTime() + 1_000_000;
        _rtc.Write(GoldfishRtc.AlarmHigh, 4, alarm >> 32);
        _rtc.Write(GoldfishRtc.AlarmLow, 4, (uint)alarm);
        _rtc.Write(GoldfishRtc.ClearAlarm, 4, 1);
        Assert.Equal(ulong.MaxValue, _rtc.NextDeadline(0));
        Assert.Equal(0UL, _rtc.Read(GoldfishRtc.AlarmStatus, 4));
    }

    [Fact]
    public void Rtc_SaveLoad_KeepsTheAnchorSoNoNewHostRead()
    {
        _run.Icount = 10;
        ulong t = ReadTime();
        _rtc.Write(GoldfishRtc.IrqEnabled, 4, 1);
        var saved = State.Save(_rtc);

        var input2 = new FakeInput(42);
        var copy = new GoldfishRtc(input2, new IrqLine(new FakeIrqSink(), VirtMemoryMap.RtcIrq), _run);
        State.Load(copy, saved);
        Assert.Equal(saved, State.Save(copy));
        Assert.Equal(t, copy.CountAt(10));
        Assert.Empty(input2.ClockReadsAt);
        Assert.Equal(1UL, copy.Read(GoldfishRtc.IrqEnabled, 4));
    }
}
