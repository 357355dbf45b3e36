using Rewind.Core.Bus;

namespace Rewind.Board.Arm;

/// <summary>The distributor's registers; the words for IDs 0-31 reach the accessing CPU's bank.</summary>
public sealed partial class GicV2
{
    private enum Bit { Enabled, Pending, Active }

    private ulong ReadDistributor(ulong offset)
    {
        int o = (int)offset;
        int cpu = _accessingCpu();
        switch (o)
        {
            case 0x000: return _distEnabled ? 1u : 0;
            case 0x004: return (ulong)(IrqCount / 32 - 1) | (ulong)(_banks.Length - 1) << 5; // ITLinesNumber, CPUNumber
            case 0x008: return 0x0200_043b; // IIDR: Arm, GICv2
        }
        if (o >= 0x100 && o < 0x200) return ReadBits(cpu, (o & 0x7f) * 8, Bit.Enabled);
        if (o >= 0x200 && o < 0x300) return ReadBits(cpu, (o & 0x7f) * 8, Bit.Pending);
        if (o >= 0x300 && o < 0x400) return ReadBits(cpu, (o & 0x7f) * 8, Bit.Active);
        if (o >= 0x400 && o < 0x400 + IrqCount)
        {
            int first = o - 0x400;
            uint v = 0;
            for (int i = 0; i < 4 && first + i < IrqCount; i++) v |= (uint)_lines.Priority[cpu, first + i] << (8 * i);
            return v;
        }
        if (o >= 0x800 && o < 0x800 + IrqCount)
        {
            // IDs 0-31 read as the accessing CPU's own bit (ITARGETSR0-7 are read-only); SPIs their targets.
            int first = o - 0x800;
            uint v = 0;
            for (int i = 0; i < 4 && first + i < IrqCount; i++)
            {
                uint t = first + i < Banked || Uniprocessor ? 1u << cpu : _targets[first + i];
                v |= t << (8 * i);
            }
            return v;
        }
        if (o >= 0xc00 && o < 0xc00 + IrqCount / 4)
        {
            int first = (o - 0xc00) * 4;
            uint v = 0;
            for (int i = 0; i < 16 && first + i < IrqCount; i++)
                if (_lines.Edge[cpu, first + i]) v |= 2u << (2 * i);
            return v;
        }
        if (o >= 0xf10 && o < 0xf30)
        {
            // GICD_CPENDSGIR/SPENDSGIR: a byte per SGI, a bit per sending CPU, of the accessing CPU's SGIs.
            int first = (o & 0xf) & ~3;
            uint v = 0;
            for (int i = 0; i < 4; i++) v |= (uint)_banks[cpu].SgiSources[first + i] << (8 * i);
            return v;
        }
        return 0;
    }

    private void WriteDistributor(ulong offset, uint value)
    {
        int o = (int)offset;
        int cpu = _accessingCpu();
        if (o == 0x000) _distEnabled = (value & 1) != 0;
        else if (o >= 0x100 && o < 0x180) WriteBits(cpu, (o - 0x100) * 8, value, Bit.Enabled, true);
        else if (o >= 0x180 && o < 0x200) WriteBits(cpu, (o - 0x180) * 8, value, Bit.Enabled, false);
        else if (o >= 0x200 && o < 0x280) WriteBits(cpu, (o - 0x200) * 8, value, Bit.Pending, true);
        else if (o >= 0x280 && o < 0x300) WriteBits(cpu, (o - 0x280) * 8, value, Bit.Pending, false);
        else if (o >= 0x300 && o < 0x380) WriteBits(cpu, (o - 0x300) * 8, value, Bit.Active, true);
        else if (o >= 0x380 && o < 0x400) WriteBits(cpu, (o - 0x380) * 8, value, Bit.Active, false);
        else if (o >= 0x400 && o < 0x400 + IrqCount)
        {
            int first = o - 0x400;
            for (int i = 0; i < 4 && first + i < IrqCount; i++) _lines.Priority[cpu, first + i] = (byte)(value >> (8 * i));
        }
        else if (o >= 0x800 + Banked && o < 0x800 + IrqCount)
        {
            // SPI targets; bits naming absent CPU interfaces read as zero. IDs 0-31 are read-only.
            if (!Uniprocessor)
            {
                int first = o - 0x800;
                byte present = (byte)((1 << _banks.Length) - 1);
                for (int i = 0; i < 4 && first + i < IrqCount; i++) _targets[first + i] = (byte)((value >> (8 * i)) & present);
            }
        }
        else if (o >= 0xc00 && o < 0xc00 + IrqCount / 4)
        {
            // SGIs are always edge-triggered; PPIs (per CPU) and SPIs take their configuration.
            int first = (o - 0xc00) * 4;
            for (int i = 0; i < 16 && first + i < IrqCount; i++)
            {
                int id = first + i;
                bool edge = ((value >> (2 * i)) & 2) != 0;
                if (id < SgiCount) continue;
                _lines.Edge[cpu, id] = edge;
            }
        }
        else if (o == 0xf00) SendSgi(cpu, value);
        else if (o >= 0xf10 && o < 0xf30)
        {
            int first = (o & 0xf) & ~3;
            bool set = o >= 0xf20;
            byte present = (byte)((1 << _banks.Length) - 1);
            for (int i = 0; i < 4; i++)
            {
                byte bits = (byte)((value >> (8 * i)) & present);
                ref byte sources = ref _banks[cpu].SgiSources[first + i];
                sources = set ? (byte)(sources | bits) : (byte)(sources & ~bits);
            }
        }
        Update();
    }

    private uint ReadBits(int cpu, int first, Bit which)
    {
        uint v = 0;
        for (int i = 0; i < 32 && first + i < IrqCount; i++)
        {
            int id = first + i;
            bool on = which switch
            {
                Bit.Enabled => _lines.Enabled[cpu, id],
                Bit.Pending => IsPending(cpu, id),
                _ => _lines.Active[cpu, id],
            };
            if (on) v |= 1u << i;
        }
        return v;
    }

    private void WriteBits(int cpu, int first, uint value, Bit which, bool to)
    {
        for (int i = 0; i < 32 && first + i < IrqCount; i++)
        {
            if ((value & (1u << i)) == 0) continue;
            int id = first + i;
            // SGIs pend and clear through SGIR and the SGI pending registers, not these (GICv2).
            if (which == Bit.Pending && id < SgiCount) continue;
            var set = which switch
            {
                Bit.Enabled => _lines.Enabled,
                Bit.Pending => _lines.PendingLatch,
                _ => _lines.Active,
            };
            set[cpu, id] = to;
        }
    }

    private sealed class DistributorWindow(GicV2 gic) : IMmioDevice
    {
        public string Name => "gic-distributor";
        public ulong Read(ulong offset, int size) => size == 1 ? (gic.ReadDistributor(offset & ~3UL) >> (8 * (int)(offset & 3))) & 0xff : gic.ReadDistributor(offset);
        public void Write(ulong offset, int size, ulong value)
        {
            if (size == 1)
            {
                // Byte writes reach the byte-wide registers (priorities, targets, SGI pending); others take words.
                int shift = 8 * (int)(offset & 3);
                if (offset >= 0x400 && offset < 0xc00)
                {
                    ulong word = gic.ReadDistributor(offset & ~3UL);
                    gic.WriteDistributor(offset & ~3UL, (uint)((word & ~(0xffUL << shift)) | ((value & 0xff) << shift)));
                }
                else if (offset >= 0xf10 && offset < 0xf30)
                {
                    // Set/clear registers: the other bytes are written as zero, which changes nothing.
                    gic.WriteDistributor(offset & ~3UL, (uint)((value & 0xff) << shift));
                }
                return;
            }
            gic.WriteDistributor(offset, (uint)value);
        }
    }
}
