using System.Text;
using Rewind.Cli.Debugging;
using Rewind.Core.Input;
using Rewind.Monitor.Hmp;

namespace Rewind.Cli.Host;

/// <summary>
/// Routes console input as QEMU's stdio multiplexer does (-serial mon:stdio, and -nographic by
/// default): bytes go to the guest's serial port or, after C-a c, to the HMP monitor, whose command
/// lines run with the same commands as -monitor stdio. C-a x quits, C-a h lists the keys, C-a C-a
/// sends one C-a. Guest output keeps appearing while the monitor has the focus, as in QEMU.
/// <para>
/// Without a monitor (plain -serial stdio) only a terminal gets the escapes (C-a x to quit); a pipe
/// goes to the guest untouched, as QEMU's plain stdio backend does.
/// </para>
/// <para>
/// Input for the guest still enters through <see cref="LiveInput"/>, the record boundary; when
/// replaying there is no such input (<c>guest</c> is null) and the guest's bytes are dropped, while
/// the escapes and the monitor work as usual.
/// </para>
/// </summary>
public sealed class StdioMux
{
    public const string Terminated = "rewind: terminated\n";

    private readonly LiveInput? _guest;
    private readonly InputChannel _channel;
    private readonly Func<HmpCommands>? _openMonitor;
    private HmpCommands? _hmp;
    private readonly EscapeDecoder? _decoder;
    private readonly LineEditor _editor = new();
    private readonly Stream _out;
    private readonly Action _quit;
    private readonly Action _flushSerial;
    private readonly Func<bool> _quitting;
    private readonly List<byte> _toGuest = [];
    private readonly List<byte> _echo = [];
    private bool _monitorFocus;
    private bool _done;

    /// <param name="guest">The guest's input boundary; null when the guest takes no host input (replay).</param>
    /// <param name="escapes">Whether C-a sequences are decoded (false: every byte goes to the guest).</param>
    /// <param name="output">Where the monitor and the escape messages write (standard output).</param>
    /// <param name="quit">Ends the program (C-a x), exit status 0.</param>
    /// <param name="flushSerial">Pushes out pending guest output before the monitor writes.</param>
    /// <param name="openMonitor">
    /// The monitor sharing the console, asked for the first time C-a c switches to it; null for a
    /// plain stdio console (no C-a c).
    /// </param>
    /// <param name="quitting">True once the program is ending (after the monitor's quit).</param>
    /// <param name="channel">The guest's input channel: the UART's, or a virtconsole's on `-chardev stdio`.</param>
    public StdioMux(LiveInput? guest, bool escapes, Stream output, Action quit, Action flushSerial,
        Func<HmpCommands>? openMonitor = null, Func<bool>? quitting = null, InputChannel channel = InputChannel.Serial0)
    {
        _guest = guest;
        _channel = channel;
        _openMonitor = openMonitor;
        _decoder = escapes ? new EscapeDecoder(monitor: openMonitor != null) : null;
        _out = output;
        _quit = quit;
        _flushSerial = flushSerial;
        _quitting = quitting ?? (() => false);
    }

    /// <summary>True while typed lines go to the monitor rather than to the guest.</summary>
    public bool MonitorFocus => _monitorFocus;

    /// <summary>Reads standard input on a background thread and feeds it here.</summary>
    public void StartReadingStdin() => new StdinPump(data => Feed(data)).Start();

    /// <summary>Handles input bytes in order (one reader thread).</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        if (_done) return;
        foreach (byte b in data)
        {
            if (_decoder == null)
            {
                _toGuest.Add(b);
                continue;
            }
            var r = _decoder.Feed(b);
            switch (r.Action)
            {
                case EscapeAction.Data:
                    if (_monitorFocus) MonitorByte(r.Data);
                    else _toGuest.Add(r.Data);
                    break;
                case EscapeAction.Help:
                    SendToGuest();
                    _flushSerial();
                    Write(_decoder.HelpText);
                    break;
                case EscapeAction.Quit:
                    SendToGuest();
                    _flushSerial();
                    Write(Terminated);
                    _done = true;
                    _quit();
                    return;
                case EscapeAction.SwitchFocus:
                    SendToGuest();
                    SwitchFocus();
                    break;
            }
            if (_done) return;
        }
        SendToGuest();
    }

    private void SendToGuest()
    {
        if (_toGuest.Count == 0) return;
        // Replaying: the guest's input comes from the recording, host keystrokes are not its input.
        _guest?.Enqueue(_channel, _toGuest.ToArray());
        _toGuest.Clear();
    }

    private void SwitchFocus()
    {
        _flushSerial();
        if (_monitorFocus)
        {
            // Leaving the monitor, QEMU ends its line so the guest's output starts on a fresh one.
            _monitorFocus = false;
            _editor.Clear();
            Write("\n");
            return;
        }
        _monitorFocus = true;
        if (_hmp == null)
        {
            _hmp = _openMonitor!();
            Write(MonitorStdio.Banner);
        }
        Write(MonitorStdio.Prompt);
    }

    private void MonitorByte(byte b)
    {
        _echo.Clear();
        string? line = _editor.Feed(b, _echo);
        if (_echo.Count > 0) Write(_echo);
        if (line == null) return;
        string output = _hmp!.Execute(line, progress =>
        {
            _flushSerial();
            Write(progress);
        });
        _flushSerial();
        Write(output);
        if (_quitting())
        {
            _done = true;
            return;
        }
        if (_monitorFocus) Write(MonitorStdio.Prompt);
    }

    private void Write(string text) => Write(Encoding.UTF8.GetBytes(text));

    private void Write(List<byte> bytes) => Write(bytes.ToArray());

    private void Write(byte[] bytes)
    {
        try
        {
            _out.Write(bytes);
            _out.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Standard output went away; input handling carries on.
        }
    }
}
