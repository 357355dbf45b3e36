namespace Rewind.Core.Execution;

public enum PowerAction : byte
{
    None = 0,
    PowerOff = 1,
    Reset = 2,
    ExitWithCode = 3,
}

/// <summary>What the guest asked the machine to do; the run loop carries it out between slices.</summary>
public readonly record struct PowerRequest(PowerAction Action, int Code)
{
    public static PowerRequest None => default;
}

/// <summary>
/// The device through which a guest powers off, resets or exits (RISC-V virt's sifive_test, Arm's PSCI):
/// the machine polls it between slices and knows no device by type.
/// </summary>
public interface IPowerControl
{
    PowerRequest PowerRequest { get; }
    void ClearRequest();
    void Request(PowerRequest request);
}
