using Rewind.Core.Interrupts;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// What the virt board's devices need of its interrupt controller, GICv2 or GICv3: SPI inputs (the
/// device tree's numbers), each CPU's private peripheral inputs (the timer's PPIs), reset and state.
/// </summary>
public interface IArmGic : IIrqSink, IStateful
{
    int CpuCount { get; }

    /// <summary>CPU <paramref name="cpu"/>'s private peripheral input <paramref name="id"/> (16-31).</summary>
    void SetPpi(int cpu, int id, bool level);

    void Reset();
}
