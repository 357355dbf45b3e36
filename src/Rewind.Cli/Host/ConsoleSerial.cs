using Rewind.Board.Devices;

namespace Rewind.Cli.Host;

/// <summary>
/// Serial output to a host stream. Buffered, flushed at line ends and when the machine stops, so a
/// chatty guest does not pay a system call per byte.
/// </summary>
public sealed class StreamSerial(Stream stream) : ISerialBackend, IDisposable
{
    private readonly BufferedStream _out = new(stream, 8192);

    public void Write(byte b)
    {
        _out.WriteByte(b);
        if (b == (byte)'\n') _out.Flush();
    }

    public void Flush() => _out.Flush();

    public void Dispose() => _out.Dispose();
}
