using Rewind.Core.Bus;

namespace Rewind.Board.Arm;

/// <summary>
/// The memory-mapped registers: the distributor (SPIs; its words for IDs 0-31 read as zero with
/// affinity routing) and the redistributors, each an RD_base frame (control, GICR_TYPER, GICR_WAKER)
/// and an SGI_base frame with the registers of its CPU's IDs 0-31 at the distributor's offsets.
/// </summary>
public sealed partial class GicV3
{
    private const int SgiFrame = 0x10000;
    /// <summary>
    /// GICD_TYPER: IDbits = 15, A3V, No1N; no LPIs, no security extension. ITLinesNumber is QEMU's:
    /// it counts the SPIs only, so it tells of 256 IDs (Linux: "224 SPIs implemented") though 288 work.
    /// </summary>
    private const uint DistributorType = (IrqCount - Banked) / 32 - 1 | 15u << 19 | 1u << 24 | 1u << 25;
    /// <summary>GICD_IIDR and GICR_IIDR: Arm, r0p0, as QEMU's.</summary>
    private const uint Iidr = 0x43b;

    // The identification registers at 0xFFD0-0xFFFC (PIDR4-7, PIDR0-3, CIDR0-3); PIDR2's ArchRev is 3.
    private static readonly byte[] DistributorIds = [0x44, 0, 0, 0, 0x92, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1];
    private static readonly byte[] RedistributorIds = [0x44, 0, 0, 0, 0x93, 0xb4, 0x3b, 0, 0x0d, 0xf0, 0x05, 0xb1];

    private enum Bit { Group, Enabled, Pending, Active }

    private uint ReadDistributor(int o)
    {
        switch (o)
        {
            case 0x0000: return (_grp0Enabled ? 1u : 0) | (_grp1Enabled ? 2u : 0) | 1u << 4 | 1u << 6; // ARE, DS
            case 0x0004: return DistributorType;
            case 0x0008: return Iidr;
        }
        if (o >= 0x6000 + 8 * Banked && o < 0x6000 + 8 * IrqCount)
        {
            ulong r = _router[(o - 0x6000) / 8];
            return (o & 4) == 0 ? (uint)r : (uint)(r >> 32);
        }
        if (o >= 0xffd0) return DistributorIds[(o - 0xffd0) / 4];
        return ReadIdBlock(0, o, Banked, IrqCount);
    }

    private void WriteDistributor(int o, uint value)
    {
        if (o == 0x0000)
        {
            _grp0Enabled = (value & 1) != 0;
            _grp1Enabled = (value & 2) != 0;
        }
        else if (o is 0x0040 or 0x0048)
        {
            // GICD_SETSPI_NSR / GICD_CLRSPI_NSR: an SPI pended or cleared by its ID.
            int id = (int)(value & 0x3ff);
            if (id >= Banked && id < IrqCount) _lines.PendingLatch[0, id] = o == 0x0040;
        }
        else if (o >= 0x6000 + 8 * Banked && o < 0x6000 + 8 * IrqCount)
        {
            // Aff2.Aff1.Aff0 and Interrupt_Routing_Mode in the low word, Aff3 in the high one.
            ref ulong r = ref _router[(o - 0x6000) / 8];
            r = (o & 4) == 0 ? (r & ~0xffff_ffffUL) | (value & 0x80ff_ffffu) : (r & 0xffff_ffffUL) | (ulong)(value & 0xff) << 32;
        }
        else WriteIdBlock(0, o, value, Banked, IrqCount);
        Update();
    }

    private uint ReadRedistributor(int cpu, int o)
    {
        if (o >= SgiFrame) return ReadIdBlock(cpu, o - SgiFrame, 0, Banked);
        var c = _cpus[cpu];
        switch (o)
        {
            case 0x0004: return Iidr;
            // GICR_TYPER: Processor_Number (the CPU's index, as QEMU's) and Last (bit 4) for the final
            // frame of the one region; the high word is the CPU's packed affinity (Aff3.Aff2.Aff1.Aff0).
            case 0x0008: return (uint)cpu << 8 | (cpu == _cpus.Length - 1 ? 1u << 4 : 0);
            case 0x000c: return Affinity(cpu);
            case 0x0014: return c.ProcessorSleep ? 6u : 0; // ProcessorSleep and ChildrenAsleep
        }
        if (o >= 0xffd0) return RedistributorIds[(o - 0xffd0) / 4];
        return 0;
    }

    private void WriteRedistributor(int cpu, int o, uint value)
    {
        if (o >= SgiFrame) WriteIdBlock(cpu, o - SgiFrame, value, 0, Banked);
        else if (o == 0x0014) _cpus[cpu].ProcessorSleep = (value & 2) != 0;
        Update();
    }

    /// <summary>The per-interrupt registers (IGROUPR to ICFGR) for IDs <paramref name="lo"/> to <paramref name="hi"/>; others read as zero.</summary>
    private uint ReadIdBlock(int cpu, int o, int lo, int hi)
    {
        uint v = 0;
        if (o >= 0x080 && o < 0x400)
        {
            int first = (o & 0x7f) * 8;
            var which = o < 0x100 ? Bit.Group : o < 0x200 ? Bit.Enabled : o < 0x300 ? Bit.Pending : Bit.Active;
            for (int i = 0; i < 32; i++)
            {
                int id = first + i;
                if (id >= lo && id < hi && Get(which, cpu, id)) v |= 1u << i;
            }
        }
        else if (o >= 0x400 && o < 0x800)
        {
            for (int i = 0; i < 4; i++)
            {
                int id = o - 0x400 + i;
                if (id >= lo && id < hi) v |= (uint)_lines.Priority[cpu, id] << (8 * i);
            }
        }
        else if (o >= 0xc00 && o < 0xd00)
        {
            for (int i = 0; i < 16; i++)
            {
                int id = (o - 0xc00) * 4 + i;
                if (id >= lo && id < hi && _lines.Edge[cpu, id]) v |= 2u << (2 * i);
            }
        }
        return v;
    }

    private void WriteIdBlock(int cpu, int o, uint value, int lo, int hi)
    {
        if (o >= 0x080 && o < 0x400)
        {
            int first = (o & 0x7f) * 8;
            bool group = o < 0x100;
            var which = group ? Bit.Group : o < 0x200 ? Bit.Enabled : o < 0x300 ? Bit.Pending : Bit.Active;
            // IGROUPR takes each bit; the set/clear pairs act on the one bits (set in the lower half).
            bool set = group || (o & 0x80) == 0;
            for (int i = 0; i < 32; i++)
            {
                int id = first + i;
                if (id < lo || id >= hi) continue;
                bool bit = (value & (1u << i)) != 0;
                if (group) Set(Bit.Group, cpu, id, bit);
                else if (bit) Set(which, cpu, id, set);
            }
        }
        else if (o >= 0x400 && o < 0x800)
        {
            for (int i = 0; i < 4; i++)
            {
                int id = o - 0x400 + i;
                if (id < lo || id >= hi) continue;
                _lines.Priority[cpu, id] = (byte)((value >> (8 * i)) & PriorityMask);
            }
        }
        else if (o >= 0xc00 && o < 0xd00)
        {
            // SGIs are always edge-triggered; PPIs and SPIs take their configuration.
            for (int i = 0; i < 16; i++)
            {
                int id = (o - 0xc00) * 4 + i;
                if (id < lo || id >= hi || id < SgiCount) continue;
                _lines.Edge[cpu, id] = ((value >> (2 * i)) & 2) != 0;
            }
        }
    }

    private bool Get(Bit which, int cpu, int id) => which switch
    {
        Bit.Group => _lines.Group1[cpu, id],
        Bit.Enabled => _lines.Enabled[cpu, id],
        Bit.Pending => _lines.IsPending(cpu, id),
        _ => _lines.Active[cpu, id],
    };

    private void Set(Bit which, int cpu, int id, bool to)
    {
        var flags = which switch
        {
            Bit.Group => _lines.Group1,
            Bit.Enabled => _lines.Enabled,
            Bit.Pending => _lines.PendingLatch,
            _ => _lines.Active,
        };
        flags[cpu, id] = to;
    }

    /// <summary>Splits 8-byte accesses (GICD_IROUTER, GICR_TYPER) into words and narrows byte and halfword ones.</summary>
    private abstract class WordWindow : IMmioDevice
    {
        public abstract string Name { get; }
        protected abstract uint ReadWord(int offset);
        protected abstract void WriteWord(int offset, uint value);

        public ulong Read(ulong offset, int size)
        {
            int o = (int)(offset & ~3UL);
            if (size == 8) return ReadWord(o) | (ulong)ReadWord(o + 4) << 32;
            uint word = ReadWord(o);
            if (size == 4) return word;
            int shift = 8 * (int)(offset & 3);
            return (word >> shift) & (size == 1 ? 0xffu : 0xffffu);
        }

        public void Write(ulong offset, int size, ulong value)
        {
            int o = (int)(offset & ~3UL);
            if (size == 8)
            {
                WriteWord(o, (uint)value);
                WriteWord(o + 4, (uint)(value >> 32));
                return;
            }
            if (size == 4)
            {
                WriteWord(o, (uint)value);
                return;
            }
            // Byte and halfword writes reach the byte-wide priority registers (Linux writes one priority at a time).
            int at = o & 0xffff;
            if (at < 0x400 || at >= 0x800) return;
            int shift = 8 * (int)(offset & 3);
            uint mask = (size == 1 ? 0xffu : 0xffffu) << shift;
            uint word = ReadWord(o);
            WriteWord(o, (word & ~mask) | ((uint)value << shift & mask));
        }
    }

    private sealed class DistributorWindow(GicV3 gic) : WordWindow
    {
        public override string Name => "gicv3-distributor";
        protected override uint ReadWord(int offset) => gic.ReadDistributor(offset);
        protected override void WriteWord(int offset, uint value) => gic.WriteDistributor(offset, value);
    }

    private sealed class RedistributorWindow(GicV3 gic) : WordWindow
    {
        public override string Name => "gicv3-redistributors";
        protected override uint ReadWord(int offset) =>
            offset / (int)RedistributorStride < gic._cpus.Length ? gic.ReadRedistributor(offset / (int)RedistributorStride, offset % (int)RedistributorStride) : 0;
        protected override void WriteWord(int offset, uint value)
        {
            if (offset / (int)RedistributorStride < gic._cpus.Length) gic.WriteRedistributor(offset / (int)RedistributorStride, offset % (int)RedistributorStride, value);
        }
    }
}
