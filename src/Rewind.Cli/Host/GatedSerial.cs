using Rewind.Board.Devices;

namespace Rewind.Cli.Host;

/// <summary>Passes serial output on only while <paramref name="open"/> says so (new, never-shown history).</summary>
public sealed class GatedSerial(ISerialBackend inner, Func<bool> open) : ISerialBackend
{
    public void Write(byte b)
    {
        if (open()) inner.Write(b);
    }
}
