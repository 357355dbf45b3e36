namespace Rewind.Board.Devices;

/// <summary>Where a UART's transmitted bytes go (console, file, test capture). Output is never logged: replay recomputes it.</summary>
public interface ISerialBackend
{
    void Write(byte b);
}

/// <summary>Discards output, for machines run without a console.</summary>
public sealed class NullSerialBackend : ISerialBackend
{
    public void Write(byte b) { }
}
