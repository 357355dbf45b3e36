using System.Buffers.Binary;
using System.Text;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Serial;

/// <summary>
/// virtio-console (virtio 1.2 §5.3) as QEMU's virtio-serial-device offers it: MULTIPORT with 31 ports'
/// worth of queues and EMERG_WRITE. Port 0's receive and transmit queues are 0 and 1, the control
/// queues 2 (device to driver) and 3 (driver to device), port n's are 2n+2 and 2n+3. With MULTIPORT the
/// driver learns of the ports through control messages: it says DEVICE_READY, the device answers
/// PORT_ADD for each port; it says PORT_READY for a port, the device answers CONSOLE_PORT (a console
/// port), PORT_NAME (a named one) and PORT_OPEN (a port with a character device); the driver's
/// PORT_OPEN opens or closes its side. Without MULTIPORT only port 0 exists and is open.
/// <para>
/// Host input waits in the port (<see cref="VirtioConsolePort"/>) until the driver has the port open
/// and offers receive buffers; the guest's output goes to the port's <see cref="IConsoleOutput"/>. As in
/// QEMU, a control message finds a receive buffer or is dropped, and output for a port without a
/// character device is discarded. A driver that breaks the rules gets NEEDS_RESET, never an exception.
/// </para>
/// </summary>
public sealed class VirtioConsole : IVirtioDevice
{
    public const int FeatureSize = 0, FeatureMultiport = 1, FeatureEmergencyWrite = 2;
    /// <summary>QEMU's max_ports default: the config space says it, and the device has queues for that many.</summary>
    public const int MaxPorts = 31;
    /// <summary>QEMU's size for every virtio-serial queue.</summary>
    public const int QueueSize = 128;
    public const int ControlReceiveQueue = 2, ControlTransmitQueue = 3;
    /// <summary>struct virtio_console_control: le32 id, le16 event, le16 value.</summary>
    public const int ControlSize = 8;
    private const byte StateLayoutVersion = 1;

    /// <summary>Control events (§5.3.6.2).</summary>
    public const ushort DeviceReady = 0, PortAdd = 1, PortRemove = 2, PortReady = 3, ConsolePort = 4, Resize = 5, PortOpen = 6, PortName = 7;

    private readonly VirtioConsolePort[] _ports;
    // One chain per use: a control message taken from queue 3 is still open while its answers take
    // buffers from queue 2.
    private readonly DescriptorChain _chain = new();
    private readonly DescriptorChain _controlChain = new();
    private readonly DescriptorChain _answerChain = new();
    private readonly byte[] _buffer = new byte[4096];

    public VirtioConsole(IReadOnlyList<VirtioConsolePort> ports)
    {
        if (ports.Count > MaxPorts) throw new ArgumentException($"a virtio-serial device has at most {MaxPorts} ports", nameof(ports));
        if (ports.Select(p => p.Id).Distinct().Count() != ports.Count || ports.Any(p => p.Id >= MaxPorts))
            throw new ArgumentException("port numbers must be distinct and below the maximum", nameof(ports));
        _ports = [.. ports];
        foreach (var p in _ports) p.Device = this;
        QueueSizes = [.. Enumerable.Repeat(QueueSize, 2 * (MaxPorts + 1))];
    }

    /// <summary>The transport the device sits behind; set by the board once both exist (input kicks a receive queue).</summary>
    public VirtioMmioTransport? Transport { get; set; }

    public uint DeviceId => 3;
    public string Kind => "virtio-console";
    public ulong Features => VirtioFeature.Bit(FeatureMultiport) | VirtioFeature.Bit(FeatureEmergencyWrite);
    public IReadOnlyList<int> QueueSizes { get; }
    public IReadOnlyList<VirtioConsolePort> Ports => _ports;
    /// <summary>Control messages that found no receive buffer (the driver set none up).</summary>
    public ulong DroppedControl { get; private set; }

    public static int ReceiveQueue(uint port) => port == 0 ? 0 : 2 * (int)port + 2;
    public static int TransmitQueue(uint port) => ReceiveQueue(port) + 1;

    private bool Negotiated(int feature) => Transport is { } t && (t.NegotiatedFeatures & VirtioFeature.Bit(feature)) != 0;
    private bool Multiport => Negotiated(FeatureMultiport);
    private bool DriverOk => Transport is not { } t || (t.Status & VirtioStatus.DriverOk) != 0;

    /// <summary>Config space (§5.3.4): cols, rows (le16, 0: no SIZE), max_nr_ports (le32), emerg_wr (le32, write-only).</summary>
    public byte ReadConfig(int offset) => offset is >= 4 and < 8 ? (byte)(MaxPorts >> (8 * (offset - 4))) : (byte)0;

    /// <summary>An emergency write (EMERG_WRITE): the byte written to emerg_wr goes to port 0's character device.</summary>
    public void WriteConfig(int offset, byte value)
    {
        // The transport hands a 32-bit write over byte by byte; the character is the low byte, as QEMU takes it.
        if (offset != 8 || value == 0 || !Negotiated(FeatureEmergencyWrite)) return;
        if (Port(0) is { Output: { } output }) output.Write([value]);
    }

    /// <summary>The driver's reset closes every port; host bytes not yet taken stay (QEMU's character device keeps them).</summary>
    public void Reset()
    {
        foreach (var p in _ports) p.GuestConnected = false;
    }

    private VirtioConsolePort? Port(uint id)
    {
        foreach (var p in _ports)
            if (p.Id == id) return p;
        return null;
    }

    /// <summary>Host input reached <paramref name="port"/>: its receive queue is served at this count.</summary>
    internal void InputArrived(VirtioConsolePort port) => Transport?.Kick(ReceiveQueue(port.Id));

    public void Process(int queue, IVirtioQueues queues)
    {
        if (queue == ControlTransmitQueue) HandleControl(queues);
        else if (queue >= 0 && queue != ControlReceiveQueue && queue % 2 == 1) Transmit(queue, queues);
        // Host bytes may be due anywhere now: buffers offered, a port opened, DRIVER_OK set since they came.
        foreach (var p in _ports) FillReceiveBuffers(p, queues);
    }

    /// <summary>Whether the driver has port <paramref name="port"/> and has it open.</summary>
    private bool Open(VirtioConsolePort port) => Multiport ? port.GuestConnected : port.Id == 0;

    private void FillReceiveBuffers(VirtioConsolePort port, IVirtioQueues queues)
    {
        int queue = ReceiveQueue(port.Id);
        if (port.Pending == 0 || !DriverOk || !Open(port) || !queues.IsReady(queue)) return;
        while (port.Pending > 0)
        {
            if (queues.Pop(queue, _chain) != QueuePop.Request) return;
            if (_chain.OutsideRam)
            {
                queues.Fail("virtio-console receive buffer outside RAM");
                return;
            }
            int n = port.TakePending(_buffer.AsSpan(0, (int)Math.Min(_buffer.Length, _chain.WritableLength)));
            int done = _chain.Scatter(queues.Memory, 0, _buffer.AsSpan(0, n));
            queues.Complete(queue, _chain, (uint)done);
        }
    }

    private void Transmit(int queue, IVirtioQueues queues)
    {
        uint id = queue == 1 ? 0 : (uint)(queue - 3) / 2;
        // As QEMU: output for a port that does not exist or has no character device is discarded.
        var output = Port(id)?.Output;
        if (id != 0 && !Multiport) output = null;
        while (queues.Pop(queue, _chain) == QueuePop.Request)
        {
            if (_chain.OutsideRam)
            {
                queues.Fail("virtio-console transmit buffer outside RAM");
                return;
            }
            if (output != null)
            {
                for (long at = 0; at < _chain.ReadableLength;)
                {
                    int n = _chain.Gather(queues.Memory, at, _buffer);
                    if (n == 0) break;
                    output.Write(_buffer.AsSpan(0, n));
                    at += n;
                }
            }
            queues.Complete(queue, _chain, 0);
        }
    }

    private void HandleControl(IVirtioQueues queues)
    {
        Span<byte> message = stackalloc byte[ControlSize];
        while (queues.Pop(ControlTransmitQueue, _controlChain) == QueuePop.Request)
        {
            if (_controlChain.OutsideRam)
            {
                queues.Fail("virtio-console control buffer outside RAM");
                return;
            }
            // As QEMU: a message shorter than the structure is ignored.
            if (_controlChain.Gather(queues.Memory, 0, message) == ControlSize)
                Handle(BinaryPrimitives.ReadUInt32LittleEndian(message), BinaryPrimitives.ReadUInt16LittleEndian(message[4..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(message[6..]), queues);
            queues.Complete(ControlTransmitQueue, _controlChain, 0);
        }
    }

    private void Handle(uint id, ushort evt, ushort value, IVirtioQueues queues)
    {
        if (evt == DeviceReady)
        {
            // Value 0: the driver failed to set itself up; QEMU only reports it.
            if (value == 0) return;
            foreach (var p in _ports) Send(queues, p.Id, PortAdd, 1);
            return;
        }
        // Messages for a port the device does not have are ignored, as QEMU does.
        if (Port(id) is not { } port) return;
        switch (evt)
        {
            case PortReady when value != 0:
                if (port.IsConsole) Send(queues, port.Id, ConsolePort, 1);
                if (port.Name != null) Send(queues, port.Id, PortName, 1, Encoding.UTF8.GetBytes(port.Name));
                if (port.HostConnected) Send(queues, port.Id, PortOpen, 1);
                break;
            case PortOpen:
                port.GuestConnected = value != 0;
                break;
        }
    }

    /// <summary>Sends a control message (with a name, NUL-terminated, after it for PORT_NAME); dropped without a buffer, as QEMU drops it.</summary>
    private void Send(IVirtioQueues queues, uint id, ushort evt, ushort value, byte[]? name = null)
    {
        int length = ControlSize + (name == null ? 0 : name.Length + 1);
        var message = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, id);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), evt);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), value);
        name?.CopyTo(message, ControlSize);
        if (!queues.IsReady(ControlReceiveQueue) || queues.Pop(ControlReceiveQueue, _answerChain) != QueuePop.Request)
        {
            DroppedControl++;
            return;
        }
        if (_answerChain.OutsideRam)
        {
            queues.Fail("virtio-console control receive buffer outside RAM");
            return;
        }
        // As QEMU: a buffer too small for the message gets what fits.
        int done = _answerChain.Scatter(queues.Memory, 0, message);
        queues.Complete(ControlReceiveQueue, _answerChain, (uint)done);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateLayoutVersion);
        writer.Write(_ports.Length);
        foreach (var p in _ports) p.Save(writer);
        writer.Write(DroppedControl);
    }

    public void LoadState(BinaryReader reader)
    {
        byte layout = reader.ReadByte();
        if (layout != StateLayoutVersion) throw new InvalidDataException($"virtio-console state layout {layout} is not known (this build has {StateLayoutVersion})");
        int count = reader.ReadInt32();
        if (count != _ports.Length) throw new InvalidDataException($"virtio-console state has {count} ports, the device {_ports.Length}");
        foreach (var p in _ports) p.Load(reader);
        DroppedControl = reader.ReadUInt64();
    }
}
