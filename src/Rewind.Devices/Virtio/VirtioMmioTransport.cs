using Rewind.Core.Bus;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Devices.Virtio;

/// <summary>
/// A virtio-mmio transport slot with a device behind it, as QEMU 7.2's virtio-mmio: version 1 (legacy,
/// QEMU's default on virt: GuestPageSize, QueuePFN, QueueAlign) or version 2 (modern, with
/// `-global virtio-mmio.force-legacy=false`). A notify does not run the device at once: the queue's
/// requests complete <see cref="CompletionLatency"/> instructions later, in <see cref="Advance"/>, so
/// when a request completes is a function of the machine state alone and a replay needs no timing
/// from the log. A driver that breaks the queue's rules puts the device in NEEDS_RESET (§2.1.2) and
/// raises a configuration interrupt, as QEMU's virtio_error does; the host never throws.
/// </summary>
public sealed class VirtioMmioTransport : IMmioDevice, ITimedDevice, IStateful, IVirtioQueues
{
    public const uint Magic = 0x74726976; // "virt"
    public const uint QemuVendorId = 0x554d4551; // "QEMU"
    /// <summary>QEMU's VIRTQUEUE_MAX_SIZE, which it reports as QueueNumMax for every queue a device has.</summary>
    public const int MaxQueueSize = 1024;
    /// <summary>Instructions from a notify to the completion of the queue's requests.</summary>
    public const ulong CompletionLatency = 512;

    private readonly IVirtioDevice _device;
    private readonly IrqLine _irq;
    private readonly IRunControl _run;
    private readonly SplitVirtqueue[] _queues;
    private readonly ulong[] _due;

    private uint _status, _interruptStatus, _deviceFeaturesSel, _driverFeaturesSel, _queueSel, _guestPageShift;
    private ulong _driverFeatures, _negotiated;
    private readonly uint[] _legacyAlign;
    private readonly uint[] _legacyPfn;

    public VirtioMmioTransport(string name, IVirtioDevice device, GuestMemory memory, IrqLine irq, IRunControl run, bool legacy)
    {
        Name = name;
        _device = device;
        Memory = memory;
        _irq = irq;
        _run = run;
        Legacy = legacy;
        _queues = [.. device.QueueSizes.Select(s => new SplitVirtqueue(s))];
        _due = new ulong[_queues.Length];
        _legacyAlign = new uint[_queues.Length];
        _legacyPfn = new uint[_queues.Length];
        ResetDevice();
    }

    public string Name { get; }
    public IVirtioDevice Device => _device;
    public GuestMemory Memory { get; }
    public bool Legacy { get; }
    public uint Status => _status;
    public ulong Icount => _run.Icount;
    /// <summary>Why the device last went to NEEDS_RESET, for tests and messages.</summary>
    public string? Problem { get; private set; }

    /// <summary>What the device offers: its own features and the transport's (indirect descriptors, event index, VERSION_1 when modern).</summary>
    public ulong OfferedFeatures => _device.Features | VirtioFeature.Bit(VirtioFeature.IndirectDesc)
        | VirtioFeature.Bit(VirtioFeature.EventIdx) | (Legacy ? 0 : VirtioFeature.Bit(VirtioFeature.Version1));

    public ulong NegotiatedFeatures => _negotiated;

    public SplitVirtqueue Queue(int index) => _queues[index];

    /// <summary>
    /// The machine's reset (system_reset, a guest's SBI/PSCI reboot): the device as at power-on, as
    /// QEMU's virtio_mmio_reset, which also forgets the legacy guest page size a driver's reset keeps.
    /// </summary>
    public void SystemReset()
    {
        ResetDevice();
        _guestPageShift = 0;
    }

    private void ResetDevice()
    {
        _status = 0;
        _interruptStatus = 0;
        _deviceFeaturesSel = _driverFeaturesSel = _queueSel = 0;
        // GuestPageSize is the transport's, not the device's: as in QEMU, a driver's reset (status 0) keeps
        // it. Linux writes it once at probe, then resets the device before setting up its queues.
        _driverFeatures = _negotiated = 0;
        Problem = null;
        for (int i = 0; i < _queues.Length; i++)
        {
            _queues[i].Reset();
            _due[i] = ulong.MaxValue;
            _legacyAlign[i] = 4096;
            _legacyPfn[i] = 0;
        }
        _device.Reset();
        UpdateIrq();
    }

    private SplitVirtqueue? Selected => _queueSel < _queues.Length ? _queues[_queueSel] : null;

    public ulong Read(ulong offset, int size)
    {
        if (offset >= (ulong)VirtioMmioRegister.Config) return ReadConfig((int)(offset - (ulong)VirtioMmioRegister.Config), size);
        // As QEMU: registers are 32-bit; other sizes read 0.
        if (size != 4) return 0;
        switch ((VirtioMmioRegister)offset)
        {
            case VirtioMmioRegister.MagicValue: return Magic;
            case VirtioMmioRegister.Version: return Legacy ? 1u : 2u;
            case VirtioMmioRegister.DeviceId: return _device.DeviceId;
            case VirtioMmioRegister.VendorId: return QemuVendorId;
            case VirtioMmioRegister.DeviceFeatures:
                if (Legacy) return _deviceFeaturesSel == 0 ? (uint)OfferedFeatures : 0;
                return _deviceFeaturesSel < 2 ? (uint)(OfferedFeatures >> (int)(32 * _deviceFeaturesSel)) : 0;
            case VirtioMmioRegister.QueueNumMax: return Selected == null ? 0u : MaxQueueSize;
            case VirtioMmioRegister.QueuePfn: return Legacy && Selected != null ? _legacyPfn[_queueSel] : 0;
            case VirtioMmioRegister.QueueReady: return !Legacy && Selected is { Ready: true } ? 1u : 0;
            case VirtioMmioRegister.InterruptStatus: return _interruptStatus;
            case VirtioMmioRegister.Status: return _status;
            case VirtioMmioRegister.ConfigGeneration: return 0;
            case VirtioMmioRegister.QueueDescLow: return Modern(q => (uint)q.DescTable);
            case VirtioMmioRegister.QueueDescHigh: return Modern(q => (uint)(q.DescTable >> 32));
            case VirtioMmioRegister.QueueDriverLow: return Modern(q => (uint)q.AvailRing);
            case VirtioMmioRegister.QueueDriverHigh: return Modern(q => (uint)(q.AvailRing >> 32));
            case VirtioMmioRegister.QueueDeviceLow: return Modern(q => (uint)q.UsedRing);
            case VirtioMmioRegister.QueueDeviceHigh: return Modern(q => (uint)(q.UsedRing >> 32));
            default: return 0;
        }
    }

    private uint Modern(Func<SplitVirtqueue, uint> field) => !Legacy && Selected is SplitVirtqueue q ? field(q) : 0;

    private ulong ReadConfig(int at, int size)
    {
        ulong v = 0;
        for (int i = 0; i < size; i++) v |= (ulong)_device.ReadConfig(at + i) << (8 * i);
        return v;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset >= (ulong)VirtioMmioRegister.Config)
        {
            int at = (int)(offset - (ulong)VirtioMmioRegister.Config);
            for (int i = 0; i < size; i++) _device.WriteConfig(at + i, (byte)(value >> (8 * i)));
            return;
        }
        if (size != 4) return;
        uint v = (uint)value;
        var q = Selected;
        switch ((VirtioMmioRegister)offset)
        {
            case VirtioMmioRegister.DeviceFeaturesSel: _deviceFeaturesSel = v; break;
            case VirtioMmioRegister.DriverFeaturesSel: _driverFeaturesSel = v; break;
            case VirtioMmioRegister.DriverFeatures:
                if (Legacy)
                {
                    // Legacy drivers write the low word only, and it takes effect at once.
                    if (_driverFeaturesSel == 0) Negotiate(v);
                }
                else if (_driverFeaturesSel < 2)
                {
                    int shift = (int)(32 * _driverFeaturesSel);
                    _driverFeatures = (_driverFeatures & ~(0xffff_ffffUL << shift)) | ((ulong)v << shift);
                }
                break;
            case VirtioMmioRegister.GuestPageSize:
                if (Legacy) _guestPageShift = v == 0 ? 0 : (uint)System.Numerics.BitOperations.TrailingZeroCount(v);
                break;
            case VirtioMmioRegister.QueueSel: _queueSel = v; break;
            case VirtioMmioRegister.QueueNum:
                // As QEMU's virtio_queue_set_num: sizes above the maximum are ignored.
                if (q != null && v <= MaxQueueSize && v != 0)
                {
                    q.Size = (int)v;
                    if (Legacy) UpdateLegacyRings(_queueSel);
                }
                break;
            case VirtioMmioRegister.QueueAlign:
                if (Legacy && q != null)
                {
                    _legacyAlign[_queueSel] = v;
                    UpdateLegacyRings(_queueSel);
                }
                break;
            case VirtioMmioRegister.QueuePfn:
                if (!Legacy || q == null) break;
                // QEMU resets the whole device when a queue's PFN is cleared (Linux does it on teardown).
                if (v == 0) ResetDevice();
                else
                {
                    _legacyPfn[_queueSel] = v;
                    UpdateLegacyRings(_queueSel);
                }
                break;
            case VirtioMmioRegister.QueueReady:
                if (!Legacy && q != null) q.Ready = (v & 1) != 0;
                break;
            case VirtioMmioRegister.QueueNotify: Notify(v); break;
            case VirtioMmioRegister.InterruptAck:
                _interruptStatus &= ~v;
                UpdateIrq();
                break;
            case VirtioMmioRegister.Status: WriteStatus(v & 0xff); break;
            case VirtioMmioRegister.QueueDescLow: if (!Legacy && q != null) q.DescTable = Low(q.DescTable, v); break;
            case VirtioMmioRegister.QueueDescHigh: if (!Legacy && q != null) q.DescTable = High(q.DescTable, v); break;
            case VirtioMmioRegister.QueueDriverLow: if (!Legacy && q != null) q.AvailRing = Low(q.AvailRing, v); break;
            case VirtioMmioRegister.QueueDriverHigh: if (!Legacy && q != null) q.AvailRing = High(q.AvailRing, v); break;
            case VirtioMmioRegister.QueueDeviceLow: if (!Legacy && q != null) q.UsedRing = Low(q.UsedRing, v); break;
            case VirtioMmioRegister.QueueDeviceHigh: if (!Legacy && q != null) q.UsedRing = High(q.UsedRing, v); break;
        }
    }

    private static ulong Low(ulong old, uint v) => (old & 0xffff_ffff_0000_0000UL) | v;
    private static ulong High(ulong old, uint v) => (old & 0xffff_ffffUL) | ((ulong)v << 32);

    /// <summary>Legacy layout (§4.2.4): descriptors at PFN × page size, the avail ring after them, the used ring at the next QueueAlign boundary.</summary>
    private void UpdateLegacyRings(uint index)
    {
        var q = _queues[index];
        ulong desc = (ulong)_legacyPfn[index] << (int)_guestPageShift;
        ulong avail = desc + 16UL * (ulong)q.Size;
        ulong align = _legacyAlign[index] == 0 ? 1 : _legacyAlign[index];
        ulong availEnd = avail + 6 + 2UL * (ulong)q.Size;
        q.DescTable = desc;
        q.AvailRing = avail;
        q.UsedRing = (availEnd + align - 1) / align * align;
        q.Ready = _legacyPfn[index] != 0;
    }

    private void Negotiate(ulong driverFeatures)
    {
        _driverFeatures = driverFeatures;
        _negotiated = driverFeatures & OfferedFeatures;
        foreach (var q in _queues)
        {
            q.IndirectAllowed = (_negotiated & VirtioFeature.Bit(VirtioFeature.IndirectDesc)) != 0;
            q.EventIdx = (_negotiated & VirtioFeature.Bit(VirtioFeature.EventIdx)) != 0;
        }
    }

    private void WriteStatus(uint v)
    {
        if (v == 0)
        {
            ResetDevice();
            return;
        }
        if (!Legacy && (v & VirtioStatus.FeaturesOk) != 0 && (_status & VirtioStatus.FeaturesOk) == 0)
        {
            // A modern driver must accept VERSION_1 and nothing the device did not offer (§6.1); otherwise
            // FEATURES_OK does not stick and the driver sees that it failed.
            if ((_driverFeatures & ~OfferedFeatures) != 0 || (_driverFeatures & VirtioFeature.Bit(VirtioFeature.Version1)) == 0)
                v &= ~VirtioStatus.FeaturesOk;
            else Negotiate(_driverFeatures);
        }
        uint old = _status;
        // NEEDS_RESET is the device's to set and stays until a reset.
        _status = (v & ~VirtioStatus.NeedsReset) | (_status & VirtioStatus.NeedsReset);
        if ((old & VirtioStatus.DriverOk) == 0 && (_status & (VirtioStatus.DriverOk | VirtioStatus.NeedsReset)) == VirtioStatus.DriverOk)
            _device.DriverReady();
    }

    private void Notify(uint index)
    {
        if (index < _queues.Length) ProcessLater((int)index);
    }

    /// <summary>
    /// Handles <paramref name="queue"/>'s requests <see cref="CompletionLatency"/> instructions from now, as
    /// after a driver's notify (a deadline already set stands): for a device that has work for the driver
    /// at a guest action other than a notify, such as DRIVER_OK, at a count the machine alone decides.
    /// </summary>
    public void ProcessLater(int queue)
    {
        if (queue < 0 || queue >= _queues.Length || (_status & VirtioStatus.NeedsReset) != 0) return;
        if (_due[queue] != ulong.MaxValue) return;
        _due[queue] = _run.Icount + CompletionLatency;
        // The slice in progress was planned without this deadline.
        _run.EndSlice();
    }

    /// <summary>
    /// The device has work for <paramref name="queue"/> now, without a notify from the driver (a frame
    /// arrived through the input boundary): its requests are handled in this slice boundary's
    /// <see cref="Advance"/>, which the run loop calls right after it delivers inputs, so at the very
    /// count the input was delivered (logged) at.
    /// </summary>
    public void Kick(int queue)
    {
        if (queue < 0 || queue >= _queues.Length) return;
        _due[queue] = Math.Min(_due[queue], _run.Icount);
    }

    public ulong NextDeadline(ulong icount)
    {
        ulong next = ulong.MaxValue;
        foreach (ulong d in _due) next = Math.Min(next, d);
        return next;
    }

    public void Advance(ulong icount)
    {
        for (int i = 0; i < _queues.Length; i++)
        {
            if (_due[i] > icount) continue;
            _due[i] = ulong.MaxValue;
            var q = _queues[i];
            if (!q.Ready || (_status & VirtioStatus.NeedsReset) != 0) continue;
            _device.Process(i, this);
            // A device may complete requests of other queues than the notified one (virtio-console
            // answers a control message on its control receive queue): each queue is asked.
            if ((_status & VirtioStatus.NeedsReset) == 0 && AnyInterruptDue())
            {
                _interruptStatus |= VirtioInterrupt.UsedBuffer;
                UpdateIrq();
            }
        }
    }

    private bool AnyInterruptDue()
    {
        bool due = false;
        // Every queue's check runs (not stopping at the first): each one records what it signalled.
        foreach (var q in _queues)
            if (q.Ready) due |= q.ShouldInterrupt(Memory);
        return due;
    }

    bool IVirtioQueues.IsReady(int queue) => queue >= 0 && queue < _queues.Length && _queues[queue].Ready;

    QueuePop IVirtioQueues.Pop(int queue, DescriptorChain chain)
    {
        if ((_status & VirtioStatus.NeedsReset) != 0) return QueuePop.Broken;
        var result = _queues[queue].Pop(Memory, chain);
        if (result == QueuePop.Broken) Fail(_queues[queue].Problem ?? "broken queue");
        return result;
    }

    void IVirtioQueues.Unpop(int queue) => _queues[queue].Unpop();

    void IVirtioQueues.Complete(int queue, DescriptorChain chain, uint written)
    {
        if ((_status & VirtioStatus.NeedsReset) != 0) return;
        if (!_queues[queue].Push(Memory, chain.Head, written)) Fail(_queues[queue].Problem ?? "broken used ring");
    }

    public void Fail(string reason)
    {
        Problem ??= reason;
        _status |= VirtioStatus.NeedsReset;
        _interruptStatus |= VirtioInterrupt.ConfigChange;
        UpdateIrq();
    }

    private void UpdateIrq() => _irq.Set(_interruptStatus != 0);

    public int StateVersion => 1;

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_status); writer.Write(_interruptStatus); writer.Write(_deviceFeaturesSel);
        writer.Write(_driverFeaturesSel); writer.Write(_queueSel); writer.Write(_guestPageShift);
        writer.Write(_driverFeatures); writer.Write(_negotiated);
        writer.Write(_queues.Length);
        for (int i = 0; i < _queues.Length; i++)
        {
            _queues[i].Save(writer);
            writer.Write(_due[i]);
            writer.Write(_legacyAlign[i]);
            writer.Write(_legacyPfn[i]);
        }
        _device.SaveState(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        _status = reader.ReadUInt32(); _interruptStatus = reader.ReadUInt32(); _deviceFeaturesSel = reader.ReadUInt32();
        _driverFeaturesSel = reader.ReadUInt32(); _queueSel = reader.ReadUInt32(); _guestPageShift = reader.ReadUInt32();
        _driverFeatures = reader.ReadUInt64(); _negotiated = reader.ReadUInt64();
        int n = reader.ReadInt32();
        if (n != _queues.Length) throw new InvalidDataException($"{Name} has {_queues.Length} queues, the state {n}");
        for (int i = 0; i < n; i++)
        {
            _queues[i].Load(reader);
            _due[i] = reader.ReadUInt64();
            _legacyAlign[i] = reader.ReadUInt32();
            _legacyPfn[i] = reader.ReadUInt32();
        }
        Problem = (_status & VirtioStatus.NeedsReset) != 0 ? "restored in NEEDS_RESET" : null;
        _device.LoadState(reader);
        UpdateIrq();
    }
}
