using Rewind.Monitor.Hmp;

namespace Rewind.Cli.Debugging;

/// <summary>
/// -monitor stdio: QEMU's human monitor on the terminal. Reads command lines from standard input on a
/// background thread, prompts with "(qemu) " and prints each command's output.
/// </summary>
internal sealed class MonitorStdio(HmpCommands hmp)
{
    public const string Prompt = "(qemu) ";

    /// <summary>The greeting, in QEMU's words ("QEMU 7.2.0 monitor - type 'help' for more information").</summary>
    public const string Banner = "QEMU 7.2.0 monitor (Rewind) - type 'help' for more information\n";

    public void Start()
    {
        var t = new Thread(Loop) { IsBackground = true, Name = "monitor-stdio" };
        t.Start();
    }

    private void Loop()
    {
        var output = Console.Out;
        try
        {
            output.Write(Banner);
            while (true)
            {
                output.Write(Prompt);
                output.Flush();
                string? line = Console.In.ReadLine();
                if (line == null) break;
                string text = hmp.Execute(line, progress =>
                {
                    output.Write(progress);
                    output.Flush();
                });
                output.Write(text);
                output.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The terminal went away; the machine carries on as QEMU's does.
        }
        output.Flush();
    }
}
