using Rewind.Core.Input;

namespace Rewind.Cli.Host;

/// <summary>
/// Reads the host's standard input on a background thread and hands bytes to the input boundary.
/// On a terminal it reads key by key without echo, as QEMU's -nographic does; Ctrl-A x quits.
/// </summary>
public sealed class StdinPump(LiveInput input, Action quit)
{
    private const byte CtrlA = 1;

    public void Start()
    {
        var t = new Thread(Pump) { IsBackground = true, Name = "stdin" };
        t.Start();
    }

    private void Pump()
    {
        try
        {
            if (Console.IsInputRedirected) PumpStream();
            else PumpTerminal();
        }
        catch (IOException)
        {
            // The terminal went away; the guest simply receives no more input.
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
            input.Enqueue(InputChannel.Serial0, buffer.AsSpan(0, n).ToArray());
    }

    private void PumpTerminal()
    {
        Console.TreatControlCAsInput = true;
        bool escape = false;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            byte b = key.Key == ConsoleKey.Enter ? (byte)'\r' : (byte)key.KeyChar;
            if (escape)
            {
                escape = false;
                if (b == (byte)'x')
                {
                    quit();
                    return;
                }
                if (b != CtrlA) continue;
            }
            else if (b == CtrlA)
            {
                escape = true;
                continue;
            }
            input.Enqueue(InputChannel.Serial0, [b]);
        }
    }
}
