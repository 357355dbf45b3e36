using System.Buffers.Binary;
using System.Text;
using Rewind.Arm64;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Arm;

/// <summary>
/// What QEMU answers outside the guest on its Arm virt board: semihosting calls (HLT #0xF000, with
/// -semihosting-config enable=on) and PSCI calls (HVC), and through both the guest's power requests.
/// Console output goes to the serial backend; console input (SYS_READC) is the bytes typed on the
/// first serial port, which reach it only through the input boundary; the host clock (SYS_TIME) is
/// read once through the boundary and then follows virtual time. PSCI itself is <see cref="ArmPsci"/>.
/// </summary>
public sealed class ArmFirmware : IArmFirmware, IPowerControl, IInputSink, IStateful
{
    public const uint SysOpen = 0x01, SysClose = 0x02, SysWriteC = 0x03, SysWrite0 = 0x04, SysWrite = 0x05, SysRead = 0x06;
    public const uint SysReadC = 0x07, SysIsError = 0x08, SysIsTty = 0x09, SysSeek = 0x0a, SysFlen = 0x0c;
    public const uint SysClock = 0x10, SysTime = 0x11, SysErrno = 0x13, SysGetCmdline = 0x15, SysHeapInfo = 0x16;
    public const uint SysExit = 0x18, SysExitExtended = 0x20, SysElapsed = 0x30, SysTickFreq = 0x31;
    /// <summary>SYS_EXIT's reason for a normal end of the application (ADP_Stopped_ApplicationExit).</summary>
    public const ulong ApplicationExit = 0x20026;
    private const int MaxQueuedInput = 4096;
    private const long EBadF = 9, ENoEnt = 2, ENoSys = 38;

    private readonly ISerialBackend _console;
    private readonly IRunControl _run;
    private readonly IInputBoundary _input;
    private readonly Queue<byte> _consoleInput = new();
    private bool _anchored;
    private ulong _hostAnchorNs, _virtualAnchorNs;
    private long _errno;

    public ArmFirmware(ISerialBackend console, IRunControl run, IInputBoundary input, bool semihosting)
    {
        _console = console;
        _run = run;
        _input = input;
        SemihostingEnabled = semihosting;
    }

    public bool SemihostingEnabled { get; }
    /// <summary>SYS_GET_CMDLINE's answer: the kernel's name and -append, as QEMU builds it.</summary>
    public string CommandLine { get; set; } = "";
    /// <summary>SYS_HEAPINFO's answer: heap base and limit, stack base and limit.</summary>
    public (ulong HeapBase, ulong HeapLimit, ulong StackBase, ulong StackLimit) HeapInfo { get; set; }
    /// <summary>The CPUs, woken when input arrives (one of them may be waiting in SYS_READC).</summary>
    public IReadOnlyList<Arm64Cpu> Cpus { get; set; } = [];
    /// <summary>Answers HVC's PSCI calls.</summary>
    public ArmPsci? PsciHandler { get; set; }

    public PowerRequest PowerRequest { get; private set; }

    public void ClearRequest() => PowerRequest = PowerRequest.None;

    public void Request(PowerRequest request)
    {
        PowerRequest = request;
        _run.EndSlice();
    }

    /// <summary>Bytes typed on the serial console: SYS_READC reads them (the PL011 gets them too).</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        if (!SemihostingEnabled) return;
        foreach (byte b in data)
            if (_consoleInput.Count < MaxQueuedInput) _consoleInput.Enqueue(b);
        foreach (var c in Cpus) c.Wake();
    }

    /// <summary>PSCI calls (HVC) go to the board's PSCI implementation; without one HVC is undefined.</summary>
    public bool Psci(Arm64Cpu cpu) => PsciHandler?.Call(cpu) ?? false;

    public bool Semihosting(Arm64Cpu cpu)
    {
        uint op = (uint)cpu.GetX(0);
        ulong arg = cpu.GetX(1);
        long result;
        switch (op)
        {
            case SysWriteC:
                _console.Write(ReadByte(cpu, arg));
                return true; // x0 is unchanged, as the specification says
            case SysWrite0:
                for (ulong a = arg; ; a++)
                {
                    byte b = ReadByte(cpu, a);
                    if (b == 0) break;
                    _console.Write(b);
                }
                return true;
            case SysWrite:
                {
                    ulong handle = Word(cpu, arg, 0), buffer = Word(cpu, arg, 1), length = Word(cpu, arg, 2);
                    if (handle is < 1 or > 3) { _errno = EBadF; result = (long)length; break; }
                    for (ulong i = 0; i < length; i++) _console.Write(ReadByte(cpu, buffer + i));
                    result = 0;
                    break;
                }
            case SysReadC:
                if (_consoleInput.Count == 0) return false; // wait for a byte, then run the call again
                result = _consoleInput.Dequeue();
                break;
            case SysRead:
                {
                    // Console reads take what has arrived (at least one byte, waiting for it); the rest is EOF.
                    ulong handle = Word(cpu, arg, 0), buffer = Word(cpu, arg, 1), length = Word(cpu, arg, 2);
                    if (handle != 1) { _errno = EBadF; result = -1; break; }
                    if (length == 0) { result = 0; break; }
                    if (_consoleInput.Count == 0) return false;
                    ulong n = 0;
                    while (n < length && _consoleInput.Count > 0)
                    {
                        Span<byte> one = [_consoleInput.Peek()];
                        if (cpu.DebugWrite(buffer + n, one) != 1) break;
                        _consoleInput.Dequeue();
                        n++;
                    }
                    result = (long)(length - n);
                    break;
                }
            case SysOpen:
                {
                    // Only the console (":tt") exists: read modes give stdin (1), write modes stdout (2), append stderr (3).
                    ulong name = Word(cpu, arg, 0), mode = Word(cpu, arg, 1);
                    string path = ReadString(cpu, name, 256);
                    if (path == ":tt") result = mode < 4 ? 1 : mode < 8 ? 2 : 3;
                    else { _errno = ENoEnt; result = -1; }
                    break;
                }
            case SysClose: result = 0; break;
            case SysIsError: result = (long)Word(cpu, arg, 0) < 0 ? 1 : 0; break;
            case SysIsTty: result = Word(cpu, arg, 0) is >= 1 and <= 3 ? 1 : 0; break;
            case SysSeek: _errno = EBadF; result = -1; break;
            case SysFlen: _errno = EBadF; result = -1; break;
            case SysClock: result = (long)(_run.Clock.NanosecondsAt(_run.Icount) / 10_000_000); break;
            case SysTime: result = (long)(HostNanoseconds() / 1_000_000_000); break;
            case SysElapsed:
                WriteWord(cpu, arg, 0, _run.Clock.NanosecondsAt(_run.Icount));
                result = 0;
                break;
            case SysTickFreq: result = 1_000_000_000; break;
            case SysErrno: result = _errno; break;
            case SysGetCmdline:
                {
                    ulong buffer = Word(cpu, arg, 0), size = Word(cpu, arg, 1);
                    byte[] text = Encoding.UTF8.GetBytes(CommandLine + "\0");
                    if ((ulong)text.Length > size) { result = -1; break; }
                    cpu.DebugWrite(buffer, text);
                    WriteWord(cpu, arg, 1, (ulong)text.Length - 1);
                    result = 0;
                    break;
                }
            case SysHeapInfo:
                {
                    ulong block = Word(cpu, arg, 0);
                    var h = HeapInfo;
                    WriteWord(cpu, block, 0, h.HeapBase);
                    WriteWord(cpu, block, 1, h.HeapLimit);
                    WriteWord(cpu, block, 2, h.StackBase);
                    WriteWord(cpu, block, 3, h.StackLimit);
                    result = 0;
                    break;
                }
            case SysExit:
            case SysExitExtended:
                {
                    // On A64 the argument is a block {reason, subcode}; an application exit gives the subcode.
                    ulong reason = Word(cpu, arg, 0), code = Word(cpu, arg, 1);
                    int status = reason == ApplicationExit ? (int)code : 1;
                    Request(new PowerRequest(PowerAction.ExitWithCode, status));
                    return true;
                }
            default:
                _errno = ENoSys;
                result = -1;
                break;
        }
        cpu.SetX(0, (ulong)result);
        return true;
    }

    private ulong HostNanoseconds()
    {
        ulong icount = _run.Icount;
        ulong virtualNs = _run.Clock.NanosecondsAt(icount);
        if (!_anchored)
        {
            _hostAnchorNs = _input.ReadHostClock(icount);
            _virtualAnchorNs = virtualNs;
            _anchored = true;
        }
        return _hostAnchorNs + (virtualNs - _virtualAnchorNs);
    }

    private static byte ReadByte(Arm64Cpu cpu, ulong address)
    {
        Span<byte> b = stackalloc byte[1];
        return cpu.DebugRead(address, b) == 1 ? b[0] : (byte)0;
    }

    private static string ReadString(Arm64Cpu cpu, ulong address, int max)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < max; i++)
        {
            byte b = ReadByte(cpu, address + (ulong)i);
            if (b == 0) break;
            sb.Append((char)b);
        }
        return sb.ToString();
    }

    private static ulong Word(Arm64Cpu cpu, ulong block, int index)
    {
        Span<byte> b = stackalloc byte[8];
        return cpu.DebugRead(block + (ulong)(8 * index), b) == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
    }

    private static void WriteWord(Arm64Cpu cpu, ulong block, int index, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        cpu.DebugWrite(block + (ulong)(8 * index), b);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write((byte)PowerRequest.Action);
        writer.Write(PowerRequest.Code);
        writer.Write(_anchored);
        writer.Write(_hostAnchorNs);
        writer.Write(_virtualAnchorNs);
        writer.Write(_errno);
        writer.Write(_consoleInput.Count);
        foreach (byte b in _consoleInput) writer.Write(b);
    }

    public void LoadState(BinaryReader reader)
    {
        var action = (PowerAction)reader.ReadByte();
        PowerRequest = new PowerRequest(action, reader.ReadInt32());
        _anchored = reader.ReadBoolean();
        _hostAnchorNs = reader.ReadUInt64();
        _virtualAnchorNs = reader.ReadUInt64();
        _errno = reader.ReadInt64();
        _consoleInput.Clear();
        int n = reader.ReadInt32();
        if (n < 0 || n > MaxQueuedInput) throw new InvalidDataException($"semihosting state holds {n} input bytes");
        for (int i = 0; i < n; i++) _consoleInput.Enqueue(reader.ReadByte());
    }
}
