using Rewind.Core.Execution;
using Rewind.Session;

namespace Rewind.Gdb;

/// <summary>
/// GDB's view of a session's <see cref="Debugger"/>: only the protocol's shapes (hex registers, the
/// monitor command) are translated here; what the machine does is the debugger's business.
/// </summary>
public sealed class SessionGdbTarget(Debugger debugger, Func<string, Action<string>?, string> monitor) : IGdbTarget
{
    public Debugger Debugger => debugger;

    /// <summary>The guest ended; the process ends once GDB has been told, unless -no-shutdown.</summary>
    public int? PendingExit => debugger.PendingExit;

    public int HartCount => debugger.CpuCount;
    public bool CanReverse => debugger.CanReverse;
    public MachineStop LastStop => debugger.LastStop;
    public int PcRegister => debugger.Cpu(0).Registers.PcRegister;

    public int GPacketCount(int hart) => debugger.Cpu(hart).Registers.GPacketCount;

    public string? ReadFeature(string annex) => debugger.ReadFeature(annex);

    public string ReadRegisterHex(int hart, int regno) => debugger.ReadRegisterHex(hart, regno);

    public bool WriteRegisterHex(int hart, int regno, string hex)
    {
        if (hex.Length % 2 != 0 || hex.Length > 16) return false;
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        return debugger.WriteRegister(hart, regno, bytes);
    }

    public int ReadMemory(int hart, ulong address, Span<byte> destination) => debugger.ReadMemory(hart, address, destination);

    public int WriteMemory(int hart, ulong address, ReadOnlySpan<byte> source) => debugger.WriteMemory(hart, address, source);

    public bool InsertBreakpoint(BreakKind type, ulong address, ulong length) => debugger.InsertBreakpoint(type, address, length);

    public bool RemoveBreakpoint(BreakKind type, ulong address, ulong length) => debugger.RemoveBreakpoint(type, address, length);

    public MachineStop Resume(DebugAction action, int hart, CancellationToken interrupt) => debugger.Resume(action, hart, interrupt);

    // QEMU's wording: GDB shows it in `info threads` beside the thread.
    public string? DescribeThread(int hart) => debugger.DescribeCpu(hart);

    public string MonitorCommand(string command) => MonitorCommand(command, null);

    public string MonitorCommand(string command, Action<string>? progress)
    {
        debugger.Attach();
        ulong before = debugger.Icount;
        string output = monitor(command, progress);
        // GDB keeps the registers it read before the monitor moved the machine: nothing in the protocol
        // lets a stub tell it otherwise (the rewind_* commands are used through scripts/rewind.py, which flushes).
        if (debugger.Icount != before && !command.TrimStart().StartsWith("rewind_", StringComparison.Ordinal))
            output += $"rewind: the machine is now at instruction {debugger.Icount}, but GDB still shows the registers and frames of before; run 'maintenance flush register-cache' (or move with 'rewind goto', scripts/rewind.py)\n";
        return output;
    }

    public void Kill() => debugger.Kill();

    public void Detach() => debugger.ClientDetaching();

    public void ClientAttached() => debugger.ClientAttached();

    public void ClientLeft() => debugger.ClientLeft();

    public bool Ending => debugger.Ending;

    public void ExitReported() => debugger.ExitReported();
}
