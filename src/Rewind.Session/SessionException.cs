namespace Rewind.Session;

/// <summary>A problem the user can fix (a file, an option, a recording): shown as one line, never a stack trace.</summary>
public sealed class SessionException(string message) : Exception(message);
