using Rewind.Arm64;
using Rewind.Core.Bus;
using Rewind.Core.Interrupts;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// A GICv2 for one CPU: the distributor (enables, pending, active, priorities, targets, configuration,
/// SGIs) and the CPU interface (acknowledge, end of interrupt, priority mask, running priority), with
/// 288 interrupt IDs as on QEMU's virt (SGIs 0-15, PPIs 16-31, SPIs 32-287). Peripheral lines are
/// level-sensitive inputs; the IRQ output goes to the CPU. Security extensions are absent (secure=off).
/// </summary>
public sealed class GicV2 : IIrqSink, IStateful
{
    public const int IrqCount = 288;
    public const ulong DistributorSize = 0x10000, CpuInterfaceSize = 0x10000;
    private const int Spurious = 1023;

    private readonly Arm64Cpu _cpu;
    private readonly bool[] _enabled = new bool[IrqCount];
    private readonly bool[] _pendingLatch = new bool[IrqCount];
    private readonly bool[] _level = new bool[IrqCount];
    private readonly bool[] _active = new bool[IrqCount];
    private readonly bool[] _edge = new bool[IrqCount];
    private readonly byte[] _priority = new byte[IrqCount];
    private bool _distEnabled, _cpuEnabled;
    private uint _pmr, _bpr;
    // Priorities of acknowledged, not yet ended interrupts, innermost last (the running priority is the last).
    private readonly List<int> _activeStack = [];

    public GicV2(Arm64Cpu cpu)
    {
        _cpu = cpu;
        Distributor = new DistributorWindow(this);
        CpuInterface = new CpuInterfaceWindow(this);
        Reset();
    }

    public IMmioDevice Distributor { get; }
    public IMmioDevice CpuInterface { get; }

    public void Reset()
    {
        Array.Clear(_enabled);
        Array.Clear(_pendingLatch);
        Array.Clear(_active);
        Array.Clear(_priority);
        Array.Clear(_edge);
        // SGIs are edge-triggered and always enabled... as their configuration reads; PPIs and SPIs start level.
        for (int i = 0; i < 16; i++) _edge[i] = true;
        _distEnabled = _cpuEnabled = false;
        _pmr = _bpr = 0;
        _activeStack.Clear();
        Update();
    }

    /// <summary>SPI <paramref name="line"/> (interrupt ID 32 + line), as the device tree numbers it.</summary>
    public void SetIrq(int line, bool level) => SetInput(32 + line, level);

    /// <summary>Any interrupt ID's input line (PPIs from the timer).</summary>
    public void SetInput(int id, bool level)
    {
        if (_level[id] == level) return;
        _level[id] = level;
        if (level && _edge[id]) _pendingLatch[id] = true;
        Update();
    }

    private bool Pending(int id) => _pendingLatch[id] || (!_edge[id] && _level[id]);

    private int RunningPriority => _activeStack.Count == 0 ? 0x100 : _activeStack[^1];

    /// <summary>The highest-priority pending, enabled, inactive interrupt, or <see cref="Spurious"/>.</summary>
    private int HighestPending()
    {
        int best = Spurious, bestPriority = 0x100;
        for (int id = 0; id < IrqCount; id++)
        {
            if (!_enabled[id] || _active[id] || !Pending(id)) continue;
            if (_priority[id] < bestPriority)
            {
                best = id;
                bestPriority = _priority[id];
            }
        }
        return best;
    }

    private void Update()
    {
        bool irq = false;
        if (_distEnabled && _cpuEnabled)
        {
            int id = HighestPending();
            irq = id != Spurious && _priority[id] < _pmr && _priority[id] < RunningPriority;
        }
        _cpu.SetIrq(irq);
    }

    private uint Acknowledge()
    {
        int id = HighestPending();
        if (id == Spurious || !_distEnabled || !_cpuEnabled || _priority[id] >= _pmr) return Spurious;
        _active[id] = true;
        _pendingLatch[id] = false;
        _activeStack.Add(_priority[id]);
        Update();
        return (uint)id;
    }

    private void EndOfInterrupt(uint value)
    {
        int id = (int)(value & 0x3ff);
        if (id >= IrqCount || !_active[id]) return;
        _active[id] = false;
        int at = _activeStack.LastIndexOf(_priority[id]);
        if (at >= 0) _activeStack.RemoveAt(at);
        Update();
    }

    private ulong ReadDistributor(ulong offset)
    {
        int o = (int)offset;
        switch (o)
        {
            case 0x000: return _distEnabled ? 1u : 0;
            case 0x004: return IrqCount / 32 - 1; // ITLinesNumber, one CPU
            case 0x008: return 0x0200_043b; // IIDR: Arm, GICv2
        }
        if (o >= 0x100 && o < 0x180) return Bits(o - 0x100, _enabled);
        if (o >= 0x180 && o < 0x200) return Bits(o - 0x180, _enabled);
        if (o >= 0x200 && o < 0x300) return PendingBits((o - 0x200) & 0x7f);
        if (o >= 0x300 && o < 0x400) return Bits((o - 0x300) & 0x7f, _active);
        if (o >= 0x400 && o < 0x400 + IrqCount) return BytesOf(o - 0x400, _priority);
        if (o >= 0x800 && o < 0x800 + IrqCount)
        {
            // With one CPU interface every interrupt targets it (the fields read as CPU 0).
            return 0x0101_0101;
        }
        if (o >= 0xc00 && o < 0xc00 + IrqCount / 4)
        {
            int first = (o - 0xc00) * 4;
            uint v = 0;
            for (int i = 0; i < 16 && first + i < IrqCount; i++)
                if (_edge[first + i]) v |= 2u << (2 * i);
            return v;
        }
        if (o >= 0xfd0) return 0;
        return 0;
    }

    private void WriteDistributor(ulong offset, uint value)
    {
        int o = (int)offset;
        if (o == 0x000) _distEnabled = (value & 1) != 0;
        else if (o >= 0x100 && o < 0x180) SetBits(o - 0x100, value, _enabled, true);
        else if (o >= 0x180 && o < 0x200) SetBits(o - 0x180, value, _enabled, false);
        else if (o >= 0x200 && o < 0x280) SetBits(o - 0x200, value, _pendingLatch, true);
        else if (o >= 0x280 && o < 0x300) SetBits(o - 0x280, value, _pendingLatch, false);
        else if (o >= 0x300 && o < 0x380) SetBits(o - 0x300, value, _active, true);
        else if (o >= 0x380 && o < 0x400) SetBits(o - 0x380, value, _active, false);
        else if (o >= 0x400 && o < 0x400 + IrqCount)
        {
            for (int i = 0; i < 4 && o - 0x400 + i < IrqCount; i++) _priority[o - 0x400 + i] = (byte)(value >> (8 * i));
        }
        else if (o >= 0xc00 && o < 0xc00 + IrqCount / 4)
        {
            int first = (o - 0xc00) * 4;
            for (int i = 0; i < 16 && first + i < IrqCount; i++)
                if (first + i >= 16) _edge[first + i] = ((value >> (2 * i)) & 2) != 0;
        }
        else if (o == 0xf00)
        {
            // GICD_SGIR: with one CPU, any target list that names it (or "others" excluded) pends the SGI.
            uint filter = (value >> 24) & 3, targets = (value >> 16) & 0xff;
            if (filter == 2 || (filter == 0 && (targets & 1) != 0)) _pendingLatch[value & 15] = true;
        }
        Update();
    }

    private ulong ReadCpuInterface(ulong offset) => offset switch
    {
        0x00 => _cpuEnabled ? 1u : 0,
        0x04 => _pmr,
        0x08 => _bpr,
        0x0c => Acknowledge(),
        0x14 => (ulong)Math.Min(RunningPriority, 0xff),
        0x18 => (ulong)HighestPending(),
        0xfc => 0x0202_143b, // GICC_IIDR: GICv2
        _ => 0,
    };

    private void WriteCpuInterface(ulong offset, uint value)
    {
        switch (offset)
        {
            case 0x00: _cpuEnabled = (value & 1) != 0; break;
            case 0x04: _pmr = value & 0xff; break;
            case 0x08: _bpr = value & 7; break;
            case 0x10: EndOfInterrupt(value); break;
        }
        Update();
    }

    private static uint Bits(int byteOffset, bool[] set)
    {
        int first = byteOffset * 8;
        uint v = 0;
        for (int i = 0; i < 32 && first + i < IrqCount; i++)
            if (set[first + i]) v |= 1u << i;
        return v;
    }

    private uint PendingBits(int byteOffset)
    {
        int first = byteOffset * 8;
        uint v = 0;
        for (int i = 0; i < 32 && first + i < IrqCount; i++)
            if (Pending(first + i)) v |= 1u << i;
        return v;
    }

    private static void SetBits(int byteOffset, uint value, bool[] set, bool to)
    {
        int first = byteOffset * 8;
        for (int i = 0; i < 32 && first + i < IrqCount; i++)
            if ((value & (1u << i)) != 0) set[first + i] = to;
    }

    private static uint BytesOf(int first, byte[] bytes)
    {
        uint v = 0;
        for (int i = 0; i < 4 && first + i < IrqCount; i++) v |= (uint)bytes[first + i] << (8 * i);
        return v;
    }

    public void SaveState(BinaryWriter writer)
    {
        foreach (var arr in new[] { _enabled, _pendingLatch, _level, _active, _edge })
            foreach (bool b in arr) writer.Write(b);
        writer.Write(_priority);
        writer.Write(_distEnabled);
        writer.Write(_cpuEnabled);
        writer.Write(_pmr);
        writer.Write(_bpr);
        writer.Write(_activeStack.Count);
        foreach (int p in _activeStack) writer.Write(p);
    }

    public void LoadState(BinaryReader reader)
    {
        foreach (var arr in new[] { _enabled, _pendingLatch, _level, _active, _edge })
            for (int i = 0; i < arr.Length; i++) arr[i] = reader.ReadBoolean();
        reader.ReadExactly(_priority);
        _distEnabled = reader.ReadBoolean();
        _cpuEnabled = reader.ReadBoolean();
        _pmr = reader.ReadUInt32();
        _bpr = reader.ReadUInt32();
        _activeStack.Clear();
        int n = reader.ReadInt32();
        if (n < 0 || n > IrqCount) throw new InvalidDataException($"GIC state holds {n} active priorities");
        for (int i = 0; i < n; i++) _activeStack.Add(reader.ReadInt32());
        Update();
    }

    private sealed class DistributorWindow(GicV2 gic) : IMmioDevice
    {
        public string Name => "gic-distributor";
        public ulong Read(ulong offset, int size) => size == 1 ? (gic.ReadDistributor(offset & ~3UL) >> (8 * (int)(offset & 3))) & 0xff : gic.ReadDistributor(offset);
        public void Write(ulong offset, int size, ulong value)
        {
            if (size == 1)
            {
                // Byte writes reach the byte-wide registers (priorities, targets); others take words.
                ulong word = gic.ReadDistributor(offset & ~3UL);
                int shift = 8 * (int)(offset & 3);
                if (offset >= 0x400 && offset < 0xc00)
                    gic.WriteDistributor(offset & ~3UL, (uint)((word & ~(0xffUL << shift)) | ((value & 0xff) << shift)));
                return;
            }
            gic.WriteDistributor(offset, (uint)value);
        }
    }

    private sealed class CpuInterfaceWindow(GicV2 gic) : IMmioDevice
    {
        public string Name => "gic-cpu";
        public ulong Read(ulong offset, int size) => gic.ReadCpuInterface(offset);
        public void Write(ulong offset, int size, ulong value) => gic.WriteCpuInterface(offset, (uint)value);
    }
}
