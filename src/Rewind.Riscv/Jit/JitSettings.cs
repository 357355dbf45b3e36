namespace Rewind.Riscv.Jit;

/// <summary>
/// The block compiler's switch. It is a host setting, like the number of host threads: it changes how
/// fast the guest runs, never what it does, so it is not part of a recording.
/// </summary>
public static class JitSettings
{
    /// <summary>
    /// Interpreted visits to a jump target before its block is compiled. The runtime's JIT takes 0.5 to
    /// 1 ms of CPU per block, as long as interpreting some 30,000 to 60,000 instructions. In the
    /// foreground, in CPU time, a Linux boot (61 M instructions) left 71 % of its instructions
    /// interpreted at 16,384 (106 bodies) and 47 % at 4,096 (400 bodies). But in wall time, compiling in
    /// the background on a quiet 2-core machine, 4,096 lost: a 64 MiB dd in Linux (bench/disk.sh) read
    /// 22.9 MB/s at 4,096 against 25.7 at 16,384, and the boot did not get faster. The compiles compete
    /// with the hart for the host, so 16,384 stays. Loops that run millions of times reach it at once.
    /// </summary>
    public const int DefaultThreshold = 16384;

    /// <summary>
    /// Interpreted visits to a jump target before its region is translated to native code
    /// (<see cref="NativeCompiler"/>): a translation costs microseconds, about as long as interpreting a
    /// few thousand instructions, so warm code earns it back.
    /// </summary>
    public const int DefaultNativeThreshold = 64;

    /// <summary>The environment variable that sets the threshold (visits before compiling) for experiments.</summary>
    public const string ThresholdVariable = "REWIND_JIT_THRESHOLD";

    /// <summary>
    /// The threshold: REWIND_JIT_THRESHOLD when it holds a positive number, else
    /// <see cref="DefaultNativeThreshold"/> for a native first tier or <see cref="DefaultThreshold"/>.
    /// </summary>
    public static int ThresholdFromEnvironment(bool native = false) =>
        int.TryParse(Environment.GetEnvironmentVariable(ThresholdVariable), out int t) && t >= 1 ? t
        : native ? DefaultNativeThreshold : DefaultThreshold;

    /// <summary>
    /// Work of a native region, about in instructions, before its IL region is compiled to replace it.
    /// At 2 M, a Linux dd of 64 MiB compiled 21 IL regions, 0.3 s of CPU on the other core, and ran slower
    /// on 2 cores than with none; at 10 M a benchmark's inner loop still moves on within its first 1 %.
    /// </summary>
    public const long DefaultUpgrade = 10_000_000;

    /// <summary>The environment variable that sets the work before a native region moves on to IL, for experiments.</summary>
    public const string UpgradeVariable = "REWIND_JIT_UPGRADE";

    /// <summary>REWIND_JIT_UPGRADE when it holds a positive number, else <see cref="DefaultUpgrade"/>.</summary>
    public static long UpgradeFromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable(UpgradeVariable), out long u) && u >= 1 ? u : DefaultUpgrade;

    /// <summary>The environment variable that turns native code, the first tier, off (0) for experiments.</summary>
    public const string NativeVariable = "REWIND_JIT_NATIVE";

    /// <summary>Whether hot regions are first translated to native code: yes unless REWIND_JIT_NATIVE=0.</summary>
    public static bool NativeFromEnvironment() => Environment.GetEnvironmentVariable(NativeVariable) != "0";

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
