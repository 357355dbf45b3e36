namespace Rewind.Core.Time;

/// <summary>
/// What devices need of the run loop: the current instruction count (their notion of "now") and a
/// way to end the current execution slice early, because a register write moved a timer deadline or
/// raised an interrupt that the hart must see before its next instruction.
/// </summary>
public interface IRunControl
{
    ulong Icount { get; }
    VirtualClock Clock { get; }
    void EndSlice();
}
