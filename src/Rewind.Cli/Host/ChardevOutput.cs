using Rewind.Board.Devices;
using Rewind.Devices.Serial;

namespace Rewind.Cli.Host;

/// <summary>A virtconsole's output to its character device, through the same host backends as the serial port's (buffered, gated in a replay).</summary>
public sealed class ChardevOutput(ISerialBackend backend) : IConsoleOutput
{
    public void Write(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) backend.Write(b);
    }
}
