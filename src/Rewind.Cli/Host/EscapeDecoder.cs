using System.Text;

namespace Rewind.Cli.Host;

/// <summary>What one byte of console input means once the escape prefix has been decoded.</summary>
public enum EscapeAction
{
    /// <summary>Nothing to do: the escape prefix itself, or an escape command Rewind does not know.</summary>
    None,
    /// <summary>An input byte for whoever has the focus (the guest's serial port or the monitor).</summary>
    Data,
    /// <summary>C-a h (or C-a ?): print the escape keys.</summary>
    Help,
    /// <summary>C-a x: quit.</summary>
    Quit,
    /// <summary>C-a c: switch between the guest console and the monitor.</summary>
    SwitchFocus,
}

public readonly record struct EscapeResult(EscapeAction Action, byte Data = 0)
{
    public static readonly EscapeResult Nothing = new(EscapeAction.None);
}

/// <summary>
/// QEMU's console escape (its stdio multiplexer): Ctrl-A followed by a command letter. The same keys
/// as QEMU: C-a h help, C-a x exit, C-a c console/monitor, C-a C-a sends one C-a. Unknown commands
/// are dropped, as QEMU drops them. A pure state machine, one byte at a time, so it behaves the same
/// on a terminal and on a pipe.
/// </summary>
public sealed class EscapeDecoder(bool monitor)
{
    /// <summary>Ctrl-A, QEMU's default escape character.</summary>
    public const byte EscapeChar = 0x01;

    /// <summary>Whether C-a c switches to a monitor (only when the console is multiplexed with one).</summary>
    public bool Monitor { get; } = monitor;

    /// <summary>True after C-a, while the command letter is awaited.</summary>
    public bool Pending { get; private set; }

    public EscapeResult Feed(byte b)
    {
        if (!Pending)
        {
            if (b != EscapeChar) return new EscapeResult(EscapeAction.Data, b);
            Pending = true;
            return EscapeResult.Nothing;
        }
        Pending = false;
        return b switch
        {
            EscapeChar => new EscapeResult(EscapeAction.Data, EscapeChar),
            (byte)'h' or (byte)'?' => new EscapeResult(EscapeAction.Help),
            (byte)'x' => new EscapeResult(EscapeAction.Quit),
            (byte)'c' when Monitor => new EscapeResult(EscapeAction.SwitchFocus),
            _ => EscapeResult.Nothing,
        };
    }

    /// <summary>The C-a h text, in QEMU's layout, listing only the keys that work here.</summary>
    public string HelpText
    {
        get
        {
            var sb = new StringBuilder("\n");
            sb.Append("C-a h    print this help\n");
            sb.Append("C-a x    exit emulator\n");
            if (Monitor) sb.Append("C-a c    switch between console and monitor\n");
            sb.Append("C-a C-a  sends C-a\n");
            return sb.ToString();
        }
    }
}
