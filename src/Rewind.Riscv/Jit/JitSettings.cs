namespace Rewind.Riscv.Jit;

/// <summary>
/// The block compiler's switch. It is a host setting, like the number of host threads: it changes how
/// fast the guest runs, never what it does, so it is not part of a recording.
/// </summary>
public static class JitSettings
{
    /// <summary>
    /// Interpreted visits to a jump target before its block is compiled. The runtime's JIT takes about
    /// half a millisecond of CPU per block (memory accesses called, not inlined: see
    /// <see cref="BlockCompiler"/>), as long as interpreting some 30,000 instructions. Measured on a
    /// Linux boot (61 M instructions) in CPU time with the compiler in the foreground: at 16,384, 71 % of
    /// the instructions were interpreted (106 bodies); at 4,096, 47 % (400 bodies, 40 ms more of the
    /// runtime's JIT, some 15 M fewer interpreted instructions); at 1,024, 27 % but 1,235 bodies whose
    /// compiling cost more than it saved. Loops that run millions of times (the benchmarks) reach this at once.
    /// </summary>
    public const int DefaultThreshold = 4096;

    /// <summary>The environment variable that sets the threshold (visits before compiling) for experiments.</summary>
    public const string ThresholdVariable = "REWIND_JIT_THRESHOLD";

    /// <summary>The threshold: REWIND_JIT_THRESHOLD when it holds a positive number, else <see cref="DefaultThreshold"/>.</summary>
    public static int ThresholdFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable(ThresholdVariable), out int t) && t >= 1 ? t : DefaultThreshold;

    /// <summary>The environment variable that keeps compiling on the hart's own thread (0) for experiments.</summary>
    public const string BackgroundVariable = "REWIND_JIT_BACKGROUND";

    /// <summary>Whether a board compiles blocks on another thread: yes unless REWIND_JIT_BACKGROUND=0.</summary>
    public static bool BackgroundFromEnvironment() => Environment.GetEnvironmentVariable(BackgroundVariable) != "0";

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
