using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Gdb;
using Rewind.Monitor.Hmp;
using Rewind.Monitor.Qmp;
using Rewind.Session;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// A running machine wired as ./rewind wires it under a debugger and monitors: uart_echo live, or a
/// replay of its recording under the time-travel engine; the main loop (MachineRunner.RunControlled) on
/// its own thread; GDB's target, HMP and QMP commands over the same controller. Sessions of the
/// protocols under test are opened on in-memory streams.
/// </summary>
public sealed class MachineRig : IDisposable
{
    private readonly MachineAssembly _assembly;
    private readonly MachineController _controller;
    private readonly Thread _mainLoop;
    private readonly string? _file;

    public MachineRig(bool replay)
    {
        if (replay)
        {
            _file = Path.Combine(Path.GetTempPath(), $"rewind-fuzz-{Guid.NewGuid():N}.rr");
            File.WriteAllBytes(_file, RecordingFuzzTests.PlainRecording);
        }
        _assembly = MachineAssembly.Create(new MachineSetup
        {
            Board = new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("uart_echo"), IcountShift = 3, Serial = new NullSerialBackend() },
            Mode = replay ? RunMode.Replay : RunMode.None,
            RecordFile = _file,
        }, () => { }, TextWriter.Null);
        var machine = _assembly.Machine;
        var engine = replay ? _assembly.Runner.StartTimeTravel() : null;
        _controller = new MachineController(() =>
        {
            _assembly.Runner.Engine?.Interrupt();
            machine.RequestInterrupt();
        });
        Vm = new VmControl(_controller, _assembly.Runner.Reset);
        Hmp = new HmpCommands(new MonitorContext(machine, engine, _assembly.Runner.Mode, _file, Vm));
        Qmp = new QmpCommands(new MonitorContext(machine, engine, _assembly.Runner.Mode, _file, Vm), Hmp);
        Debugger = new Debugger(machine, engine, _assembly.Board.DebuggerWrites, _controller)
        {
            GuestEnded = _assembly.Runner.NoteGuestEnd,
            // As -no-shutdown, which RunControlled gets below: a guest that powers off stays for the next input.
            KeepAfterGuestEnd = true,
        };
        Target = new SessionGdbTarget(Debugger, Hmp.Execute);
        _mainLoop = new Thread(() =>
        {
            try
            {
                MainLoopStatus = _assembly.Runner.RunControlled(_controller, Vm, Debugger, noShutdown: true);
            }
            catch (Exception e)
            {
                MainLoopError = e;
            }
        })
        { IsBackground = true, Name = "fuzz-main-loop" };
        _mainLoop.Start();
    }

    public Machine Machine => _assembly.Machine;
    public VmControl Vm { get; }
    public HmpCommands Hmp { get; }
    public QmpCommands Qmp { get; }
    public Debugger Debugger { get; }
    public SessionGdbTarget Target { get; }
    public int? MainLoopStatus { get; private set; }

    /// <summary>True while the debugger runs the machine (a continue or step in progress).</summary>
    public bool Debugging => _controller.Driving;

    /// <summary>What ended the main loop other than a status: in ./rewind, a message or an internal error.</summary>
    public Exception? MainLoopError { get; private set; }

    /// <summary>
    /// False once something quit the machine (quit, kill): the fuzzer then builds a new one. Quitting counts
    /// at once: the main loop may take a moment to end, and a session opened meanwhile would only be told
    /// that the process ends (seen once in CI under load).
    /// </summary>
    public bool Alive => _mainLoop.IsAlive && !_controller.Quitting;

    /// <summary>As ./rewind does when a GDB session ends: the pending exit ends the run, otherwise the machine runs on.</summary>
    public void GdbSessionEnded()
    {
        if (Target.PendingExit is int code) _controller.Quit(code);
        else if (!_controller.Quitting) _controller.Unpause();
    }

    public void Dispose()
    {
        _controller.Quit(0);
        _mainLoop.Join(TimeSpan.FromSeconds(20));
        _assembly.Dispose();
        if (_file != null) File.Delete(_file);
    }
}
