namespace Rewind.Cli.CommandLine;

/// <summary>A command-line mistake: printed as one line, exit status 1.</summary>
public sealed class UsageException(string message) : Exception(message);
