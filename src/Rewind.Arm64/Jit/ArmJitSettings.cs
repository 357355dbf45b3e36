namespace Rewind.Arm64.Jit;

/// <summary>
/// The Arm block compiler's settings. Host settings, like the number of host threads: they change how fast
/// the guest runs, never what it does, so they are not part of a recording.
/// </summary>
public static class ArmJitSettings
{
    /// <summary>
    /// Visits from the top of the interpreter's loop before an address's region is compiled. Compiling a
    /// region through the runtime's JIT takes about 2 ms of the compiling thread, as long as interpreting
    /// half a million instructions, so only code that keeps coming back earns it. The arm64 Linux boot to
    /// its prompt (5 alternating runs each, background compiles, 2 cores): median 0.68 s at 2,048, 0.62 s
    /// at 4,096, 0.58 s at 8,192, and 0.72 s at 512; the interpreter alone about 0.68 s. A benchmark's
    /// inner loop reaches any of these within its first millisecond.
    /// </summary>
    public const int DefaultThreshold = 8192;

    /// <summary>
    /// Visits before an address's region is translated to native code (microseconds a region), when the board
    /// has the native tier on. Its bodies stay native: they keep the registers they name most in host registers
    /// and chain to one another, and ran bench_mmu.elf's loop faster than the runtime's JIT did (81 against
    /// 119 ms). A place native code cannot start goes to the runtime's JIT at <see cref="DefaultThreshold"/>.
    /// </summary>
    public const int DefaultNativeThreshold = 64;

    /// <summary>The environment variable that sets the threshold for experiments (shared with RISC-V's).</summary>
    public const string ThresholdVariable = "REWIND_JIT_THRESHOLD";

    public static int ThresholdFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable(ThresholdVariable), out int t) && t >= 1 ? t : DefaultThreshold;
}
