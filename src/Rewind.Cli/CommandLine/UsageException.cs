using System.Globalization;
using System.Text;

namespace Rewind.Cli.CommandLine;

/// <summary>
/// A command-line mistake: printed as one line, exit status 1. Control characters from the arguments
/// it quotes (a newline, an escape sequence) are shown as \xNN, so the message stays one line and
/// cannot drive the terminal.
/// </summary>
public sealed class UsageException(string message) : Exception(Printable(message))
{
    private static string Printable(string message)
    {
        if (!message.Any(char.IsControl)) return message;
        var sb = new StringBuilder(message.Length + 16);
        foreach (char c in message)
        {
            if (char.IsControl(c)) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
