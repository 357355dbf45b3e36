namespace Rewind.Monitor.Qmp;

/// <summary>A command failed: QMP's error reply with its class ("GenericError", "CommandNotFound"...).</summary>
public sealed class QmpException(string errorClass, string description) : Exception(description)
{
    public string ErrorClass { get; } = errorClass;

    public static QmpException Generic(string description) => new("GenericError", description);
}
