using Rewind.Core.Time;
using Rewind.Riscv;

namespace Rewind.Board.Devices;

/// <summary>
/// The Sstc supervisor timer of one hart: while menvcfg.STCE is set, mip.STIP is the level of
/// mtime &gt;= stimecmp. stimecmp lives in the hart (it is a CSR and is snapshotted with it); this
/// part only turns it into an interrupt level at the exact instruction count, like the CLINT does
/// for mtimecmp. Nothing here needs saving: the level it drives is saved with the hart, and
/// <see cref="Advance"/> (which the run loop calls before asking for a deadline) recomputes it.
/// </summary>
public sealed class SstcTimer : ITimedDevice
{
    private const int StipBit = 5;
    private readonly Hart _hart;
    private readonly Clint _clint;
    private readonly IRunControl _run;
    private bool _level;

    public SstcTimer(Hart hart, Clint clint, IRunControl run)
    {
        _hart = hart;
        _clint = clint;
        _run = run;
        hart.SupervisorTimerChanged = Changed;
    }

    // A level already high has no further edge to wait for (a lower stimecmp comes through Changed).
    public ulong NextDeadline(ulong icount) =>
        _hart.SstcEnabled && !_level ? _clint.IcountWhenMtimeReaches(_hart.Stimecmp, icount) : ulong.MaxValue;

    public void Advance(ulong icount)
    {
        bool level = _hart.SstcEnabled && _clint.MtimeAt(icount) >= _hart.Stimecmp;
        // Driven every time, not only on change: after a snapshot restore the hart may hold another level.
        _hart.SetInterruptPending(StipBit, level);
        _level = level;
    }

    /// <summary>The guest wrote stimecmp or menvcfg: the level may change now and the planned slice may end too late.</summary>
    private void Changed()
    {
        Advance(_run.Icount);
        _run.EndSlice();
    }

    /// <summary>The level last driven (for tests).</summary>
    public bool Level => _level;
}
