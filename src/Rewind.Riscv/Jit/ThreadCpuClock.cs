using System.Runtime.InteropServices;

namespace Rewind.Riscv.Jit;

/// <summary>
/// CPU time of the calling thread, for the compiler's counters: unlike wall time it does not grow
/// when other work shares the machine, so compile costs measured with it compare across runs.
/// Host bookkeeping only; 0 where the platform has no such clock.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec time);

    /// <summary>Nanoseconds of CPU this thread has used.</summary>
    public static long Nanoseconds()
    {
        if (!OperatingSystem.IsLinux() || ClockGettime(ClockThreadCpuTime, out var t) != 0) return 0;
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }
}
