using Rewind.Board.Devices;
using Rewind.Core.Bus;
using Rewind.Core.Memory;
using Rewind.Riscv;

namespace Rewind.Board.Tests;

public class SstcTimerTests
{
    private const ulong Stce = 1UL << 63;
    private const ulong Stip = 1UL << 5;
    private readonly FakeRunControl _run = new(shift: 3); // 8 ns per instruction: 1 tick = 12.5 instructions
    private readonly Hart _hart = new(0, new SystemBus(new PhysicalMemory(0x8000_0000, 4096)));
    private readonly Clint _clint;
    private readonly SstcTimer _timer;

    public SstcTimerTests()
    {
        _clint = new Clint([_hart], _run);
        _timer = new SstcTimer(_hart, _clint, _run);
    }

    [Fact]
    public void Without_STCE_stimecmp_raises_nothing_and_has_no_deadline()
    {
        _hart.TryWriteCsr(Csr.Stimecmp, 0);
        _timer.Advance(1000);
        Assert.Equal(0UL, _hart.EffectiveMip & Stip);
        Assert.Equal(ulong.MaxValue, _timer.NextDeadline(1000));
    }

    [Fact]
    public void With_STCE_STIP_rises_at_the_exact_count_where_mtime_reaches_stimecmp()
    {
        _hart.TryWriteCsr(Csr.Menvcfg, Stce);
        _hart.TryWriteCsr(Csr.Stimecmp, 100); // 100 ticks = 10 µs = 1250 instructions
        Assert.Equal(1250UL, _timer.NextDeadline(0));
        _timer.Advance(1249);
        Assert.Equal(0UL, _hart.EffectiveMip & Stip);
        _timer.Advance(1250);
        Assert.Equal(Stip, _hart.EffectiveMip & Stip);
        Assert.Equal(ulong.MaxValue, _timer.NextDeadline(1250)); // already high: no edge to wait for
    }

    [Fact]
    public void Writing_a_later_stimecmp_lowers_STIP_at_once_and_ends_the_slice()
    {
        _hart.TryWriteCsr(Csr.Menvcfg, Stce);
        _run.Icount = 5000;
        _hart.TryWriteCsr(Csr.Stimecmp, 10);
        Assert.Equal(Stip, _hart.EffectiveMip & Stip);
        int slices = _run.EndSliceCount;
        _hart.TryWriteCsr(Csr.Stimecmp, ulong.MaxValue);
        Assert.Equal(0UL, _hart.EffectiveMip & Stip);
        Assert.True(_run.EndSliceCount > slices);
        Assert.Equal(ulong.MaxValue, _timer.NextDeadline(5000));
    }

    [Fact]
    public void Clearing_STCE_drops_the_timer_level()
    {
        _hart.TryWriteCsr(Csr.Menvcfg, Stce);
        _hart.TryWriteCsr(Csr.Stimecmp, 0);
        Assert.Equal(Stip, _hart.EffectiveMip & Stip);
        _hart.TryWriteCsr(Csr.Menvcfg, 0);
        Assert.Equal(0UL, _hart.EffectiveMip & Stip);
    }
}
