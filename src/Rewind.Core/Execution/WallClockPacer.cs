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
            Thread.Sleep(SleepMilliseconds(waitNs));
        }

        ulong IcountAtWall(Core.Time.VirtualClock c)
        {
            ulong ic = c.IcountForNanoseconds(WallNs() + _anchorNs);
            return Math.Min(ic, target);
        }
    }

    /// <summary>
    /// Whole milliseconds, rounded up: a shorter wait would be Sleep(0), a yield that returns at once, and
    /// an idle guest would then spin a host core (a fifth of one at a Linux prompt). Waking up to a
    /// millisecond late only lets virtual time trail the wall clock a little; the guest cannot tell.
    /// </summary>
    public static int SleepMilliseconds(ulong waitNs) => (int)Math.Clamp((waitNs + 999_999) / 1_000_000, 1, int.MaxValue);

    private ulong WallNs() =>
        (ulong)((double)(_wall.ElapsedTicks - _anchorWallTicks) * 1e9 / Stopwatch.Frequency);
}
