using System.Text;

namespace Rewind.Cli.Host;

/// <summary>
/// The monitor's command line when it shares the console with the guest: bytes come one at a time
/// (the terminal is not in line mode), so the editor echoes them itself, as QEMU's readline does.
/// Enter (CR, LF or CR LF) ends a line; Backspace/DEL and Ctrl-U edit it; terminal escape sequences
/// (arrow keys) and other control characters are ignored. Pure: no I/O of its own.
/// </summary>
public sealed class LineEditor
{
    private readonly List<byte> _line = [];
    private bool _afterCr;
    private EscState _esc;

    private enum EscState { None, Esc, Csi }

    /// <summary>The line typed so far (UTF-8).</summary>
    public string Current => Encoding.UTF8.GetString(_line.ToArray());

    public void Clear()
    {
        _line.Clear();
        _afterCr = false;
        _esc = EscState.None;
    }

    /// <summary>
    /// Takes one byte; appends what should be echoed to <paramref name="echo"/>, and returns the
    /// completed line when this byte ended one (otherwise null).
    /// </summary>
    public string? Feed(byte b, List<byte> echo)
    {
        bool afterCr = _afterCr;
        _afterCr = false;
        switch (_esc)
        {
            case EscState.Esc:
                _esc = b is (byte)'[' or (byte)'O' ? EscState.Csi : EscState.None;
                return null;
            case EscState.Csi:
                // Parameters and intermediates run up to a final byte in 0x40..0x7e.
                if (b is >= 0x40 and <= 0x7e) _esc = EscState.None;
                return null;
        }
        switch (b)
        {
            case (byte)'\r':
            case (byte)'\n':
                if (b == (byte)'\n' && afterCr) return null;
                _afterCr = b == (byte)'\r';
                echo.Add((byte)'\n');
                string line = Current;
                _line.Clear();
                return line;
            case 0x7f:
            case 0x08:
                if (RemoveLastChar()) echo.AddRange("\b \b"u8);
                return null;
            case 0x15: // Ctrl-U: kill the line
                while (RemoveLastChar()) echo.AddRange("\b \b"u8);
                return null;
            case 0x1b:
                _esc = EscState.Esc;
                return null;
            case < 0x20:
                return null;
            default:
                _line.Add(b);
                echo.Add(b);
                return null;
        }
    }

    /// <summary>Drops the last character (all bytes of a UTF-8 sequence); false if the line is empty.</summary>
    private bool RemoveLastChar()
    {
        if (_line.Count == 0) return false;
        while (_line.Count > 1 && (_line[^1] & 0xc0) == 0x80) _line.RemoveAt(_line.Count - 1);
        _line.RemoveAt(_line.Count - 1);
        return true;
    }
}
