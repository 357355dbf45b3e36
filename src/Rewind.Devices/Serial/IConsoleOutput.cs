namespace Rewind.Devices.Serial;

/// <summary>
/// Where a console port's output goes: the host side of its character device (stdout, a file), set by
/// the front end. Output is not input: it never changes the machine, so it is not recorded, and a
/// replay computes it again.
/// </summary>
public interface IConsoleOutput
{
    /// <summary>Bytes the guest wrote to the port. Must not block the run loop.</summary>
    void Write(ReadOnlySpan<byte> data);
}

/// <summary>A character device that takes output and keeps none of it (QEMU's `-chardev null`).</summary>
public sealed class DiscardingConsoleOutput : IConsoleOutput
{
    public static readonly DiscardingConsoleOutput Instance = new();

    public void Write(ReadOnlySpan<byte> data) { }
}
