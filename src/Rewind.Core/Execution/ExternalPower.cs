using Rewind.Core.Input;

namespace Rewind.Core.Execution;

/// <summary>
/// Reset requests from outside the guest (monitor `system_reset`, QMP) as machine inputs: they cross
/// the record/replay boundary on <see cref="InputChannel.Power"/>, so a replay resets at the same count.
/// </summary>
public sealed class ExternalPower(Machine machine) : IInputSink
{
    public const byte ResetRequest = 1;

    public void Receive(ReadOnlySpan<byte> data)
    {
        if (data.Length != 1 || data[0] != ResetRequest) return;
        // As a guest-requested reset: with -no-reboot the run ends, otherwise the machine restarts now,
        // so a debugger or monitor looking at the stopped machine sees the reset state at once.
        if (machine.NoReboot) machine.Power?.Request(new PowerRequest(PowerAction.Reset, 0));
        else machine.OnReset?.Invoke();
    }
}
