using Rewind.Core.Input;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Rng;

/// <summary>
/// virtio-rng (virtio 1.2 §5.4): fills each buffer the driver offers with host entropy. The bytes come
/// through the input boundary (<see cref="IInputBoundary.ReadEntropy"/>) at the request's completion
/// count: live from the host, logged when recording, from the log when replaying.
/// </summary>
public sealed class VirtioRng(IInputBoundary input) : IVirtioDevice
{
    public const int QueueSize = 8;
    /// <summary>Most bytes given for one request, which bounds what one log record holds.</summary>
    public const int MaxRequest = 64 * 1024;

    private readonly DescriptorChain _chain = new();
    private readonly byte[] _buffer = new byte[MaxRequest];

    public uint DeviceId => 4;
    public string Kind => "virtio-rng";
    public ulong Features => 0;
    public IReadOnlyList<int> QueueSizes { get; } = [QueueSize];

    public byte ReadConfig(int offset) => 0;

    public void WriteConfig(int offset, byte value) { }

    public void Reset() { }

    public void Process(int queue, IVirtioQueues queues)
    {
        while (queues.Pop(queue, _chain) == QueuePop.Request)
        {
            if (_chain.OutsideRam)
            {
                queues.Fail("virtio-rng buffer outside RAM");
                return;
            }
            int n = (int)Math.Min(MaxRequest, _chain.WritableLength);
            var bytes = _buffer.AsSpan(0, n);
            if (n > 0) input.ReadEntropy(queues.Icount, bytes);
            int done = _chain.Scatter(queues.Memory, 0, bytes);
            queues.Complete(queue, _chain, (uint)done);
        }
    }

    public void SaveState(BinaryWriter writer) { }

    public void LoadState(BinaryReader reader) { }
}
