namespace Rewind.Core.Input;

/// <summary>
/// The one door through which the outside world reaches the guest. A live run passes host input
/// straight through; a recording run also logs it with the instruction count at which it took effect
/// (docs/recording-format.md); a replaying run ignores the host and feeds the log back at the same
/// counts. Devices never read the host themselves.
/// </summary>
public interface IInputBoundary
{
    /// <summary>
    /// The instruction count of the next input that must be delivered at an exact count (replay), or
    /// <see cref="ulong.MaxValue"/>. The run loop ends slices there.
    /// </summary>
    ulong NextDueIcount { get; }

    /// <summary>Delivers every asynchronous input due at or before <paramref name="icount"/> to its sink.</summary>
    void DeliverDue(ulong icount);

    /// <summary>A synchronous read of the host wall clock in nanoseconds since the Unix epoch (RTC).</summary>
    ulong ReadHostClock(ulong icount);

    /// <summary>
    /// A synchronous read of host entropy (virtio-rng), made by a device at <paramref name="icount"/>:
    /// live from the host, logged when recording (an input on <see cref="InputChannel.Entropy"/>), and
    /// taken from the log when replaying.
    /// </summary>
    void ReadEntropy(ulong icount, Span<byte> destination);

    /// <summary>
    /// Whether disk devices should fingerprint what they read from their images
    /// (<see cref="CheckDiskRead"/>): when recording, and when replaying a recording that has them.
    /// </summary>
    bool ChecksDiskReads => false;

    /// <summary>
    /// A disk device read its base image at <paramref name="icount"/> (<see cref="DiskReadCheck"/>):
    /// a recorder logs the fingerprint on <see cref="InputChannel.DiskRead"/>, a replay compares it
    /// with the recorded one and reports the first differing block as a divergence.
    /// </summary>
    void CheckDiskRead(ulong icount, ReadOnlySpan<byte> fingerprint) { }

    /// <summary>
    /// The instruction count at which recorded history ends (replay), or null when there is no end.
    /// The run loop stops there: past it the machine would need input that nobody recorded.
    /// </summary>
    ulong? HistoryEnd { get; }

    /// <summary>
    /// Every input to come is known ahead (a replay): none can arrive before <see cref="NextDueIcount"/>,
    /// so the run loop may fast-forward a guest that only waits for one (<see cref="Cpu.ICpu.SkipSpins"/>).
    /// A live or recording run's inputs come when the host sends them: its count must not race ahead.
    /// </summary>
    bool InputsKnownAhead => false;

    /// <summary>Where asynchronous inputs go; the board registers its devices here.</summary>
    void Attach(InputChannel channel, IInputSink sink);
}

public enum InputChannel : byte
{
    /// <summary>Bytes typed to the first serial port.</summary>
    Serial0 = 1,
    /// <summary>A power-off or reset request from outside (monitor quit, system_reset, signals).</summary>
    Power = 2,
    /// <summary>A debugger's write to guest memory or a register (GDB `set var`, `set $pc`).</summary>
    DebuggerWrite = 3,
    /// <summary>Host entropy handed to a virtio-rng device; read synchronously (<see cref="IInputBoundary.ReadEntropy"/>).</summary>
    Entropy = 4,
    /// <summary>
    /// Ethernet frames received for the first virtio-net device (one frame per input, without any
    /// framing); the n-th net device, in command-line order, has <c>Net0 + n</c> (<see cref="InputChannels.Net"/>).
    /// </summary>
    Net0 = 16,
    /// <summary>The last net channel: eight net devices at most, one per virtio-mmio slot.</summary>
    NetLast = Net0 + InputChannels.MaxNetDevices - 1,
    /// <summary>
    /// The fingerprint of what a disk device read from its image (<see cref="DiskReadCheck"/>); not an
    /// input but a check, made synchronously (<see cref="IInputBoundary.CheckDiskRead"/>).
    /// </summary>
    DiskRead = 24,
    /// <summary>
    /// Bytes from the host for the first virtio-console port (`-device virtconsole`), like
    /// <see cref="Serial0"/> for the UART; the n-th port, in command-line order, has
    /// <c>VirtConsole0 + n</c> (<see cref="InputChannels.VirtConsole"/>).
    /// </summary>
    VirtConsole0 = 32,
    /// <summary>The last console channel: eight console ports at most.</summary>
    VirtConsoleLast = VirtConsole0 + InputChannels.MaxVirtConsoles - 1,
}

/// <summary>Channels that come in numbered families.</summary>
public static class InputChannels
{
    public const int MaxNetDevices = 8;
    public const int MaxVirtConsoles = 8;

    /// <summary>The channel of the <paramref name="index"/>-th net device (0-based).</summary>
    public static InputChannel Net(int index) =>
        index is >= 0 and < MaxNetDevices ? (InputChannel)((int)InputChannel.Net0 + index) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The net device a channel belongs to, or -1.</summary>
    public static int NetIndex(InputChannel channel) =>
        channel is >= InputChannel.Net0 and <= InputChannel.NetLast ? channel - InputChannel.Net0 : -1;

    /// <summary>The channel of the <paramref name="index"/>-th virtio-console port (0-based, command-line order).</summary>
    public static InputChannel VirtConsole(int index) =>
        index is >= 0 and < MaxVirtConsoles ? (InputChannel)((int)InputChannel.VirtConsole0 + index) : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The virtio-console port a channel belongs to, or -1.</summary>
    public static int VirtConsoleIndex(InputChannel channel) =>
        channel is >= InputChannel.VirtConsole0 and <= InputChannel.VirtConsoleLast ? channel - InputChannel.VirtConsole0 : -1;
}

public interface IInputSink
{
    void Receive(ReadOnlySpan<byte> data);
}
