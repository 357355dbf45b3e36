namespace Rewind.Replay.TimeTravel;

/// <summary>
/// A write found by a search (<see cref="TimeTravelEngine.LastWrite"/>): the writing instruction's count,
/// the CPU and pc that executed it, and the watched bytes before and after it. <paramref name="ByDevice"/>
/// when a device wrote (DMA) at that count, before the CPU's instruction there.
/// </summary>
public sealed record WriteHit(ulong Icount, int Cpu, ulong Pc, byte[] Old, byte[] New, bool ByDevice = false);
