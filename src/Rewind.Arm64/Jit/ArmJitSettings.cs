namespace Rewind.Arm64.Jit;

/// <summary>
/// The Arm block compiler's settings. Host settings, like the number of host threads: they change how fast
/// the guest runs, never what it does, so they are not part of a recording.
/// </summary>
public static class ArmJitSettings
{
    /// <summary>
    /// Visits from the top of the interpreter's loop before an address's region is compiled. Compiling a
    /// region through the runtime's JIT takes about a millisecond, as long as interpreting a few hundred
    /// thousand instructions, so only code that keeps coming back earns it.
    /// </summary>
    public const int DefaultThreshold = 2048;

    /// <summary>The environment variable that sets the threshold for experiments (shared with RISC-V's).</summary>
    public const string ThresholdVariable = "REWIND_JIT_THRESHOLD";

    public static int ThresholdFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable(ThresholdVariable), out int t) && t >= 1 ? t : DefaultThreshold;
}
