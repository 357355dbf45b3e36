namespace Rewind.Devices.Virtio;

/// <summary>
/// The virtio-mmio register window (virtio 1.2 §4.2.2; the legacy-only ones from §4.2.4), by offset.
/// Registers below <see cref="Config"/> are 32 bits wide; the device's configuration space follows.
/// </summary>
public enum VirtioMmioRegister : uint
{
    MagicValue = 0x000,
    Version = 0x004,
    DeviceId = 0x008,
    VendorId = 0x00c,
    DeviceFeatures = 0x010,
    DeviceFeaturesSel = 0x014,
    DriverFeatures = 0x020,
    DriverFeaturesSel = 0x024,
    /// <summary>Legacy: the guest's page size, the unit of <see cref="QueuePfn"/>.</summary>
    GuestPageSize = 0x028,
    QueueSel = 0x030,
    QueueNumMax = 0x034,
    QueueNum = 0x038,
    /// <summary>Legacy: the alignment of the used ring.</summary>
    QueueAlign = 0x03c,
    /// <summary>Legacy: the queue's page number; 0 resets the device (as QEMU does).</summary>
    QueuePfn = 0x040,
    QueueReady = 0x044,
    QueueNotify = 0x050,
    InterruptStatus = 0x060,
    InterruptAck = 0x064,
    Status = 0x070,
    QueueDescLow = 0x080,
    QueueDescHigh = 0x084,
    QueueDriverLow = 0x090,
    QueueDriverHigh = 0x094,
    QueueDeviceLow = 0x0a0,
    QueueDeviceHigh = 0x0a4,
    ConfigGeneration = 0x0fc,
    Config = 0x100,
}

/// <summary>Device status bits (§2.1).</summary>
public static class VirtioStatus
{
    public const uint Acknowledge = 1, Driver = 2, DriverOk = 4, FeaturesOk = 8, NeedsReset = 64, Failed = 128;
}

/// <summary>Feature bits the transport and queue engine implement (§6).</summary>
public static class VirtioFeature
{
    public const int IndirectDesc = 28;
    public const int EventIdx = 29;
    public const int Version1 = 32;

    public static ulong Bit(int bit) => 1UL << bit;
}

/// <summary>Interrupt status bits.</summary>
public static class VirtioInterrupt
{
    public const uint UsedBuffer = 1, ConfigChange = 2;
}
