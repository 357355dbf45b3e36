using Rewind.Core.Bus;
using Rewind.Core.Interrupts;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// A GICv2 for 1 to 8 CPUs as on QEMU's virt: 288 interrupt IDs (SGIs 0-15, PPIs 16-31, SPIs 32-287),
/// a distributor and one CPU interface per CPU. SGIs and PPIs are banked: each CPU has its own enables,
/// pending and active bits, priorities and configuration for IDs 0-31, and its own CPU interface
/// (acknowledge, end of interrupt, priority mask, running priority); a register access reaches the
/// bank of the CPU making it. SPIs are shared and go to the CPUs their target byte names. Peripheral
/// lines are level-sensitive inputs; each CPU interface drives its CPU's IRQ. Security extensions are
/// absent (secure=off).
/// </summary>
public sealed partial class GicV2 : IArmGic
{
    public const int IrqCount = 288, MaxCpus = 8;
    public const ulong DistributorSize = 0x10000, CpuInterfaceSize = 0x10000;
    /// <summary>IDs 0-31 are banked per CPU; 0-15 of them are SGIs.</summary>
    private const int Banked = 32, SgiCount = 16;
    private const int Spurious = 1023;

    private readonly Action<bool>[] _irqOutputs;
    private readonly Func<int> _accessingCpu;
    private readonly CpuBank[] _banks;
    // SPI state, indexed by interrupt ID (entries below 32 are unused: those live in the banks).
    private readonly bool[] _enabled = new bool[IrqCount];
    private readonly bool[] _pendingLatch = new bool[IrqCount];
    private readonly bool[] _level = new bool[IrqCount];
    private readonly bool[] _active = new bool[IrqCount];
    private readonly bool[] _edge = new bool[IrqCount];
    private readonly byte[] _priority = new byte[IrqCount];
    private readonly byte[] _targets = new byte[IrqCount];
    private bool _distEnabled;

    /// <summary>The state of IDs 0-31 and the CPU interface of one CPU.</summary>
    private sealed class CpuBank
    {
        public readonly bool[] Enabled = new bool[Banked];
        public readonly bool[] PendingLatch = new bool[Banked]; // PPIs; SGIs pend through SgiSources
        public readonly bool[] Level = new bool[Banked];
        public readonly bool[] Active = new bool[Banked];
        public readonly bool[] Edge = new bool[Banked];
        public readonly byte[] Priority = new byte[Banked];
        /// <summary>For each SGI, the CPUs that sent it and whose request is still pending (bit n = CPU n).</summary>
        public readonly byte[] SgiSources = new byte[SgiCount];
        public bool CpuEnabled;
        public uint Pmr, Bpr;
        /// <summary>Priorities of acknowledged, not yet ended interrupts, innermost last (the running priority is the last).</summary>
        public readonly List<int> ActiveStack = [];

        public int RunningPriority => ActiveStack.Count == 0 ? 0x100 : ActiveStack[^1];

        public void Reset()
        {
            Array.Clear(Enabled);
            Array.Clear(PendingLatch);
            Array.Clear(Active);
            Array.Clear(Priority);
            Array.Clear(SgiSources);
            // SGIs are edge-triggered (their configuration reads so); PPIs start level-sensitive.
            for (int i = 0; i < Banked; i++) Edge[i] = i < SgiCount;
            CpuEnabled = false;
            Pmr = Bpr = 0;
            ActiveStack.Clear();
        }
    }

    /// <param name="irqOutputs">Each CPU interface's IRQ output, CPU 0 first.</param>
    /// <param name="accessingCpu">The CPU whose access is in progress (its registers are the ones reached).</param>
    public GicV2(IReadOnlyList<Action<bool>> irqOutputs, Func<int> accessingCpu)
    {
        if (irqOutputs.Count is < 1 or > MaxCpus) throw new ArgumentOutOfRangeException(nameof(irqOutputs), "a GICv2 serves 1 to 8 CPUs");
        _irqOutputs = [.. irqOutputs];
        _accessingCpu = accessingCpu;
        _banks = new CpuBank[irqOutputs.Count];
        for (int c = 0; c < _banks.Length; c++) _banks[c] = new CpuBank();
        Distributor = new DistributorWindow(this);
        CpuInterface = new CpuInterfaceWindow(this);
        Reset();
    }

    public IMmioDevice Distributor { get; }
    public IMmioDevice CpuInterface { get; }
    public int CpuCount => _banks.Length;

    /// <summary>
    /// A uniprocessor GIC sends every interrupt to its one CPU interface: its target registers are not
    /// consulted (they read as CPU 0 and ignore writes, as this model always had them).
    /// </summary>
    private bool Uniprocessor => _banks.Length == 1;

    public void Reset()
    {
        Array.Clear(_enabled);
        Array.Clear(_pendingLatch);
        Array.Clear(_active);
        Array.Clear(_priority);
        Array.Clear(_edge);
        Array.Clear(_targets);
        foreach (var b in _banks) b.Reset();
        _distEnabled = false;
        Update();
    }

    /// <summary>SPI <paramref name="line"/> (interrupt ID 32 + line), as the device tree numbers it.</summary>
    public void SetIrq(int line, bool level)
    {
        int id = Banked + line;
        if (_level[id] == level) return;
        _level[id] = level;
        if (level && _edge[id]) _pendingLatch[id] = true;
        Update();
    }

    /// <summary>CPU <paramref name="cpu"/>'s private peripheral input <paramref name="id"/> (16-31; the generic timer's).</summary>
    public void SetPpi(int cpu, int id, bool level)
    {
        var b = _banks[cpu];
        if (b.Level[id] == level) return;
        b.Level[id] = level;
        if (level && b.Edge[id]) b.PendingLatch[id] = true;
        Update();
    }

    private bool IsEnabled(int cpu, int id) => id < Banked ? _banks[cpu].Enabled[id] : _enabled[id];

    private bool IsActive(int cpu, int id) => id < Banked ? _banks[cpu].Active[id] : _active[id];

    private byte PriorityOf(int cpu, int id) => id < Banked ? _banks[cpu].Priority[id] : _priority[id];

    /// <summary>Pending as the distributor's pending registers show it to <paramref name="cpu"/>.</summary>
    private bool IsPending(int cpu, int id)
    {
        if (id < SgiCount) return _banks[cpu].SgiSources[id] != 0;
        if (id < Banked)
        {
            var b = _banks[cpu];
            return b.PendingLatch[id] || (!b.Edge[id] && b.Level[id]);
        }
        return _pendingLatch[id] || (!_edge[id] && _level[id]);
    }

    private bool Targets(int cpu, int id) => id < Banked || Uniprocessor || (_targets[id] & (1 << cpu)) != 0;

    /// <summary>The highest-priority pending, enabled, inactive interrupt forwarded to <paramref name="cpu"/>, or <see cref="Spurious"/>.</summary>
    private int HighestPending(int cpu)
    {
        int best = Spurious, bestPriority = 0x100;
        for (int id = 0; id < IrqCount; id++)
        {
            if (!IsEnabled(cpu, id) || IsActive(cpu, id) || !IsPending(cpu, id) || !Targets(cpu, id)) continue;
            int p = PriorityOf(cpu, id);
            if (p < bestPriority)
            {
                best = id;
                bestPriority = p;
            }
        }
        return best;
    }

    private void Update()
    {
        for (int c = 0; c < _banks.Length; c++)
        {
            var b = _banks[c];
            bool irq = false;
            if (_distEnabled && b.CpuEnabled)
            {
                int id = HighestPending(c);
                irq = id != Spurious && PriorityOf(c, id) < b.Pmr && PriorityOf(c, id) < b.RunningPriority;
            }
            _irqOutputs[c](irq);
        }
    }

    /// <summary>GICC_IAR: the interrupt becomes active; an SGI's value carries the sending CPU in bits 12:10.</summary>
    private uint Acknowledge(int cpu)
    {
        var b = _banks[cpu];
        int id = HighestPending(cpu);
        if (id == Spurious || !_distEnabled || !b.CpuEnabled || PriorityOf(cpu, id) >= b.Pmr) return Spurious;
        uint value = (uint)id;
        if (id < SgiCount)
        {
            // One source's request at a time: the lowest-numbered sender first; the others stay pending.
            int source = System.Numerics.BitOperations.TrailingZeroCount(b.SgiSources[id]);
            b.SgiSources[id] &= (byte)~(1 << source);
            b.Active[id] = true;
            value |= (uint)source << 10;
        }
        else if (id < Banked)
        {
            b.PendingLatch[id] = false;
            b.Active[id] = true;
        }
        else
        {
            _pendingLatch[id] = false;
            _active[id] = true;
        }
        b.ActiveStack.Add(PriorityOf(cpu, id));
        Update();
        return value;
    }

    private void EndOfInterrupt(int cpu, uint value)
    {
        int id = (int)(value & 0x3ff);
        if (id >= IrqCount || !IsActive(cpu, id)) return;
        if (id < Banked) _banks[cpu].Active[id] = false;
        else _active[id] = false;
        var stack = _banks[cpu].ActiveStack;
        int at = stack.LastIndexOf(PriorityOf(cpu, id));
        if (at >= 0) stack.RemoveAt(at);
        Update();
    }

    /// <summary>GICD_SGIR: SGI <c>value[3:0]</c> from <paramref name="source"/> to the CPUs the filter and target list name.</summary>
    private void SendSgi(int source, uint value)
    {
        uint filter = (value >> 24) & 3, list = (value >> 16) & 0xff;
        int id = (int)(value & 15);
        for (int c = 0; c < _banks.Length; c++)
        {
            bool to = filter switch
            {
                0 => (list & (1u << c)) != 0,
                1 => c != source,
                2 => c == source,
                _ => false, // reserved
            };
            if (to) _banks[c].SgiSources[id] |= (byte)(1 << source);
        }
    }

    private ulong ReadCpuInterface(ulong offset)
    {
        int cpu = _accessingCpu();
        var b = _banks[cpu];
        switch (offset)
        {
            case 0x00: return b.CpuEnabled ? 1u : 0;
            case 0x04: return b.Pmr;
            case 0x08: return b.Bpr;
            case 0x0c: return Acknowledge(cpu);
            case 0x14: return (ulong)Math.Min(b.RunningPriority, 0xff);
            case 0x18:
                {
                    int id = HighestPending(cpu);
                    if (id >= SgiCount || id == Spurious) return (ulong)id;
                    uint source = (uint)System.Numerics.BitOperations.TrailingZeroCount(b.SgiSources[id]);
                    return (uint)id | source << 10;
                }
            case 0xfc: return 0x0202_143b; // GICC_IIDR: GICv2
            default: return 0;
        }
    }

    private void WriteCpuInterface(ulong offset, uint value)
    {
        int cpu = _accessingCpu();
        var b = _banks[cpu];
        switch (offset)
        {
            case 0x00: b.CpuEnabled = (value & 1) != 0; break;
            case 0x04: b.Pmr = value & 0xff; break;
            case 0x08: b.Bpr = value & 7; break;
            case 0x10: EndOfInterrupt(cpu, value); break;
        }
        Update();
    }

    private sealed class CpuInterfaceWindow(GicV2 gic) : IMmioDevice
    {
        public string Name => "gic-cpu";
        public ulong Read(ulong offset, int size) => gic.ReadCpuInterface(offset);
        public void Write(ulong offset, int size, ulong value) => gic.WriteCpuInterface(offset, (uint)value);
    }
}
