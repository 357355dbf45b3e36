namespace Rewind.Board.Devices;

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
