namespace Rewind.Gdb;

/// <summary>Why the target stopped, as reported in a GDB stop reply.</summary>
public enum StopKind { Signal, SoftwareBreakpoint, HardwareBreakpoint, WriteWatch, ReadWatch, AccessWatch, HistoryBegin, HistoryEnd, Exited, Terminated }

/// <summary>A stop: <paramref name="Code"/> is the signal number (5 = SIGTRAP, 2 = SIGINT) or the exit status.</summary>
public readonly record struct StopInfo(StopKind Kind, int Hart = 0, ulong Address = 0, int Code = 5);

/// <summary>The Z/z packet types.</summary>
public enum BreakpointType { Software = 0, Hardware = 1, Write = 2, Read = 3, Access = 4 }

public enum ResumeAction { Continue, Step, ReverseStep, ReverseContinue }

/// <summary>
/// The machine as the GDB server sees it. Harts are GDB threads (thread id = hart index + 1).
/// Every call is made from one session at a time; only <see cref="Resume"/> runs on a worker task.
/// </summary>
public interface IGdbTarget
{
    int HartCount { get; }

    /// <summary>Replay mode: the server advertises ReverseStep+ and ReverseContinue+ and accepts bs/bc.</summary>
    bool CanReverse { get; }

    /// <summary>The most recent stop, answered to '?'.</summary>
    StopInfo LastStop { get; }

    /// <summary>The target description document NAME (target.xml and what it includes), or null.</summary>
    string? ReadFeature(string annex);

    /// <summary>Hex of the register's little-endian bytes, or "" if the register does not exist.</summary>
    string ReadRegisterHex(int hart, int regno);

    bool WriteRegisterHex(int hart, int regno, string hex);

    /// <summary>Debug read (no side effects); returns the number of bytes read.</summary>
    int ReadMemory(int hart, ulong address, Span<byte> destination);

    int WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source);

    bool InsertBreakpoint(BreakpointType type, ulong address, ulong length);

    bool RemoveBreakpoint(BreakpointType type, ulong address, ulong length);

    /// <summary>
    /// Runs until a stop. When <paramref name="interrupt"/> is cancelled (Ctrl-C, or the client went away)
    /// the target stops at the next instruction boundary and returns StopInfo(Signal, Code: 2).
    /// </summary>
    StopInfo Resume(ResumeAction action, int hart, CancellationToken interrupt);

    /// <summary>What `info threads` shows beside a thread (qThreadExtraInfo), or null for "hart N".</summary>
    string? DescribeThread(int hart) => null;

    /// <summary>Runs a 'monitor' command; returns its text output (may be multi-line).</summary>
    string MonitorCommand(string command);

    void Kill();

    void Detach();
}
