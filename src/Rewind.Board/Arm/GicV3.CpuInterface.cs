using Rewind.Arm64;
using R = Rewind.Arm64.Arm64Cpu.SysReg;

namespace Rewind.Board.Arm;

/// <summary>
/// The CPU interface's system registers (ICC_*_EL1), which each CPU hands to the GIC. Registers that
/// do not exist with 5 priority bits (ICC_AP0R1-3, ICC_AP1R1-3) are undefined, as in QEMU.
/// </summary>
public sealed partial class GicV3 : IArmGicCpuInterface
{
    /// <summary>ICC_CTLR_EL1's read-only fields: A3V (15), IDbits = 1 (24 bits), PRIbits = 4 (5 bits).</summary>
    private const uint IccCtlrFixed = 1u << 15 | 1u << 11 | (PriorityBits - 1) << 8;

    public bool TryReadIcc(int cpu, int key, out ulong value)
    {
        var c = _cpus[cpu];
        value = 0;
        if (key == R.IccPmr) value = c.Pmr;
        else if (key == R.IccIar1) value = Acknowledge(cpu, group1: true);
        else if (key == R.IccIar0) value = Acknowledge(cpu, group1: false);
        else if (key == R.IccHppir1 || key == R.IccHppir0)
        {
            int id = HighestPending(cpu);
            value = id != Spurious && _lines.Group1[cpu, id] == (key == R.IccHppir1) ? (ulong)id : Spurious;
        }
        else if (key == R.IccRpr) value = (ulong)RunningPriority(c);
        else if (key == R.IccBpr1) value = (c.Ctlr & 1) != 0 ? Math.Min(c.Bpr0 + 1, 7) : c.Bpr1;
        else if (key == R.IccBpr0) value = c.Bpr0;
        else if (key == R.IccCtlr) value = IccCtlrFixed | c.Ctlr;
        else if (key == R.IccSre) value = 7; // SRE, DFB and DIB: the system-register interface only
        else if (key == R.IccIgrpen1) value = c.Grp1Enabled ? 1u : 0;
        else if (key == R.IccIgrpen0) value = c.Grp0Enabled ? 1u : 0;
        else if (key == R.IccAp1r0) value = c.Ap1;
        else if (key == R.IccAp0r0) value = c.Ap0;
        else return false; // write-only (EOIR, DIR, SGI*R) or absent
        return true;
    }

    public bool TryWriteIcc(int cpu, int key, ulong value)
    {
        var c = _cpus[cpu];
        if (key == R.IccPmr) c.Pmr = (uint)value & PriorityMask;
        else if (key == R.IccEoir1) EndOfInterrupt(cpu, (uint)value, group1: true);
        else if (key == R.IccEoir0) EndOfInterrupt(cpu, (uint)value, group1: false);
        else if (key == R.IccDir) Deactivate(cpu, (uint)value);
        else if (key == R.IccSgi1r) SendSgi(cpu, value, group1: true);
        else if (key == R.IccSgi0r) SendSgi(cpu, value, group1: false);
        else if (key == R.IccAsgi1r) { } // the other security state's group 1: there is none (DS = 1)
        else if (key == R.IccBpr1)
        {
            // With CBPR set, group 1 shares BPR0 and writes to BPR1 are ignored.
            if ((c.Ctlr & 1) == 0) c.Bpr1 = Math.Max((uint)value & 7, MinBpr0 + 1);
        }
        else if (key == R.IccBpr0) c.Bpr0 = Math.Max((uint)value & 7, MinBpr0);
        else if (key == R.IccCtlr) c.Ctlr = (uint)value & 3;
        else if (key == R.IccSre) { } // SRE, DFB and DIB are fixed at one
        else if (key == R.IccIgrpen1) c.Grp1Enabled = (value & 1) != 0;
        else if (key == R.IccIgrpen0) c.Grp0Enabled = (value & 1) != 0;
        else if (key == R.IccAp1r0) c.Ap1 = (uint)value;
        else if (key == R.IccAp0r0) c.Ap0 = (uint)value;
        else return false; // read-only (IAR, HPPIR, RPR) or absent
        Update();
        return true;
    }
}
