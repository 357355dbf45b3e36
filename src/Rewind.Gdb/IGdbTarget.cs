using Rewind.Core.Execution;
using Rewind.Session;

namespace Rewind.Gdb;

/// <summary>
/// The machine as the GDB server sees it. Harts are GDB threads (thread id = hart index + 1).
/// Every call is made from one session at a time; only <see cref="Resume"/> runs on a worker task.
/// Stops are the machine's own <see cref="MachineStop"/>: the server turns them into stop replies.
/// </summary>
public interface IGdbTarget
{
    int HartCount { get; }

    /// <summary>Replay mode: the server advertises ReverseStep+ and ReverseContinue+ and accepts bs/bc.</summary>
    bool CanReverse { get; }

    /// <summary>The most recent stop, answered to '?'.</summary>
    MachineStop LastStop { get; }

    /// <summary>GDB's number of the program counter, which 'c ADDR' and 's ADDR' set.</summary>
    int PcRegister { get; }

    /// <summary>How many registers, from number 0, the 'g' packet carries for this hart.</summary>
    int GPacketCount(int hart);

    /// <summary>The target description document NAME (target.xml and what it includes), or null.</summary>
    string? ReadFeature(string annex);

    /// <summary>Hex of the register's little-endian bytes, or "" if the register does not exist.</summary>
    string ReadRegisterHex(int hart, int regno);

    bool WriteRegisterHex(int hart, int regno, string hex);

    /// <summary>Debug read (no side effects); returns the number of bytes read.</summary>
    int ReadMemory(int hart, ulong address, Span<byte> destination);

    int WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source);

    bool InsertBreakpoint(BreakKind type, ulong address, ulong length);

    bool RemoveBreakpoint(BreakKind type, ulong address, ulong length);

    /// <summary>
    /// Runs until a stop. When <paramref name="interrupt"/> is cancelled (Ctrl-C, or the client went away)
    /// the target stops at the next instruction boundary and returns an Interrupted stop.
    /// </summary>
    MachineStop Resume(DebugAction action, int hart, CancellationToken interrupt);

    /// <summary>What `info threads` shows beside a thread (qThreadExtraInfo), or null for "hart N".</summary>
    string? DescribeThread(int hart) => null;

    /// <summary>Runs a 'monitor' command; returns its text output (may be multi-line).</summary>
    string MonitorCommand(string command);

    /// <summary>
    /// The same, telling <paramref name="progress"/> lines of progress while a long command works (on
    /// the command's thread; the server sends them to GDB as they come).
    /// </summary>
    string MonitorCommand(string command, Action<string>? progress) => MonitorCommand(command);

    void Kill();

    /// <summary>GDB's D: the client asks to leave; as in QEMU, the machine runs on once it has gone.</summary>
    void Detach();

    /// <summary>A client connected, before its first packet is read: the machine stops for it.</summary>
    void ClientAttached();

    /// <summary>
    /// The client has gone, however it went (and no run of its own is still going). A machine that
    /// was stopped when it came and that it never resumed stays stopped (-S holds).
    /// </summary>
    void ClientLeft();

    /// <summary>The guest's exit status once it ended (powered off, exited, asked for a reset), or null.</summary>
    int? PendingExit { get; }

    /// <summary>The process is ending: a client gets its last stop reply now (W, or X when the host ends it).</summary>
    bool Ending { get; }

    /// <summary>A client was told that the guest ended (a W stop reply): the process may end now.</summary>
    void ExitReported();
}
