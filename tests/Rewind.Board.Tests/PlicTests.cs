using Rewind.Board.Devices;

namespace Rewind.Board.Tests;

public class PlicTests
{
    private const int M0 = 0, S0 = 1;
    private readonly FakeRunControl _run = new();
    private readonly FakeHart _hart = new();
    private readonly Plic _plic;

    public PlicTests() => _plic = new Plic([_hart], _run);

    private void Priority(int src, uint p) => _plic.Write((ulong)src * 4, 4, p);
    private void Enable(int ctx, uint word0) => _plic.Write(0x2000 + 0x80 * (ulong)ctx, 4, word0);
    private void Threshold(int ctx, uint t) => _plic.Write(0x200000 + 0x1000 * (ulong)ctx, 4, t);
    private uint Claim(int ctx) => (uint)_plic.Read(0x200004 + 0x1000 * (ulong)ctx, 4);
    private void Complete(int ctx, uint src) => _plic.Write(0x200004 + 0x1000 * (ulong)ctx, 4, src);

    [Fact]
    public void Plic_EnabledPendingSource_RaisesMeipAndEndsSlice()
    {
        Priority(10, 1);
        Enable(M0, 1u << 10);
        _plic.SetIrq(10, true);
        Assert.True(_hart[11]);
        Assert.False(_hart[9]);
        Assert.Equal(1UL << 10, _plic.Read(0x1000, 4));
        Assert.True(_run.EndSliceCount > 0);
    }

    [Fact]
    public void Plic_SContext_DrivesSeip()
    {
        Priority(1, 1);
        Enable(S0, 1u << 1);
        _plic.SetIrq(1, true);
        Assert.True(_hart[9]);
        Assert.False(_hart[11]);
    }

    [Fact]
    public void Plic_PriorityZero_NeverInterrupts()
    {
        Enable(M0, 1u << 10);
        _plic.SetIrq(10, true);
        Assert.False(_hart[11]);
        Assert.Equal(0u, Claim(M0));
    }

    [Fact]
    public void Plic_Claim_ReturnsHighestPriorityThenLowestId()
    {
        Priority(3, 2);
        Priority(5, 5);
        Priority(7, 5);
        Enable(M0, (1u << 3) | (1u << 5) | (1u << 7));
        _plic.SetIrq(3, true);
        _plic.SetIrq(5, true);
        _plic.SetIrq(7, true);
        Assert.Equal(5u, Claim(M0));
        Assert.Equal(7u, Claim(M0));
        Assert.Equal(3u, Claim(M0));
        Assert.Equal(0u, Claim(M0));
        Assert.False(_hart[11]);
    }

    [Fact]
    public void Plic_Threshold_MasksSourcesAtOrBelowIt()
    {
        Priority(4, 3);
        Enable(M0, 1u << 4);
        Threshold(M0, 3);
        _plic.SetIrq(4, true);
        Assert.False(_hart[11]);
        Assert.Equal(0u, Claim(M0));
        Threshold(M0, 2);
        Assert.True(_hart[11]);
        Assert.Equal(2UL, _plic.Read(0x200000, 4));
    }

    [Fact]
    public void Plic_ClaimedSource_StaysQuietUntilCompleteThenRepends()
    {
        Priority(10, 1);
        Enable(M0, 1u << 10);
        _plic.SetIrq(10, true);
        Assert.Equal(10u, Claim(M0));
        Assert.False(_hart[11]);
        Assert.Equal(0UL, _plic.Read(0x1000, 4));
        Complete(M0, 10);
        // The level is still high: the source is pending again.
        Assert.True(_hart[11]);
        Assert.Equal(10u, Claim(M0));
        _plic.SetIrq(10, false);
        Complete(M0, 10);
        Assert.False(_hart[11]);
        Assert.Equal(0UL, _plic.Read(0x1000, 4));
    }

    [Fact]
    public void Plic_LevelDroppingBeforeClaim_ClearsPending()
    {
        Priority(2, 1);
        Enable(M0, 1u << 2);
        _plic.SetIrq(2, true);
        _plic.SetIrq(2, false);
        Assert.False(_hart[11]);
        Assert.Equal(0u, Claim(M0));
    }

    [Fact]
    public void Plic_Registers_MaskPriorityAndIgnoreSourceZero()
    {
        Priority(9, 0xff);
        Assert.Equal(7UL, _plic.Read(9 * 4, 4));
        Priority(0, 5);
        Assert.Equal(0UL, _plic.Read(0, 4));
        Enable(M0, 0xffff_ffff);
        Assert.Equal(0xffff_fffeUL, _plic.Read(0x2000, 4));
        _plic.Write(0x1000, 4, 0xffff);
        Assert.Equal(0UL, _plic.Read(0x1000, 4));
    }

    [Fact]
    public void Plic_CompleteFromContextWithoutEnable_IsIgnored()
    {
        Priority(10, 1);
        Enable(M0, 1u << 10);
        _plic.SetIrq(10, true);
        Assert.Equal(10u, Claim(M0));
        Complete(S0, 10);
        Assert.False(_hart[11]);
        Complete(M0, 10);
        Assert.True(_hart[11]);
    }

    [Fact]
    public void Plic_SaveLoad_RoundTripsAndRedrivesLines()
    {
        Priority(10, 3);
        Priority(11, 2);
        Enable(M0, (1u << 10) | (1u << 11));
        Enable(S0, 1u << 11);
        Threshold(S0, 1);
        _plic.SetIrq(10, true);
        _plic.SetIrq(11, true);
        Assert.Equal(10u, Claim(M0));
        var saved = State.Save(_plic);

        var hart = new FakeHart();
        var copy = new Plic([hart], _run);
        State.Load(copy, saved);
        Assert.Equal(saved, State.Save(copy));
        Assert.True(hart[11]);
        Assert.True(hart[9]);
        Assert.Equal(11u, (uint)copy.Read(0x200004, 4));
    }
}
