using System.Diagnostics;
using Rewind.Core.Input;

namespace Rewind.Core.Execution;

/// <summary>
/// Paces idle periods to the host clock and wakes early when host input is waiting. Virtual time may
/// fall behind the wall clock while the guest computes; then idle periods pass at once until it catches up.
/// </summary>
public sealed class WallClockPacer(LiveInput input) : IPacer
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private ulong _anchorNs;
    private long _anchorWallTicks;
    private const int PollMilliseconds = 5;

    public ulong IdleUntil(ulong now, ulong target, Machine machine)
    {
        var clock = machine.Clock;
        ulong nowNs = clock.NanosecondsAt(now);
        if (_anchorNs + WallNs() > nowNs + 50_000_000UL || nowNs < _anchorNs)
        {
            // Far behind the host: re-anchor rather than let idle time rush by for a long stretch.
            _anchorNs = nowNs;
            _anchorWallTicks = _wall.ElapsedTicks;
        }
        while (true)
        {
            if (input.HasPending || machine.InterruptRequested) return Math.Max(now, IcountAtWall(clock));
            ulong targetNs = target == ulong.MaxValue ? ulong.MaxValue : clock.NanosecondsAt(target);
            ulong wallVirtual = WallNs() + _anchorNs;
            if (wallVirtual >= targetNs) return target;
            ulong waitNs = Math.Min(targetNs - wallVirtual, PollMilliseconds * 1_000_000UL);
            Thread.Sleep(TimeSpan.FromTicks((long)Math.Max(waitNs / 100, 1)));
        }

        ulong IcountAtWall(Core.Time.VirtualClock c)
        {
            ulong ic = c.IcountForNanoseconds(WallNs() + _anchorNs);
            return Math.Min(ic, target);
        }
    }

    private ulong WallNs() =>
        (ulong)((double)(_wall.ElapsedTicks - _anchorWallTicks) * 1e9 / Stopwatch.Frequency);
}
