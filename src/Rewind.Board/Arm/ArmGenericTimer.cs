using Rewind.Arm64;
using Rewind.Core.Time;

namespace Rewind.Board.Arm;

/// <summary>
/// One CPU's generic timer outputs: the CPU keeps CNTV_*/CNTP_* and the counter (a function of the
/// instruction count, 62.5 MHz as QEMU's); this device turns them into the GIC's PPIs 27 (virtual)
/// and 30 (non-secure physical) of that CPU's bank, and tells the run loop when one of them will fire.
/// </summary>
public sealed class ArmGenericTimer : ITimedDevice
{
    public const int VirtualPpi = 27, PhysicalPpi = 30;
    private readonly Arm64Cpu _cpu;
    private readonly IArmGic _gic;
    private readonly VirtualClock _clock;

    public ArmGenericTimer(Arm64Cpu cpu, IArmGic gic, IRunControl run)
    {
        _cpu = cpu;
        _gic = gic;
        _clock = run.Clock;
        cpu.TimerChanged += () =>
        {
            // The deadline or the level may have moved: the run loop must look before the next instruction.
            Advance(run.Icount);
            run.EndSlice();
        };
    }

    private ulong CounterAt(ulong icount) => _clock.NanosecondsAt(icount) / 16;

    private ulong IcountFor(ulong ticks) => ticks >= ulong.MaxValue / 16 ? ulong.MaxValue : _clock.IcountForNanoseconds(ticks * 16);

    public ulong NextDeadline(ulong icount)
    {
        ulong now = CounterAt(icount);
        return Math.Min(Deadline(_cpu.VirtualTimer, now), Deadline(_cpu.PhysicalTimer, now));
    }

    private ulong Deadline((bool Enabled, bool Masked, ulong Cval) t, ulong now) =>
        t.Enabled && !t.Masked && t.Cval > now ? IcountFor(t.Cval) : ulong.MaxValue;

    public void Advance(ulong icount)
    {
        ulong now = CounterAt(icount);
        var v = _cpu.VirtualTimer;
        var p = _cpu.PhysicalTimer;
        _gic.SetPpi(_cpu.Index, VirtualPpi, v.Enabled && !v.Masked && now >= v.Cval);
        _gic.SetPpi(_cpu.Index, PhysicalPpi, p.Enabled && !p.Masked && now >= p.Cval);
    }
}
