using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Board.Execution;
using Rewind.Cli.CommandLine;
using Rewind.Cli.Host;
using Rewind.Core.Input;

namespace Rewind.Cli;

/// <summary>One run of the program: a machine, its console, and whatever servers the options ask for.</summary>
internal sealed class Session : IDisposable
{
    private readonly Options _options;
    private readonly StreamSerial? _serial;
    private readonly VirtBoard _board;
    private readonly LiveInput _live;
    private volatile bool _quit;

    public Session(Options options)
    {
        _options = options;
        string serial = options.Serial ?? "stdio";
        ISerialBackend backend;
        if (serial is "stdio" or "mon:stdio")
            backend = _serial = new StreamSerial(Console.OpenStandardOutput());
        else if (serial.StartsWith("file:", StringComparison.Ordinal))
        {
            try
            {
                backend = _serial = new StreamSerial(File.Create(serial[5..]));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SessionException($"-serial {serial}: {e.Message}");
            }
        }
        else backend = new NullSerialBackend();

        _live = new LiveInput();
        _board = VirtBoard.Create(new BoardOptions
        {
            RamSize = options.RamSize,
            Smp = options.Smp,
            Bios = options.Bios,
            Kernel = options.Kernel,
            Append = options.Append,
            IcountShift = options.IcountShift,
            Serial = backend,
            Input = _live,
        });
        _board.Machine.NoReboot = options.NoReboot;
        _board.Machine.Pacer = new WallClockPacer(_live);
    }

    public int Run()
    {
        if (_options.DumpDtb != null)
        {
            File.WriteAllBytes(_options.DumpDtb, Board.DeviceTree.VirtDeviceTree.Build(
                new Board.DeviceTree.VirtConfig(_options.RamSize, _options.Smp, _options.Append)));
            return 0;
        }
        if (_options.Serial is null or "stdio" or "mon:stdio")
            new StdinPump(_live, () => { _quit = true; _board.Machine.RequestInterrupt(); }).Start();
        var machine = _board.Machine;
        while (true)
        {
            var stop = machine.Run(ulong.MaxValue);
            _serial?.Flush();
            switch (stop.Kind)
            {
                case MachineStopKind.Exited:
                    return stop.ExitCode;
                case MachineStopKind.ResetRequested:
                    return 0;
                case MachineStopKind.Interrupted when _quit:
                    return 0;
                case MachineStopKind.Starved:
                    throw new SessionException("the guest waits for an interrupt that can never come");
            }
        }
    }

    public void Dispose() => _serial?.Dispose();
}
