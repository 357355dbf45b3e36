using System.Runtime.InteropServices;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Cli.CommandLine;
using Rewind.Cli.Debugging;
using Rewind.Cli.Host;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Gdb;
using Rewind.Monitor.Hmp;
using Rewind.Monitor.Qmp;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;
using Rewind.Session;
using Rewind.Timeline;

namespace Rewind.Cli;

/// <summary>One run of the program: a machine, its console, its recording or replay, and its servers.</summary>
internal sealed class Session : IDisposable
{
    private readonly Options _options;
    private readonly string _serialName;
    private readonly StreamSerial? _serial;
    private readonly MachineAssembly _assembly;
    private readonly IBoard _board;
    private readonly LiveInput? _live;
    private readonly ReplayInput? _replay;
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly List<StreamNetdev> _netdevs = [];
    private readonly List<StreamSerial> _chardevs = [];
    private readonly SocketSerial? _serialSocket;
    private readonly List<(SocketSerial Socket, string Id)> _socketChardevs = [];
    private volatile bool _quit;
    private volatile string? _serialFailure;
    // Replaying under control, the time-travel engine drives the machine (snapshots on the way): from
    // the start with GDB, QMP or -monitor stdio; with only the console's monitor (-nographic), from the
    // first switch to the monitor, so that a replay nobody inspects costs nothing (the first snapshot
    // reads all of RAM). Time travel then reaches back to that point.
    private readonly MachineRunner _runner;

    public Session(Options options)
    {
        _options = options;
        // Like QEMU: -nographic multiplexes the serial console and the monitor on stdio, -monitor stdio
        // takes stdio from the serial console unless -serial says otherwise.
        string serial = _serialName = options.EffectiveSerial;
        ISerialBackend backend;
        if (serial is "stdio" or "mon:stdio")
            backend = _serial = new StreamSerial(Console.OpenStandardOutput());
        else if (serial.StartsWith("file:", StringComparison.Ordinal))
        {
            string path = serial[5..];
            try
            {
                backend = _serial = new StreamSerial(File.Create(path));
            }
            catch (Exception e) when (HostFileError.IsFileError(e))
            {
                throw new SessionException($"-serial {serial}: cannot open: {HostFileError.Reason(path, e)}");
            }
            // A file that fills up (or /dev/full) ends the run with one line, as soon as it happens.
            _serial.WriteFailed += reason =>
            {
                _serialFailure ??= $"-serial {serial}: cannot write: {reason}";
                RequestQuit();
            };
        }
        else if (options.SerialSocket is SocketSpec socket)
            backend = _serialSocket = SocketSerial.Open($"-serial {serial}", socket, Console.Error);
        else backend = new NullSerialBackend();
        if (options.RecordReplay == RunMode.Replay)
        {
            // Going back and replaying again must not print the guest's output a second time.
            backend = new GatedSerial(backend, () => _runner?.Engine is not TimeTravelEngine e || _board!.Machine.Icount >= e.HighWater);
        }

        Dictionary<string, Rewind.Devices.Serial.IConsoleOutput> consoleOutputs;
        try
        {
            consoleOutputs = OpenChardevs(options);
        }
        catch
        {
            _serialSocket?.Dispose();
            throw;
        }

        // A replay needs no peer: the frames come from the recording, and what the guest sends is dropped.
        var peers = new Dictionary<string, Rewind.Devices.Net.INetworkPeer>(StringComparer.Ordinal);
        if (options.RecordReplay != RunMode.Replay) OpenNetdevs(options, peers);

        var boardOptions = new BoardOptions
        {
            RamSize = options.RamSize,
            Smp = options.Smp,
            Bios = options.Bios,
            Kernel = options.Kernel,
            Append = options.Append,
            Initrd = options.Initrd,
            IcountShift = options.IcountShift,
            Serial = backend,
            Arch = options.Arch,
            ArmCpu = options.ArmCpu,
            GicVersion = options.GicVersion,
            Semihosting = options.Semihosting,
            VirtioLegacy = options.VirtioLegacy,
            VirtioDevices = options.VirtioDevices,
            NetPeers = peers,
            ConsoleOutputs = consoleOutputs,
        };
        try
        {
            _assembly = MachineAssembly.Create(new MachineSetup
            {
                Board = boardOptions,
                MachineName = options.Machine,
                Mode = options.RecordReplay,
                RecordFile = options.RecordFile,
                RecordSnapshot = options.RecordSnapshot,
                NoReboot = options.NoReboot,
                Sleep = options.IcountSleep,
            }, FlushSerial, Console.Error);
        }
        catch (Exception e) when (options.RecordFile != null && HostFileError.IsFileError(e))
        {
            // Bios and kernel errors are the board's own messages; what is left is the recording file.
            _serial?.Dispose();
            _serialSocket?.Dispose();
            CloseNetdevs();
            CloseChardevs();
            throw new SessionException($"rrfile={options.RecordFile}: cannot {(options.RecordReplay == RunMode.Record ? "create" : "read")} the recording: {HostFileError.Reason(options.RecordFile, e)}");
        }
        catch
        {
            _serialSocket?.Dispose();
            CloseNetdevs();
            CloseChardevs();
            throw;
        }
        _board = _assembly.Board;
        _live = _assembly.Live;
        if (_live != null) StartNetdevs(options, peers, _live);
        _replay = _assembly.Replay;
        _runner = _assembly.Runner;
    }

    public IBoard Board => _board;

    /// <summary>
    /// Opens each -chardev's host side (a file is created, stdio is standard output): its output for the
    /// virtconsole that names it, gated in a replay like the serial console's.
    /// </summary>
    private Dictionary<string, Rewind.Devices.Serial.IConsoleOutput> OpenChardevs(Options options)
    {
        var outputs = new Dictionary<string, Rewind.Devices.Serial.IConsoleOutput>(StringComparer.Ordinal);
        foreach (var c in options.Chardevs)
        {
            if (c.Socket is SocketSpec spec)
            {
                SocketSerial socket;
                try
                {
                    socket = SocketSerial.Open(c.Origin, spec, Console.Error);
                }
                catch
                {
                    CloseChardevs();
                    throw;
                }
                _socketChardevs.Add((socket, c.Id));
                outputs[c.Id] = new ChardevOutput(options.RecordReplay == RunMode.Replay
                    ? new GatedSerial(socket, () => _runner?.Engine is not TimeTravelEngine e || _board!.Machine.Icount >= e.HighWater)
                    : socket);
                continue;
            }
            StreamSerial stream;
            if (c.Backend == "stdio") stream = new StreamSerial(Console.OpenStandardOutput());
            else if (c.Backend == "file")
            {
                try
                {
                    stream = new StreamSerial(File.Create(c.Path!));
                }
                catch (Exception e) when (HostFileError.IsFileError(e))
                {
                    CloseChardevs();
                    _serial?.Dispose();
                    throw new SessionException($"{c.Origin}: cannot open: {HostFileError.Reason(c.Path!, e)}");
                }
                stream.WriteFailed += reason =>
                {
                    _serialFailure ??= $"{c.Origin}: cannot write: {reason}";
                    RequestQuit();
                };
            }
            else continue;
            _chardevs.Add(stream);
            ISerialBackend backend = stream;
            if (options.RecordReplay == RunMode.Replay)
                backend = new GatedSerial(stream, () => _runner?.Engine is not TimeTravelEngine e || _board!.Machine.Icount >= e.HighWater);
            outputs[c.Id] = new ChardevOutput(backend);
        }
        return outputs;
    }

    private void CloseChardevs()
    {
        foreach (var c in _chardevs) c.Dispose();
        _chardevs.Clear();
        foreach (var (socket, _) in _socketChardevs) socket.Dispose();
        _socketChardevs.Clear();
    }

    /// <summary>
    /// Starts the console sockets: their clients' bytes go to the UART's or the virtconsole's input
    /// channel (live and recording runs; a replay's input is the recording's, so there they are dropped).
    /// </summary>
    private void StartSocketConsoles()
    {
        _serialSocket?.Start(_live, InputChannel.Serial0);
        foreach (var (socket, id) in _socketChardevs)
        {
            var port = _options.VirtioDevices.OfType<SerialDeviceSpec>().SelectMany(d => d.Ports).FirstOrDefault(p => p.Chardev == id);
            socket.Start(port == null ? null : _live, port == null ? default : InputChannels.VirtConsole(port.Index));
        }
    }

    /// <summary>Reads standard input for the virtconsole on a `-chardev stdio` (live and recording runs; a replay's input is the recording's).</summary>
    private void StartStdioChardev()
    {
        if (_live == null || _options.Chardevs.FirstOrDefault(c => c.Backend == "stdio") is not { } stdio) return;
        var port = _options.VirtioDevices.OfType<SerialDeviceSpec>().SelectMany(d => d.Ports).FirstOrDefault(p => p.Chardev == stdio.Id);
        if (port == null) return;
        new StdioMux(_live, escapes: StdinPump.IsTerminal, Console.OpenStandardOutput(), QuitFromConsole, FlushSerial,
            channel: InputChannels.VirtConsole(port.Index)).StartReadingStdin();
    }

    /// <summary>Binds or connects every netdev a NIC uses, before the machine exists: a port in use or a refused connection ends the run here.</summary>
    private void OpenNetdevs(Options options, Dictionary<string, Rewind.Devices.Net.INetworkPeer> peers)
    {
        var used = options.VirtioDevices.OfType<NetDeviceSpec>().Select(n => n.Netdev).ToHashSet(StringComparer.Ordinal);
        try
        {
            foreach (var netdev in options.Netdevs)
            {
                if (!used.Contains(netdev.Id))
                {
                    Console.Error.WriteLine($"rewind: warning: {netdev.Origin}: no NIC uses netdev '{netdev.Id}'; it is not opened");
                    continue;
                }
                var host = StreamNetdev.Open(netdev, Console.Error);
                _netdevs.Add(host);
                peers[netdev.Id] = host;
            }
        }
        catch (SessionException)
        {
            CloseNetdevs();
            throw;
        }
    }

    private static void StartNetdevs(Options options, Dictionary<string, Rewind.Devices.Net.INetworkPeer> peers, LiveInput live)
    {
        foreach (var nic in options.VirtioDevices.OfType<NetDeviceSpec>())
            if (peers.GetValueOrDefault(nic.Netdev) is StreamNetdev host)
                host.Start(live, InputChannels.Net(nic.Index));
    }

    private void CloseNetdevs()
    {
        foreach (var n in _netdevs) n.Dispose();
        _netdevs.Clear();
    }

    public int Run()
    {
        if (_options.DumpDtb is string dtbPath)
        {
            try
            {
                File.WriteAllBytes(dtbPath, _options.Arch == GuestArch.Aarch64
                    ? Rewind.Board.Arm.ArmVirtDeviceTree.Build(_options.RamSize, _options.Append, _options.ArmCpu, _options.Smp, gicVersion: _options.GicVersion)
                    : Rewind.Board.DeviceTree.VirtDeviceTree.Build(new Rewind.Board.DeviceTree.VirtConfig(_options.RamSize, _options.Smp, _options.Append)));
            }
            catch (Exception e) when (HostFileError.IsFileError(e))
            {
                throw new SessionException($"-machine dumpdtb={dtbPath}: cannot write: {HostFileError.Reason(dtbPath, e)}");
            }
            return 0;
        }
        var machine = _board.Machine;
        // A plain stdio console: the guest reads stdin (C-a x quits on a terminal). The multiplexed
        // console starts with the monitor it shares stdio with, in RunControlled.
        if (_live != null && _serialName == "stdio")
            new StdioMux(_live, escapes: StdinPump.IsTerminal, Console.OpenStandardOutput(), QuitFromConsole, FlushSerial)
                .StartReadingStdin();
        StartStdioChardev();
        StartSocketConsoles();
        foreach (var sig in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
            _signals.Add(PosixSignalRegistration.Create(sig, ctx =>
            {
                ctx.Cancel = true;
                RequestQuit();
            }));
        try
        {
            int status;
            if (_options.Gdb != null || _options.QmpSocket != null || _options.EffectiveMonitor == "stdio" || _options.Multiplexed || _options.Timeline != null)
                status = RunControlled(machine);
            else if (_options.StartPaused) throw new SessionException("-S: nothing could start the machine; use it with -s, -gdb, -qmp, -monitor stdio or -nographic");
            else status = _runner.RunAlone(() => _quit);
            if (_serialFailure is string failure) throw new SessionException(failure);
            return status;
        }
        catch (ReplayDivergenceException e)
        {
            _serial?.Flush();
            throw new SessionException(e.Message);
        }
        finally
        {
            if (Host.RunStats.Asked) Host.RunStats.Print(_board, Console.Error);
        }
    }

    /// <summary>
    /// The machine under control of a debugger and/or monitors (GDB, QMP, HMP on stdio): a main loop
    /// that runs it while no one holds it paused, stops at replay breakpoints and at history's end.
    /// </summary>
    private int RunControlled(Machine machine)
    {
        if (_replay != null && (_options.Gdb != null || _options.QmpSocket != null || _options.EffectiveMonitor == "stdio" || _options.Timeline != null))
            _runner.StartTimeTravel(_options.RecordSnapshot);
        var controller = new MachineController(() =>
        {
            _runner.Engine?.Interrupt();
            machine.RequestInterrupt();
        });
        _controller = controller;
        Debugger? debugger = null;
        // A reset (system_reset after a power-off) brings a guest that ended back for the debugger too.
        var vm = _vm = new VmControl(controller, () =>
        {
            string? refused = _runner.Reset();
            if (refused == null) debugger?.NoteReset();
            return refused;
        });
        // A quit (signal, C-a x) that came before there was anything to tell.
        Thread.MemoryBarrier();
        if (_quit) controller.Quit(0);
        var hmp = new HmpCommands(new MonitorContext(machine, _runner.Engine, _runner.Mode, _options.RecordFile, vm));
        if (_options.StartPaused) vm.StartPaused();
        var servers = new List<IDisposable>();
        try
        {
            if (_options.Gdb != null) debugger = StartGdb(hmp, controller, servers).Debugger;
            QmpServer? qmp = null;
            if (_options.QmpSocket is SocketSpec spec) qmp = StartQmp(spec, hmp, vm, servers);
            if (_options.Timeline is int timelinePort) StartTimeline(timelinePort, vm, debugger, servers);
            if (_options.EffectiveMonitor == "stdio") new MonitorStdio(hmp).Start();
            if (_options.Multiplexed) StartMultiplexedConsole(hmp, vm, controller);
            if (qmp != null && _options.QmpSocket!.Wait)
            {
                Console.Error.WriteLine($"rewind: QMP: waiting for a connection on {_options.QmpSocket}");
                qmp.WaitForClient();
            }
            return _runner.RunControlled(controller, vm, debugger, _options.NoShutdown);
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    /// <summary>-serial mon:stdio / -nographic: the guest console and the monitor share stdio (C-a c).</summary>
    private void StartMultiplexedConsole(HmpCommands hmp, VmControl vm, MachineController controller)
    {
        var mux = new StdioMux(_live, escapes: true, Console.OpenStandardOutput(), QuitFromConsole, FlushSerial,
            openMonitor: () =>
            {
                if (_replay == null || _runner.Engine != null) return hmp;
                // Replay breakpoints and seeks may come now: the engine takes over, from here.
                var engine = vm.WithMachineStopped(() => _runner.StartTimeTravel(_options.RecordSnapshot));
                return new HmpCommands(new MonitorContext(_board.Machine, engine, _runner.Mode, _options.RecordFile, vm));
            },
            quitting: () => controller.Quitting);
        mux.StartReadingStdin();
    }

    private void FlushSerial()
    {
        try
        {
            _serial?.Flush();
            foreach (var c in _chardevs) c.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private SessionGdbTarget StartGdb(HmpCommands hmp, MachineController controller, List<IDisposable> servers)
    {
        var debugger = new Debugger(_board.Machine, _runner.Engine, _board.DebuggerWrites, controller)
        {
            Warn = message => Console.Error.WriteLine($"rewind: {message}"),
            GuestEnded = stop =>
            {
                _runner.NoteGuestEnd(stop);
                // -no-shutdown: QEMU's "shutdown" state, which only a reset leaves.
                if (_options.NoShutdown && _options.RecordReplay != RunMode.Record) _vm?.MachineStopped("shutdown");
            },
            // A recording cannot go on past the guest's end: its replay would end there.
            KeepAfterGuestEnd = _options.NoShutdown && _options.RecordReplay != RunMode.Record,
            // A long reverse-continue, step or continue says how it goes, on the emulator's console.
            Progress = p => Console.Error.WriteLine($"rewind: {p}"),
        };
        var target = new SessionGdbTarget(debugger, hmp.Execute);
        string endpoint = _options.Gdb!;
        RspServer server;
        try
        {
            server = new RspServer(target, endpoint);
            server.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new SessionException($"-gdb {endpoint}: cannot listen: {ListeningSocket.Describe(e)}");
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new SessionException($"-gdb {endpoint}: cannot listen: {e.Message}");
        }
        servers.Add(server);
        WarnIfReachable("-gdb", endpoint, server.LocalEndPoint);
        return target;
    }

    /// <summary>-timeline PORT: the timeline page, attached to this replay (a click on it moves the machine).</summary>
    private void StartTimeline(int port, VmControl vm, Debugger? debugger, List<IDisposable> servers)
    {
        try
        {
            var recording = RecordingTimeline.Load(_options.RecordFile!);
            if (recording.IndexNote != null) Console.Error.WriteLine($"rewind: timeline: {recording.IndexNote}");
            var session = new ReplaySession(_board.Machine, _runner.Engine!, vm);
            if (debugger != null) session.Watch(debugger);
            var server = TimelineServer.Start(recording, session, port, note => Console.Error.WriteLine($"rewind: timeline: {note}"));
            servers.Add(server);
            // Ready for the browser before the user opens it, without holding up the replay.
            ThreadPool.QueueUserWorkItem(_ => server.Warm());
            Console.Error.WriteLine($"rewind: timeline at {server.Url}");
        }
        catch (TimelineException e)
        {
            throw new SessionException($"-timeline {port}: {e.Message}");
        }
    }

    private QmpServer StartQmp(SocketSpec spec, HmpCommands hmp, VmControl vm, List<IDisposable> servers)
    {
        var context = new MonitorContext(_board.Machine, _runner.Engine, _runner.Mode, _options.RecordFile, vm);
        var commands = new QmpCommands(context, hmp);
        System.Net.EndPoint endPoint;
        try
        {
            endPoint = spec.IsUnix
                ? new System.Net.Sockets.UnixDomainSocketEndPoint(spec.UnixPath!)
                : new System.Net.IPEndPoint(StreamNetdev.Resolve(spec.Host!), spec.Port);
            var server = new QmpServer(endPoint, commands, vm);
            server.Start();
            servers.Add(server);
            WarnIfReachable("-qmp", _options.Qmp!, server.LocalEndPoint);
            return server;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new SessionException($"-qmp {_options.Qmp}: cannot listen: {ListeningSocket.Describe(e)}");
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new SessionException($"-qmp {_options.Qmp}: cannot listen: {e.Message}");
        }
    }

    /// <summary>A server other hosts can reach can be controlled by anyone on the network: say so, as one line.</summary>
    private static void WarnIfReachable(string option, string value, System.Net.EndPoint? bound)
    {
        if (bound == null || ListeningSocket.IsLocalOnly(bound)) return;
        Console.Error.WriteLine($"rewind: warning: {option} {value}: listening on {bound}, which is not a loopback address; anyone who can reach it controls the machine");
    }

    private volatile MachineController? _controller;
    private volatile VmControl? _vm;

    private void RequestQuit() => RequestQuit("host-signal");

    /// <summary>C-a x on the console (QEMU's SHUTDOWN reason host-ui).</summary>
    private void QuitFromConsole() => RequestQuit("host-ui");

    private void RequestQuit(string reason)
    {
        // First the flag, then the controller: RunControlled sets the controller, then reads the flag.
        _quit = true;
        Thread.MemoryBarrier();
        if (_vm is VmControl vm) vm.Quit(reason);
        else _controller?.Quit(0);
        _board.Machine.RequestInterrupt();
    }

    public void Dispose()
    {
        foreach (var s in _signals) s.Dispose();
        // What the guest sent before it ended still goes out, then the peers see the connection close.
        CloseNetdevs();
        _assembly.Dispose();
        _serial?.Dispose();
        _serialSocket?.Dispose();
        CloseChardevs();
    }
}
