namespace Rewind.Cli.Host;

/// <summary>Host file errors in the C library's words, without .NET's exception text, for one-line messages.</summary>
public static class HostFileError
{
    /// <summary>Why <paramref name="path"/> could not be opened, created or written.</summary>
    public static string Reason(string path, Exception e)
    {
        if (path.Length == 0) return "empty file name";
        if (Directory.Exists(path)) return "Is a directory";
        return e switch
        {
            DirectoryNotFoundException or FileNotFoundException => "No such file or directory",
            UnauthorizedAccessException => "Permission denied",
            IOException io => Reason(io),
            _ => e.Message,
        };
    }

    /// <summary>The reason of an I/O error, without the " : 'PATH'" .NET appends.</summary>
    public static string Reason(IOException e)
    {
        string message = e.Message;
        int at = message.IndexOf(" : '", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }

    /// <summary>True for the exceptions opening, creating or writing a host file throws.</summary>
    public static bool IsFileError(Exception e) => e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException;
}
