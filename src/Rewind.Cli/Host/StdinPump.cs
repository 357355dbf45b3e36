using System.Text;

namespace Rewind.Cli.Host;

/// <summary>
/// Reads the host's standard input on a background thread and hands the bytes on. On a terminal it
/// reads key by key without echo, as QEMU's -nographic does (keys become the bytes a terminal in raw
/// mode would send); from a pipe or file it reads whatever has arrived.
/// </summary>
public sealed class StdinPump(Action<ReadOnlySpan<byte>> received)
{
    /// <summary>True when standard input is a terminal (read key by key).</summary>
    public static bool IsTerminal => !Console.IsInputRedirected;

    public void Start()
    {
        var t = new Thread(Pump) { IsBackground = true, Name = "stdin" };
        t.Start();
    }

    private void Pump()
    {
        try
        {
            if (IsTerminal) PumpTerminal();
            else PumpStream();
        }
        catch (IOException)
        {
            // The terminal went away; no more input.
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void PumpStream()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[256];
        int n;
        while ((n = stdin.Read(buffer, 0, buffer.Length)) > 0)
            received(buffer.AsSpan(0, n));
    }

    private void PumpTerminal()
    {
        Console.TreatControlCAsInput = true;
        while (true)
        {
            var bytes = KeyBytes(Console.ReadKey(intercept: true));
            if (bytes.Length > 0) received(bytes);
        }
    }

    /// <summary>The bytes a terminal sends for a key (VT100/xterm sequences for the cursor keys).</summary>
    public static byte[] KeyBytes(ConsoleKeyInfo key)
    {
        switch (key.Key)
        {
            case ConsoleKey.Enter: return [(byte)'\r'];
            case ConsoleKey.Backspace: return [0x7f];
            case ConsoleKey.UpArrow: return "\e[A"u8.ToArray();
            case ConsoleKey.DownArrow: return "\e[B"u8.ToArray();
            case ConsoleKey.RightArrow: return "\e[C"u8.ToArray();
            case ConsoleKey.LeftArrow: return "\e[D"u8.ToArray();
            case ConsoleKey.Home: return "\e[H"u8.ToArray();
            case ConsoleKey.End: return "\e[F"u8.ToArray();
            case ConsoleKey.Insert: return "\e[2~"u8.ToArray();
            case ConsoleKey.Delete: return "\e[3~"u8.ToArray();
            case ConsoleKey.PageUp: return "\e[5~"u8.ToArray();
            case ConsoleKey.PageDown: return "\e[6~"u8.ToArray();
        }
        char c = key.KeyChar;
        if (c == '\0')
            return key.Key == ConsoleKey.Spacebar || key.Key == ConsoleKey.D2 && key.Modifiers.HasFlag(ConsoleModifiers.Control) ? [0] : [];
        if (c < 0x80) return [(byte)c];
        return char.IsSurrogate(c) ? [] : Encoding.UTF8.GetBytes(c.ToString());
    }
}
