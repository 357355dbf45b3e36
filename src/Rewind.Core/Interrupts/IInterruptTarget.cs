namespace Rewind.Core.Interrupts;

/// <summary>
/// A hart's interrupt-pending inputs (the mip bits driven by hardware: MSIP 3, MTIP 7, MEIP 11,
/// SEIP 9, SSIP 1, STIP 5). Interrupt controllers drive them; the hart samples them between instructions.
/// </summary>
public interface IInterruptTarget
{
    void SetInterruptPending(int mipBit, bool level);
}
