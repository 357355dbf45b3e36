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
    private const int Banked = GicInterruptLines.Banked, SgiCount = GicInterruptLines.SgiCount;
    private const int Spurious = 1023;

    private readonly Action<bool>[] _irqOutputs;
    private readonly Func<int> _accessingCpu;
    private readonly CpuBank[] _banks;
    /// <summary>
    /// Enables, levels, triggers, pending latches, active bits and priorities: banked for IDs 0-31,
    /// shared for SPIs. An SGI's pending state is not its latch but the bank's SGI senders.
    /// </summary>
    private readonly GicInterruptLines _lines;
    // SPI targets, indexed by interrupt ID (entries below 32 are unused).
    private readonly byte[] _targets = new byte[IrqCount];
    private bool _distEnabled;

    /// <summary>The SGI senders and the CPU interface of one CPU (its IDs 0-31 are in the banks of <see cref="_lines"/>).</summary>
    private sealed class CpuBank
    {
        /// <summary>For each SGI, the CPUs that sent it and whose request is still pending (bit n = CPU n).</summary>
        public readonly byte[] SgiSources = new byte[SgiCount];
        public bool CpuEnabled;
        public uint Pmr, Bpr;
        /// <summary>Priorities of acknowledged, not yet ended interrupts, innermost last (the running priority is the last).</summary>
        public readonly List<int> ActiveStack = [];

        public int RunningPriority => ActiveStack.Count == 0 ? 0x100 : ActiveStack[^1];

        public void Reset()
        {
            Array.Clear(SgiSources);
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
        _lines = new GicInterruptLines(_banks.Length, IrqCount, groups: false);
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
        _lines.Reset();
        Array.Clear(_targets);
        foreach (var b in _banks) b.Reset();
        _distEnabled = false;
        Update();
    }

    /// <summary>SPI <paramref name="line"/> (interrupt ID 32 + line), as the device tree numbers it.</summary>
    public void SetIrq(int line, bool level)
    {
        if (_lines.SetLevel(0, Banked + line, level)) Update();
    }

    /// <summary>CPU <paramref name="cpu"/>'s private peripheral input <paramref name="id"/> (16-31; the generic timer's).</summary>
    public void SetPpi(int cpu, int id, bool level)
    {
        if (_lines.SetLevel(cpu, id, level)) Update();
    }

    /// <summary>Pending as the distributor's pending registers show it to <paramref name="cpu"/>: an SGI while a sender's request waits.</summary>
    private bool IsPending(int cpu, int id) => id < SgiCount ? _banks[cpu].SgiSources[id] != 0 : _lines.IsPending(cpu, id);

    private bool Targets(int cpu, int id) => id < Banked || Uniprocessor || (_targets[id] & (1 << cpu)) != 0;

    /// <summary>The highest-priority pending, enabled, inactive interrupt forwarded to <paramref name="cpu"/>, or <see cref="Spurious"/>.</summary>
    private int HighestPending(int cpu)
    {
        int best = Spurious, bestPriority = 0x100;
        for (int id = 0; id < IrqCount; id++)
        {
            if (!_lines.Enabled[cpu, id] || _lines.Active[cpu, id] || !IsPending(cpu, id) || !Targets(cpu, id)) continue;
            int p = _lines.Priority[cpu, id];
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
                irq = id != Spurious && _lines.Priority[c, id] < b.Pmr && _lines.Priority[c, id] < b.RunningPriority;
            }
            _irqOutputs[c](irq);
        }
    }

    /// <summary>GICC_IAR: the interrupt becomes active; an SGI's value carries the sending CPU in bits 12:10.</summary>
    private uint Acknowledge(int cpu)
    {
        var b = _banks[cpu];
        int id = HighestPending(cpu);
        if (id == Spurious || !_distEnabled || !b.CpuEnabled || _lines.Priority[cpu, id] >= b.Pmr) return Spurious;
        uint value = (uint)id;
        if (id < SgiCount)
        {
            // One source's request at a time: the lowest-numbered sender first; the others stay pending.
            int source = System.Numerics.BitOperations.TrailingZeroCount(b.SgiSources[id]);
            b.SgiSources[id] &= (byte)~(1 << source);
            _lines.Active[cpu, id] = true;
            value |= (uint)source << 10;
        }
        else _lines.Activate(cpu, id);
        b.ActiveStack.Add(_lines.Priority[cpu, id]);
        Update();
        return value;
    }

    private void EndOfInterrupt(int cpu, uint value)
    {
        int id = (int)(value & 0x3ff);
        if (id >= IrqCount || !_lines.Active[cpu, id]) return;
        _lines.Active[cpu, id] = false;
        var stack = _banks[cpu].ActiveStack;
        int at = stack.LastIndexOf(_lines.Priority[cpu, id]);
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
