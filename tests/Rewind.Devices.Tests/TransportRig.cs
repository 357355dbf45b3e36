using Rewind.Core.Interrupts;
using Rewind.Devices.Block;
using Rewind.Devices.Virtio;
using R = Rewind.Devices.Virtio.VirtioMmioRegister;

namespace Rewind.Devices.Tests;

/// <summary>A transport with a device on the guest RAM of a <see cref="GuestRig"/>, driven through its registers.</summary>
internal sealed class TransportRig
{
    public TransportRig(IVirtioDevice device, bool legacy)
    {
        Guest = new GuestRig();
        Transport = new VirtioMmioTransport("virtio_mmio@10008000", device, Guest.Memory, new IrqLine(Irq, 8), Run, legacy);
    }

    public GuestRig Guest { get; }
    public FakeRun Run { get; } = new();
    public IrqRecorder Irq { get; } = new();
    public VirtioMmioTransport Transport { get; }

    public uint Read(R reg) => (uint)Transport.Read((ulong)reg, 4);
    public void Write(R reg, uint value) => Transport.Write((ulong)reg, 4, value);

    /// <summary>The driver's start-up (§3.1): reset, ACKNOWLEDGE, DRIVER, features, queue 0 at the rig's rings, DRIVER_OK.</summary>
    public void Start(uint features = 1u << VirtioFeature.IndirectDesc)
    {
        Write(R.Status, 0);
        Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver);
        Write(R.DriverFeaturesSel, 0);
        Write(R.DriverFeatures, features);
        Write(R.QueueSel, 0);
        Write(R.QueueNum, 8);
        if (Transport.Legacy)
        {
            Write(R.GuestPageSize, 4096);
            Write(R.QueueAlign, 4096);
            Write(R.QueuePfn, (uint)(GuestRig.Desc >> 12));
            Guest.AvailAddr = Transport.Queue(0).AvailRing;
            Guest.UsedAddr = Transport.Queue(0).UsedRing;
        }
        else
        {
            Write(R.DriverFeaturesSel, 1);
            Write(R.DriverFeatures, 1);
            Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk);
            Write(R.QueueDescLow, (uint)GuestRig.Desc);
            Write(R.QueueDriverLow, (uint)GuestRig.Avail);
            Write(R.QueueDeviceLow, (uint)GuestRig.Used);
            Write(R.QueueReady, 1);
        }
        Write(R.Status, Read(R.Status) | VirtioStatus.DriverOk);
    }

    /// <summary>Notifies queue 0 and runs the machine's clock to the completion.</summary>
    public void NotifyAndComplete()
    {
        Write(R.QueueNotify, 0);
        Run.Icount += VirtioMmioTransport.CompletionLatency;
        Transport.Advance(Run.Icount);
    }

    public static BlockDisk Disk(byte[] image, bool readOnly = false) => new(new MemoryImage(image), readOnly, writeThrough: false);
}

/// <summary>An image in memory, standing in for a file in the device tests.</summary>
internal sealed class MemoryImage(byte[] bytes) : IBlockImage
{
    public byte[] Bytes { get; } = bytes;
    public long Length => Bytes.Length;
    public bool ReadOnly => false;
    public int Reads { get; private set; }
    public void Read(long offset, Span<byte> destination)
    {
        Reads++;
        destination.Clear();
        if (offset < Bytes.Length) Bytes.AsSpan((int)offset, (int)Math.Min(destination.Length, Bytes.Length - offset)).CopyTo(destination);
    }
    public void Write(long offset, ReadOnlySpan<byte> data) => data.CopyTo(Bytes.AsSpan((int)offset));
    public void Flush() { }
    public void Dispose() { }
}
