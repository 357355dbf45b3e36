using Rewind.Core.Execution;
using Rewind.Core.Input;

namespace Rewind.Core.Tests;

/// <summary>-icount sleep=off: idle time jumps to the next deadline; with none, it waits for input and does not advance.</summary>
public class DeadlinePacerTests
{
    [Fact]
    public void An_idle_machine_jumps_to_its_next_deadline_at_once()
    {
        var pacer = new DeadlinePacer(new LiveInput());
        // No machine is needed: a deadline is reached without looking at anything else.
        Assert.Equal(5_000_000_000UL, pacer.IdleUntil(1_000, 5_000_000_000UL, null!));
    }

    [Fact]
    public async Task With_no_deadline_time_stays_where_it_is_until_input_arrives()
    {
        var input = new LiveInput();
        var pacer = new DeadlinePacer(input);
        var typed = Task.Run(async () =>
        {
            await Task.Delay(30);
            input.Enqueue(InputChannel.Serial0, [(byte)'x']);
        });
        Assert.Equal(1_000UL, pacer.IdleUntil(1_000, ulong.MaxValue, new Machine(new Bus.SystemBus(new Memory.PhysicalMemory(0x8000_0000, 4096)), new Time.VirtualClock(0), input)));
        await typed;
    }
}
