namespace Rewind.Devices.Virtio;

/// <summary>
/// A virtio device behind a transport (<see cref="VirtioMmioTransport"/>): its identity, features and
/// configuration space, and the handling of its queues' requests. The transport owns the queues and the
/// interrupt; the device only turns requests into used buffers through its <see cref="IVirtioQueues"/>.
/// </summary>
public interface IVirtioDevice
{
    /// <summary>virtio device ID: 1 net, 2 block, 3 console, 4 entropy.</summary>
    uint DeviceId { get; }

    /// <summary>Device-specific feature bits (the transport adds the ones it implements itself).</summary>
    ulong Features { get; }

    /// <summary>The size of each queue before the driver sets one; the number of queues is this array's length.</summary>
    IReadOnlyList<int> QueueSizes { get; }

    /// <summary>One byte of the configuration space (reads past its end give 0).</summary>
    byte ReadConfig(int offset);

    void WriteConfig(int offset, byte value);

    /// <summary>Handles every request available on queue <paramref name="queue"/>, at a deterministic instruction count.</summary>
    void Process(int queue, IVirtioQueues queues);

    /// <summary>The driver reset the device (status 0).</summary>
    void Reset();

    /// <summary>
    /// The driver set DRIVER_OK. A device that holds input for the driver (frames that came before it was
    /// ready) asks its transport to process the queue then, as QEMU flushes what it queued; most have nothing to do.
    /// </summary>
    void DriverReady() { }

    /// <summary>Names the device in messages: "virtio-blk", "virtio-rng".</summary>
    string Kind { get; }

    void SaveState(BinaryWriter writer);
    void LoadState(BinaryReader reader);
}

/// <summary>What a device gets from its transport while it handles requests.</summary>
public interface IVirtioQueues
{
    GuestMemory Memory { get; }
    /// <summary>The instruction count now (the device's requests complete at it).</summary>
    ulong Icount { get; }
    /// <summary>Whether the driver has set up queue <paramref name="queue"/> (a device may only pop from such a queue).</summary>
    bool IsReady(int queue);
    /// <summary>Takes the next request of queue <paramref name="queue"/>; a broken ring puts the device in NEEDS_RESET.</summary>
    QueuePop Pop(int queue, DescriptorChain chain);
    /// <summary>Gives back the request taken last from <paramref name="queue"/>, unused, as if it had not been taken (QEMU's virtqueue_unpop).</summary>
    void Unpop(int queue);
    /// <summary>Returns a request to the driver with <paramref name="written"/> bytes written into its buffers.</summary>
    void Complete(int queue, DescriptorChain chain, uint written);
    /// <summary>The driver broke the rules in a way the device cannot answer in a request: NEEDS_RESET (§2.1.2).</summary>
    void Fail(string reason);
}
