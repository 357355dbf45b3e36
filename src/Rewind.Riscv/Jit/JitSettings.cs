namespace Rewind.Riscv.Jit;

/// <summary>
/// The block compiler's switch. It is a host setting, like the number of host threads: it changes how
/// fast the guest runs, never what it does, so it is not part of a recording.
/// </summary>
public static class JitSettings
{
    /// <summary>Interpreted visits to a jump target before its block is compiled.</summary>
    public const int DefaultThreshold = 64;

    /// <summary>The environment variable that turns the compiler on (1) or off (0) when no option says.</summary>
    public const string EnvironmentVariable = "REWIND_JIT";

    /// <summary>Whether the compiler is on by default: REWIND_JIT=0 or 1 overrides the built-in default.</summary>
    public static bool EnabledByDefault() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) switch
        {
            "0" => false,
            "1" => true,
            _ => BuiltInDefault,
        };

    /// <summary>On unless the environment says otherwise.</summary>
    public const bool BuiltInDefault = true;
}
