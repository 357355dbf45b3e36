using Rewind.Core.Input;

namespace Rewind.Core.Execution;

/// <summary>
/// QEMU's -icount sleep=off for a live machine: an idle guest's clock jumps to its next timer deadline at
/// once, and with no deadline it waits for host input (it does not advance, as QEMU's does not). A guest
/// that idles a second between timer ticks spends no host time on it; one waiting at a prompt still
/// sleeps on the host.
/// </summary>
public sealed class DeadlinePacer(LiveInput input) : IPacer
{
    private const int PollMilliseconds = 5;

    public ulong IdleUntil(ulong now, ulong target, Machine machine)
    {
        if (target != ulong.MaxValue) return target;
        while (!input.HasPending && !machine.InterruptRequested) Thread.Sleep(PollMilliseconds);
        return now;
    }
}
