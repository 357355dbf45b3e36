namespace Rewind.Arm64;

/// <summary>
/// Power state, as PSCI (answered by the board) switches it: an off CPU executes nothing and takes no
/// interrupt; to the run loop it is a CPU waiting with nothing that wakes it, so its turns pass idle.
/// The flag is saved by the board's PSCI state, not in the CPU's own section.
/// </summary>
public sealed partial class Arm64Cpu
{
    private bool _off;

    /// <summary>Powered off (a secondary before CPU_ON, or after CPU_OFF).</summary>
    public bool PoweredOff => _off;

    /// <summary>Turns the CPU off: CPU_OFF, or a secondary at machine reset. Its turn ends after the current instruction.</summary>
    public void PowerOff()
    {
        _off = true;
        _waiting = true;
        _wakeRequested = false;
        _exclusiveValid = false;
        RecheckInterrupts();
    }

    /// <summary>
    /// CPU_ON as QEMU's PSCI does it: a CPU reset, then execution at <paramref name="entry"/> in EL1h with
    /// the MMU off and every exception masked, x0 holding <paramref name="contextId"/>.
    /// </summary>
    public void PowerOn(ulong entry, ulong contextId)
    {
        Reset(entry);
        _x[0] = contextId;
        _off = false;
        _wakeRequested = false;
        RecheckInterrupts();
    }

    /// <summary>Waits as WFI does (PSCI CPU_SUSPEND's standby), unless an interrupt is already pending.</summary>
    public void WaitForInterrupt()
    {
        if (!WakeupPending()) _waiting = true;
    }

    /// <summary>Restores the flag from a snapshot (the rest of the CPU comes from its own section).</summary>
    public void RestorePowerState(bool off)
    {
        _off = off;
        RecheckInterrupts();
    }
}
