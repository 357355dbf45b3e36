using Rewind.Arm64;
using Rewind.Core.Bus;

namespace Rewind.Board.Arm;

/// <summary>
/// A GICv3 as QEMU 7.2's virt has it with gic-version=3 (its=off, secure=off): a distributor, one
/// redistributor per CPU, and each CPU's interface reached through its ICC_* system registers.
/// 288 interrupt IDs: SGIs 0-15 and PPIs 16-31 live in each CPU's redistributor, SPIs 32-287 in the
/// distributor and go to the CPU their GICD_IROUTER names. Affinity routing is always on and there is
/// one security state (GICD_CTLR.ARE and DS read as one), so group 0 interrupts signal FIQ and group 1
/// interrupts IRQ. Priorities have 5 bits, as QEMU's; there are no LPIs (no ITS).
/// </summary>
public sealed partial class GicV3 : IArmGic
{
    public const int IrqCount = 288;
    /// <summary>As many redistributors as QEMU's first redistributor region holds.</summary>
    public const int MaxCpus = 123;
    public const ulong DistributorSize = 0x10000, RedistributorStride = 0x20000;
    /// <summary>The size QEMU's device tree gives the redistributor region (123 frames of 128 KiB).</summary>
    public const ulong RedistributorRegionSize = 0xf60000;
    private const int Banked = GicInterruptLines.Banked, SgiCount = GicInterruptLines.SgiCount;
    private const int Spurious = 1023;
    /// <summary>Implemented priority bits (ICC_CTLR_EL1.PRIbits + 1): priorities step by 8.</summary>
    private const int PriorityBits = 5;
    private const byte PriorityMask = 0xff << (8 - PriorityBits) & 0xff;
    private const int IdlePriority = 0xff;

    private readonly Action<bool>[] _irqOutputs, _fiqOutputs;
    private readonly CpuState[] _cpus;
    /// <summary>
    /// Groups, enables, levels, triggers, pending latches, active bits and priorities: in each CPU's
    /// redistributor for IDs 0-31, in the distributor for SPIs.
    /// </summary>
    private readonly GicInterruptLines _lines;
    // SPI routes (GICD_IROUTER), indexed by interrupt ID (entries below 32 are unused).
    private readonly ulong[] _router = new ulong[IrqCount];
    /// <summary>GICD_CTLR.EnableGrp0 and EnableGrp1.</summary>
    private bool _grp0Enabled, _grp1Enabled;

    /// <summary>One CPU's GICR_WAKER and CPU interface (its IDs 0-31 are in the banks of <see cref="_lines"/>).</summary>
    private sealed class CpuState
    {
        /// <summary>GICR_WAKER.ProcessorSleep; ChildrenAsleep follows it at once.</summary>
        public bool ProcessorSleep;
        public uint Pmr, Bpr0, Bpr1;
        /// <summary>ICC_CTLR_EL1's writable bits: CBPR (0) and EOImode (1).</summary>
        public uint Ctlr;
        public bool Grp0Enabled, Grp1Enabled;
        /// <summary>ICC_AP0R0_EL1 and ICC_AP1R0_EL1: bit n set while an interrupt of group priority n * 8 is active.</summary>
        public uint Ap0, Ap1;

        public void Reset()
        {
            ProcessorSleep = true;
            Pmr = 0;
            Bpr0 = MinBpr0;
            Bpr1 = MinBpr0 + 1;
            Ctlr = 0;
            Grp0Enabled = Grp1Enabled = false;
            Ap0 = Ap1 = 0;
        }
    }

    /// <summary>The smallest binary point of group 0 for 5 priority bits (group 1's is one more).</summary>
    private const uint MinBpr0 = 7 - PriorityBits;

    /// <param name="irqOutputs">Each CPU's IRQ input, CPU 0 first.</param>
    /// <param name="fiqOutputs">Each CPU's FIQ input (group 0 interrupts).</param>
    public GicV3(IReadOnlyList<Action<bool>> irqOutputs, IReadOnlyList<Action<bool>> fiqOutputs)
    {
        if (irqOutputs.Count is < 1 or > MaxCpus) throw new ArgumentOutOfRangeException(nameof(irqOutputs), $"a GICv3 here serves 1 to {MaxCpus} CPUs");
        if (fiqOutputs.Count != irqOutputs.Count) throw new ArgumentException("one FIQ output per CPU", nameof(fiqOutputs));
        _irqOutputs = [.. irqOutputs];
        _fiqOutputs = [.. fiqOutputs];
        _cpus = new CpuState[irqOutputs.Count];
        for (int c = 0; c < _cpus.Length; c++) _cpus[c] = new CpuState();
        Distributor = new DistributorWindow(this);
        Redistributors = new RedistributorWindow(this);
        _lines = new GicInterruptLines(_cpus.Length, IrqCount, groups: true);
        Reset();
    }

    public IMmioDevice Distributor { get; }
    /// <summary>The redistributors, 128 KiB apart (RD_base, then SGI_base 64 KiB on), CPU 0 first.</summary>
    public IMmioDevice Redistributors { get; }
    public int CpuCount => _cpus.Length;
    /// <summary>The bytes the redistributors take on the bus.</summary>
    public ulong RedistributorsSize => (ulong)_cpus.Length * RedistributorStride;

    /// <summary>
    /// CPU <paramref name="cpu"/>'s affinity as MPIDR_EL1 gives it, packed Aff3.Aff2.Aff1.Aff0: QEMU's
    /// clusters of 16, so an SGI's 16-bit target list covers one cluster.
    /// </summary>
    private static uint Affinity(int cpu) => ArmAffinity.Packed(ArmAffinity.OfIndex(cpu));

    public void Reset()
    {
        _lines.Reset();
        Array.Clear(_router);
        foreach (var c in _cpus) c.Reset();
        _grp0Enabled = _grp1Enabled = false;
        Update();
    }

    /// <summary>SPI <paramref name="line"/> (interrupt ID 32 + line), as the device tree numbers it.</summary>
    public void SetIrq(int line, bool level)
    {
        if (_lines.SetLevel(0, Banked + line, level)) Update();
    }

    public void SetPpi(int cpu, int id, bool level)
    {
        if (_lines.SetLevel(cpu, id, level)) Update();
    }

    /// <summary>
    /// The CPU an SPI goes to: the one GICD_IROUTER names (Aff3 in 39:32, Aff2.Aff1.Aff0 in 23:0, as
    /// MPIDR), or with Interrupt_Routing_Mode (bit 31) any CPU, which here is always CPU 0; none if no
    /// CPU has that affinity.
    /// </summary>
    private int RoutedTo(int id)
    {
        ulong r = _router[id];
        if ((r & (1UL << 31)) != 0) return 0;
        return ArmAffinity.IndexOf(r, _cpus.Length);
    }

    private bool GroupEnabled(int cpu, bool group1) =>
        group1 ? _grp1Enabled && _cpus[cpu].Grp1Enabled : _grp0Enabled && _cpus[cpu].Grp0Enabled;

    /// <summary>The highest-priority pending, enabled, inactive interrupt of an enabled group for <paramref name="cpu"/>, or <see cref="Spurious"/>.</summary>
    private int HighestPending(int cpu)
    {
        int best = Spurious, bestPriority = 0x100;
        for (int id = 0; id < IrqCount; id++)
        {
            if (!_lines.Enabled[cpu, id] || _lines.Active[cpu, id] || !_lines.IsPending(cpu, id)) continue;
            if (id >= Banked && RoutedTo(id) != cpu) continue;
            if (!GroupEnabled(cpu, _lines.Group1[cpu, id])) continue;
            int p = _lines.Priority[cpu, id];
            if (p < bestPriority)
            {
                best = id;
                bestPriority = p;
            }
        }
        return best;
    }

    /// <summary>The running priority: that of the highest active priority bit in either group, or idle.</summary>
    private static int RunningPriority(CpuState c)
    {
        uint ap = c.Ap0 | c.Ap1;
        return ap == 0 ? IdlePriority : System.Numerics.BitOperations.TrailingZeroCount(ap) << (8 - PriorityBits);
    }

    /// <summary>The bits of a priority that make its group priority (ICC_BPRn_EL1; group 1 uses BPR0 with CBPR).</summary>
    private static uint GroupPriorityMask(CpuState c, bool group1)
    {
        int bpr;
        if (!group1 || (c.Ctlr & 1) != 0) bpr = (int)c.Bpr0;
        else bpr = (int)c.Bpr1 - 1; // group 1's binary point is one below group 0's for the same split
        return ~0u << (bpr + 1) & 0xff;
    }

    /// <summary>Whether <paramref name="id"/> may interrupt <paramref name="cpu"/> now: above the priority mask and the running priority.</summary>
    private bool CanSignal(int cpu, int id)
    {
        var c = _cpus[cpu];
        int p = _lines.Priority[cpu, id];
        return p < c.Pmr && (p & GroupPriorityMask(c, _lines.Group1[cpu, id])) < RunningPriority(c);
    }

    private void Update()
    {
        for (int c = 0; c < _cpus.Length; c++)
        {
            int id = HighestPending(c);
            bool signal = id != Spurious && CanSignal(c, id);
            bool group1 = signal && _lines.Group1[c, id];
            _irqOutputs[c](signal && group1);
            _fiqOutputs[c](signal && !group1);
        }
    }

    /// <summary>ICC_IARn_EL1: the highest pending interrupt of the group becomes active, its priority the running one.</summary>
    private uint Acknowledge(int cpu, bool group1)
    {
        int id = HighestPending(cpu);
        if (id == Spurious || _lines.Group1[cpu, id] != group1 || !CanSignal(cpu, id)) return Spurious;
        var c = _cpus[cpu];
        _lines.Activate(cpu, id);
        int bit = (int)(_lines.Priority[cpu, id] & GroupPriorityMask(c, group1)) >> (8 - PriorityBits);
        if (group1) c.Ap1 |= 1u << bit;
        else c.Ap0 |= 1u << bit;
        Update();
        return (uint)id;
    }

    /// <summary>ICC_EOIRn_EL1: drops the running priority; with EOImode 0 it also deactivates the interrupt.</summary>
    private void EndOfInterrupt(int cpu, uint value, bool group1)
    {
        var c = _cpus[cpu];
        uint ap = c.Ap0 | c.Ap1;
        if (ap == 0) return;
        uint lowest = ap & (uint)-(int)ap;
        // The highest active priority belongs to one group; an EOI of the other group does nothing.
        if (group1 && (c.Ap1 & lowest) != 0) c.Ap1 &= ~lowest;
        else if (!group1 && (c.Ap0 & lowest) != 0) c.Ap0 &= ~lowest;
        else return;
        if ((c.Ctlr & 2) == 0) Deactivate(cpu, value);
        Update();
    }

    /// <summary>ICC_DIR_EL1 (and EOI with EOImode 0): the interrupt is no longer active.</summary>
    private void Deactivate(int cpu, uint value)
    {
        int id = (int)(value & 0xff_ffff);
        if (id >= IrqCount) return;
        _lines.Active[cpu, id] = false;
        Update();
    }

    /// <summary>
    /// ICC_SGI1R_EL1 / ICC_SGI0R_EL1: SGI <c>value[27:24]</c> to the CPUs whose Aff3.Aff2.Aff1 match and
    /// whose Aff0 is in the target list (offset by RS * 16), or with IRM (bit 40) to every other CPU.
    /// It pends only where that SGI is of the group the register generates.
    /// </summary>
    private void SendSgi(int source, ulong value, bool group1)
    {
        int id = (int)(value >> 24 & 15);
        bool everyOther = (value & (1UL << 40)) != 0;
        uint upper = (uint)((value >> 16 & 0xff) << 8 | (value >> 32 & 0xff) << 16 | (value >> 48 & 0xff) << 24);
        int rangeBase = (int)(value >> 44 & 15) * 16;
        for (int c = 0; c < _cpus.Length; c++)
        {
            uint aff = Affinity(c);
            int bit = (int)(aff & 0xff) - rangeBase;
            bool to = everyOther
                ? c != source
                : (aff & ~0xffu) == upper && bit is >= 0 and < 16 && (value & (1UL << bit)) != 0;
            if (to && _lines.Group1[c, id] == group1) _lines.PendingLatch[c, id] = true;
        }
        Update();
    }
}
