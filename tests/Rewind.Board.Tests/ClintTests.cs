using Rewind.Board.Devices;

namespace Rewind.Board.Tests;

public class ClintTests
{
    private readonly FakeRunControl _run = new(shift: 3); // 8 ns per instruction
    private readonly FakeHart _h0 = new(), _h1 = new();
    private readonly Clint _clint;

    public ClintTests() => _clint = new Clint([_h0, _h1], _run);

    [Fact]
    public void Clint_Msip_DrivesMipBit3OfTheAddressedHart()
    {
        _clint.Write(4, 4, 1);
        Assert.True(_h1[3]);
        Assert.False(_h0[3]);
        Assert.Equal(1UL, _clint.Read(4, 4));
        Assert.Equal(1, _run.EndSliceCount);
        _clint.Write(4, 4, 0);
        Assert.False(_h1[3]);
    }

    [Fact]
    public void Clint_Mtimecmp_ResetsToAllOnes()
    {
        Assert.Equal(ulong.MaxValue, _clint.Read(0x4000, 8));
        Assert.Equal(0xffff_ffffUL, _clint.Read(0x400c, 4));
        Assert.Equal(ulong.MaxValue, _clint.NextDeadline(0));
    }

    [Fact]
    public void Clint_Mtime_FollowsTheInstructionCount()
    {
        _run.Icount = 1_250_000; // 10 ms at 8 ns per instruction
        Assert.Equal(100_000UL, _clint.Read(0xbff8, 8));
        Assert.Equal(100_000UL, _clint.Read(0xbff8, 4));
        Assert.Equal(0UL, _clint.Read(0xbffc, 4));
        Assert.Equal(100_000UL, _clint.ReadTime());
    }

    [Fact]
    public void Clint_MtimeWrite_SetsAnOffset()
    {
        _run.Icount = 1000;
        _clint.Write(0xbff8, 8, 5_000_000);
        Assert.Equal(5_000_000UL, _clint.Read(0xbff8, 8));
        _run.Icount = 1000 + 125; // 1000 ns = 10 ticks
        Assert.Equal(5_000_010UL, _clint.ReadTime());
        _clint.Write(0xbffc, 4, 1);
        Assert.Equal((1UL << 32) + 5_000_010, _clint.ReadTime());
    }

    [Fact]
    public void Clint_NextDeadline_IsFirstIcountWhereMtimeReachesMtimecmp()
    {
        _clint.Write(0x4000, 8, 1000); // hart 0: 1000 ticks = 100 us = 12500 instructions
        _clint.Write(0x4008, 8, 500);  // hart 1: earlier
        ulong d = _clint.NextDeadline(0);
        Assert.Equal(6250UL, d);
        Assert.True(_run.Clock.TicksAt(d) >= 500);
        Assert.True(_run.Clock.TicksAt(d - 1) < 500);
    }

    [Fact]
    public void Clint_Advance_SetsMtipPerHartAndSkipsFiredHarts()
    {
        _clint.Write(0x4000, 8, 1000);
        _clint.Write(0x4008, 8, 500);
        _clint.Advance(6250);
        Assert.True(_h1[7]);
        Assert.False(_h0[7]);
        Assert.Equal(12500UL, _clint.NextDeadline(6250));
        _clint.Advance(12500);
        Assert.True(_h0[7]);
        Assert.Equal(ulong.MaxValue, _clint.NextDeadline(12500));
    }

    [Fact]
    public void Clint_MtimecmpWrite_UpdatesMtipAtOnceAndEndsSlice()
    {
        _run.Icount = 12500;
        _clint.Write(0x4000, 8, 10);
        Assert.True(_h0[7]);
        int ends = _run.EndSliceCount;
        _clint.Write(0x4004, 4, 1); // high half: far future
        Assert.False(_h0[7]);
        Assert.Equal((1UL << 32) + 10, _clint.GetMtimecmp(0));
        Assert.Equal(ends + 1, _run.EndSliceCount);
    }

    [Fact]
    public void Clint_SaveLoad_RoundTripsAndRedrivesHartLines()
    {
        _run.Icount = 500;
        _clint.Write(0xbff8, 8, 77);
        _clint.Write(0x4008, 8, 1);
        _clint.Write(0, 4, 1);
        var saved = State.Save(_clint);

        var a = new FakeHart();
        var b = new FakeHart();
        var copy = new Clint([a, b], _run);
        State.Load(copy, saved);
        Assert.Equal(saved, State.Save(copy));
        Assert.True(a[3]);
        Assert.True(b[7]);
        Assert.Equal(_clint.ReadTime(), copy.ReadTime());
    }
}
