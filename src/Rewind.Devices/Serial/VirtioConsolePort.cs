using Rewind.Core.Input;

namespace Rewind.Devices.Serial;

/// <summary>
/// One port of a virtio-console device (QEMU's `-device virtconsole`): its number on the device, its
/// name, its host side, and what it keeps as machine state: whether the guest has opened it and the
/// host bytes the guest has not taken yet. Host input arrives through the input boundary on the port's
/// own channel (<see cref="IInputSink"/>), so it is logged when recording and comes from the log when
/// replaying.
/// </summary>
public sealed class VirtioConsolePort : IInputSink
{
    /// <summary>Host bytes kept for a port the guest is not reading; more are dropped (<see cref="Dropped"/>).</summary>
    public const int MaxPending = 64 * 1024;

    private readonly Queue<byte> _pending = new();

    /// <param name="id">The port number the driver sees (0: the console port older drivers know without MULTIPORT).</param>
    /// <param name="isConsole">A console port (virtconsole): the driver makes it an hvc console.</param>
    /// <param name="name">name=: the name the driver is told (/sys/class/virtio-ports/…/name), or null.</param>
    /// <param name="output">The character device's output, or null when the port has none (the host is not connected).</param>
    public VirtioConsolePort(uint id, bool isConsole, string? name, IConsoleOutput? output)
    {
        Id = id;
        IsConsole = isConsole;
        Name = name;
        Output = output;
    }

    public uint Id { get; }
    public bool IsConsole { get; }
    public string? Name { get; }
    public IConsoleOutput? Output { get; }
    /// <summary>A character device is attached: the driver is told the host side is open.</summary>
    public bool HostConnected => Output != null;

    /// <summary>The driver opened the port (VIRTIO_CONSOLE_PORT_OPEN); only then does host input reach it.</summary>
    public bool GuestConnected { get; internal set; }
    public int Pending => _pending.Count;
    public ulong Received { get; internal set; }
    public ulong Dropped { get; internal set; }

    /// <summary>The device this port is on (set by the device).</summary>
    internal VirtioConsole? Device { get; set; }

    /// <summary>Host bytes, delivered by the input boundary at their count (between slices).</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        Received += (ulong)data.Length;
        foreach (byte b in data)
        {
            if (_pending.Count >= MaxPending)
            {
                Dropped++;
                continue;
            }
            _pending.Enqueue(b);
        }
        Device?.InputArrived(this);
    }

    internal int TakePending(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _pending.Count);
        for (int i = 0; i < n; i++) destination[i] = _pending.Dequeue();
        return n;
    }

    internal void Save(BinaryWriter writer)
    {
        writer.Write(GuestConnected);
        writer.Write(_pending.Count);
        foreach (byte b in _pending) writer.Write(b);
        writer.Write(Received);
        writer.Write(Dropped);
    }

    internal void Load(BinaryReader reader)
    {
        GuestConnected = reader.ReadBoolean();
        int count = reader.ReadInt32();
        if (count < 0 || count > MaxPending) throw new InvalidDataException($"virtio-console port {Id} state holds {count} waiting bytes (at most {MaxPending})");
        byte[] bytes = reader.ReadBytes(count);
        if (bytes.Length != count) throw new InvalidDataException($"virtio-console port {Id} state ends inside its waiting bytes");
        _pending.Clear();
        foreach (byte b in bytes) _pending.Enqueue(b);
        Received = reader.ReadUInt64();
        Dropped = reader.ReadUInt64();
    }
}
