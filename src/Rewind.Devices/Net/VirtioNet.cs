using System.Buffers.Binary;
using Rewind.Core.Input;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Net;

/// <summary>
/// virtio-net (virtio 1.2 §5.1) with one receive and one transmit queue, a MAC address and a link
/// that is always up. Received frames come through the input boundary (<see cref="IInputSink"/> on a
/// net channel), so they are logged with their counts when recording and come from the log when
/// replaying; the device keeps the ones the driver has no buffer for yet, in its state, and fills
/// buffers at the count the frame was delivered at or, later, when the driver offers buffers. Frames
/// the guest transmits go to the <see cref="INetworkPeer"/>, which also hears of every received frame the
/// device lets go of (<see cref="INetworkPeer.FrameReleased"/>): a live host reads no more than
/// <see cref="MaxPending"/> frames ahead of the driver, as QEMU stops reading its socket while the guest
/// offers no buffers, so no frame is lost. What reaches the device, and when, is the input boundary's
/// alone, so a replay (whose frames come from the log) needs neither the peer nor its pacing.
/// </summary>
public sealed class VirtioNet : IVirtioDevice, IInputSink
{
    public const int ReceiveQueue = 0, TransmitQueue = 1;
    /// <summary>QEMU's default queue size for both queues.</summary>
    public const int QueueSize = 256;
    public const int FeatureMac = 5, FeatureStatus = 16, FeatureMergeableRxBuffers = 15;
    public const ushort StatusLinkUp = 1;
    /// <summary>The virtio_net_hdr: 10 bytes for a legacy driver, 12 (with num_buffers) for a VERSION_1 one.</summary>
    public const int LegacyHeaderSize = 10, HeaderSize = 12;
    /// <summary>
    /// Frames the device holds for the driver. A host that follows <see cref="INetworkPeer.FrameReleased"/>
    /// never hands it more; if one did, the rest would be dropped (counted in <see cref="Dropped"/>).
    /// </summary>
    public const int MaxPending = 256;
    /// <summary>The largest frame accepted in either direction (QEMU's NET_BUFSIZE less its headroom: 64 KiB).</summary>
    public const int MaxFrame = 65536;
    private const byte StateLayoutVersion = 1;

    private readonly DescriptorChain _chain = new();
    private readonly byte[] _mac;
    private readonly INetworkPeer _peer;
    private readonly Queue<byte[]> _pending = new();
    private readonly byte[] _txBuffer = new byte[HeaderSize + MaxFrame];
    private readonly byte[] _rxHeader = new byte[HeaderSize];

    public VirtioNet(ReadOnlySpan<byte> mac, INetworkPeer? peer)
    {
        if (mac.Length != 6) throw new ArgumentException("a MAC address has 6 bytes", nameof(mac));
        _mac = mac.ToArray();
        _peer = peer ?? DroppingPeer.Instance;
    }

    /// <summary>The transport the device sits behind; set by the board once both exist (the device kicks its receive queue).</summary>
    public VirtioMmioTransport? Transport { get; set; }

    public uint DeviceId => 1;
    public string Kind => "virtio-net";
    public ulong Features => VirtioFeature.Bit(FeatureMac) | VirtioFeature.Bit(FeatureStatus);
    public IReadOnlyList<int> QueueSizes { get; } = [QueueSize, QueueSize];
    public ReadOnlySpan<byte> Mac => _mac;

    /// <summary>Frames received and not yet given to the driver.</summary>
    public int Pending => _pending.Count;
    /// <summary>Frames dropped: too many waiting, or larger than the driver's buffer.</summary>
    public ulong Dropped { get; private set; }
    public ulong Received { get; private set; }
    public ulong Transmitted { get; private set; }

    /// <summary>Config space (§5.1.4): mac[6], status (le16).</summary>
    public byte ReadConfig(int offset) => offset switch
    {
        >= 0 and < 6 => _mac[offset],
        6 => (byte)StatusLinkUp,
        _ => 0,
    };

    // As QEMU without VIRTIO_NET_F_CTRL_MAC_ADDR for a modern driver: the MAC is the device's.
    public void WriteConfig(int offset, byte value) { }

    /// <summary>
    /// A reset keeps the frames the driver has not taken: QEMU leaves them in the netdev (it reads no
    /// more from the socket while the NIC cannot receive), so a peer's first frames survive the driver's
    /// start-up reset and reach it once it is ready.
    /// </summary>
    public void Reset() { }

    /// <summary>
    /// Frames that came before the driver was ready go to the buffers it offered meanwhile (a driver may fill
    /// the receive queue before DRIVER_OK), without waiting for another notify or frame: QEMU's
    /// virtio_net_set_status flushes its queued packets at DRIVER_OK.
    /// </summary>
    public void DriverReady()
    {
        if (_pending.Count > 0) Transport?.ProcessLater(ReceiveQueue);
    }

    private int HeaderLength => Transport is { } t && (t.NegotiatedFeatures & VirtioFeature.Bit(VirtioFeature.Version1)) != 0
        ? HeaderSize : LegacyHeaderSize;

    /// <summary>A frame from the peer, delivered by the input boundary at its count (between slices).</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        Received++;
        if (_pending.Count >= MaxPending || data.Length > MaxFrame)
        {
            Dropped++;
            _peer.FrameReleased();
            return;
        }
        _pending.Enqueue(data.ToArray());
        Transport?.Kick(ReceiveQueue);
    }

    public void Process(int queue, IVirtioQueues queues)
    {
        if (queue == ReceiveQueue) FillReceiveBuffers(queues);
        else if (queue == TransmitQueue) Transmit(queues);
    }

    private void FillReceiveBuffers(IVirtioQueues queues)
    {
        // As QEMU's virtio_net_can_receive: nothing reaches a driver that has not said DRIVER_OK.
        if (Transport is { } t && (t.Status & VirtioStatus.DriverOk) == 0) return;
        int header = HeaderLength;
        while (_pending.Count > 0)
        {
            if (queues.Pop(ReceiveQueue, _chain) != QueuePop.Request) return;
            if (_chain.OutsideRam)
            {
                queues.Fail("virtio-net receive buffer outside RAM");
                return;
            }
            byte[] frame = _pending.Dequeue();
            _peer.FrameReleased();
            if (_chain.WritableLength < header + frame.Length)
            {
                // As QEMU without mergeable buffers: the frame is dropped and the buffer goes back unused.
                queues.Unpop(ReceiveQueue);
                Dropped++;
                continue;
            }
            _rxHeader.AsSpan().Clear();
            if (header == HeaderSize) BinaryPrimitives.WriteUInt16LittleEndian(_rxHeader.AsSpan(10), 1); // num_buffers
            int done = _chain.Scatter(queues.Memory, 0, _rxHeader.AsSpan(0, header));
            done += _chain.Scatter(queues.Memory, header, frame);
            queues.Complete(ReceiveQueue, _chain, (uint)done);
        }
    }

    private void Transmit(IVirtioQueues queues)
    {
        int header = HeaderLength;
        while (queues.Pop(TransmitQueue, _chain) == QueuePop.Request)
        {
            if (_chain.OutsideRam)
            {
                queues.Fail("virtio-net transmit buffer outside RAM");
                return;
            }
            if (_chain.ReadableLength < header)
            {
                queues.Fail($"virtio-net transmit request of {_chain.ReadableLength} bytes, shorter than its {header}-byte header");
                return;
            }
            long length = _chain.ReadableLength - header;
            if (length <= MaxFrame)
            {
                int n = _chain.Gather(queues.Memory, header, _txBuffer.AsSpan(0, (int)length));
                _peer.Transmit(_txBuffer.AsSpan(0, n));
                Transmitted++;
            }
            else Dropped++;
            queues.Complete(TransmitQueue, _chain, 0);
        }
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(StateLayoutVersion);
        writer.Write(_pending.Count);
        foreach (var frame in _pending)
        {
            writer.Write(frame.Length);
            writer.Write(frame);
        }
        writer.Write(Dropped);
        writer.Write(Received);
        writer.Write(Transmitted);
    }

    public void LoadState(BinaryReader reader)
    {
        byte layout = reader.ReadByte();
        if (layout != StateLayoutVersion) throw new InvalidDataException($"virtio-net state layout {layout} is not known (this build has {StateLayoutVersion})");
        int count = reader.ReadInt32();
        if (count < 0 || count > MaxPending) throw new InvalidDataException($"virtio-net state holds {count} waiting frames (at most {MaxPending})");
        _pending.Clear();
        for (int i = 0; i < count; i++)
        {
            int length = reader.ReadInt32();
            if (length < 0 || length > MaxFrame) throw new InvalidDataException($"virtio-net state holds a frame of {length} bytes");
            byte[] frame = reader.ReadBytes(length);
            if (frame.Length != length) throw new InvalidDataException("virtio-net state ends inside a frame");
            _pending.Enqueue(frame);
        }
        Dropped = reader.ReadUInt64();
        Received = reader.ReadUInt64();
        Transmitted = reader.ReadUInt64();
    }
}
