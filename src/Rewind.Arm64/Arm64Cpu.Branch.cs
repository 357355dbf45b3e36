namespace Rewind.Arm64;

/// <summary>Branches, exception-generating instructions and the system group (bits 28:26 = 101).</summary>
public sealed partial class Arm64Cpu
{
    /// <summary>The immediate of HLT that asks for semihosting on A64.</summary>
    public const uint SemihostingHlt = 0xf000;

    private void BranchOrSystem(uint insn, ulong pc)
    {
        if ((insn & 0x7c00_0000) == 0x1400_0000)
        {
            // B, BL
            if ((insn & 0x8000_0000) != 0) _x[30] = pc + 4;
            Pc = pc + (ulong)(SignExtend(insn & 0x3ff_ffff, 26) << 2);
            return;
        }
        if ((insn & 0x7e00_0000) == 0x3400_0000)
        {
            // CBZ, CBNZ
            ulong v = Trim(Xr((int)(insn & 31)), (insn >> 31) != 0);
            bool nonZero = (insn & (1u << 24)) != 0;
            if ((v != 0) == nonZero) Pc = pc + (ulong)(SignExtend((insn >> 5) & 0x7ffff, 19) << 2);
            return;
        }
        if ((insn & 0x7e00_0000) == 0x3600_0000)
        {
            // TBZ, TBNZ
            int bit = (int)((insn >> 31) << 5 | ((insn >> 19) & 31));
            bool set = ((Xr((int)(insn & 31)) >> bit) & 1) != 0;
            bool nonZero = (insn & (1u << 24)) != 0;
            if (set == nonZero) Pc = pc + (ulong)(SignExtend((insn >> 5) & 0x3fff, 14) << 2);
            return;
        }
        if ((insn & 0xff00_0010) == 0x5400_0000)
        {
            // B.cond
            if (ConditionHolds(insn & 15)) Pc = pc + (ulong)(SignExtend((insn >> 5) & 0x7ffff, 19) << 2);
            return;
        }
        if ((insn & 0xff00_0000) == 0xd400_0000)
        {
            ExceptionGeneration(insn);
            return;
        }
        if ((insn & 0xffc0_0000) == 0xd500_0000)
        {
            SystemInstruction(insn);
            return;
        }
        if ((insn & 0xfe00_0000) == 0xd600_0000)
        {
            BranchRegister(insn, pc);
            return;
        }
        throw Undefined();
    }

    private void BranchRegister(uint insn, ulong pc)
    {
        uint opc = (insn >> 21) & 15;
        int rn = (int)((insn >> 5) & 31);
        if (((insn >> 16) & 31) != 31 || ((insn >> 10) & 63) != 0 || (insn & 31) != 0) throw Undefined();
        switch (opc)
        {
            case 0: // BR
            case 2: // RET
                Pc = Xr(rn);
                break;
            case 1: // BLR
                {
                    ulong target = Xr(rn);
                    _x[30] = pc + 4;
                    Pc = target;
                    break;
                }
            case 4 when rn == 31: // ERET
                ExceptionReturn();
                break;
            default:
                throw Undefined();
        }
    }

    private void ExceptionGeneration(uint insn)
    {
        uint opc = (insn >> 21) & 7, ll = insn & 3, imm16 = (insn >> 5) & 0xffff;
        if (((insn >> 2) & 7) != 0) throw Undefined();
        switch (opc, ll)
        {
            case (0, 1):
                throw ArmFault.Exception(ExceptionClass.Svc, imm16);
            case (0, 2):
                // HVC: with no EL2, QEMU's virt answers PSCI on it itself; otherwise it is undefined.
                if (El == 0 || Firmware == null || !Firmware.Psci(this)) throw Undefined();
                return;
            case (0, 3):
                throw Undefined(); // SMC: no EL3
            case (1, 0):
                throw ArmFault.Exception(ExceptionClass.Brk, imm16);
            case (2, 0):
                if (imm16 != SemihostingHlt || Firmware is not { SemihostingEnabled: true }) throw Undefined();
                if (!Firmware.Semihosting(this)) throw ArmFault.Retry;
                return;
            default:
                throw Undefined();
        }
    }

    private void SystemInstruction(uint insn)
    {
        bool read = (insn & (1u << 21)) != 0;
        uint op0 = (insn >> 19) & 3, op1 = (insn >> 16) & 7, crn = (insn >> 12) & 15, crm = (insn >> 8) & 15, op2 = (insn >> 5) & 7;
        int rt = (int)(insn & 31);
        if (op0 == 0)
        {
            if (read) throw Undefined();
            if (crn == 2 && op1 == 3)
            {
                // Hints. WFI waits for an interrupt; WFE, YIELD, SEV and the rest act as NOP (QEMU yields on WFE).
                if (crm == 0 && op2 == 3 && !WakeupPending()) _waiting = true;
                return;
            }
            if (crn == 3 && op1 == 3 && rt == 31)
            {
                // CLREX, DSB, DMB, ISB, SB: barriers have nothing to order in an interpreter.
                if (op2 == 2) _exclusiveValid = false;
                else if (op2 < 4) throw Undefined();
                return;
            }
            if (crn == 4 && rt == 31)
            {
                PstateImmediate(op1, op2, crm);
                return;
            }
            throw Undefined();
        }
        if (op0 == 1)
        {
            if (read) throw Undefined();
            SysOperation(op1, crn, crm, op2, rt);
            return;
        }
        int key = (int)((insn >> 5) & 0xffff);
        if (read)
        {
            if (!TryReadSystemRegister(key, out ulong value)) throw Undefined();
            SetXr(rt, value);
        }
        else if (!TryWriteSystemRegister(key, Xr(rt))) throw Undefined();
    }

    private void PstateImmediate(uint op1, uint op2, uint crm)
    {
        switch (op1, op2)
        {
            case (0, 5): // SPSel
                if (El == 0) throw Undefined();
                SpSel = (crm & 1) != 0;
                break;
            case (3, 6): // DAIFSet
                if (El == 0 && (_sctlr & (1 << 9)) == 0) throw Undefined();
                _daif |= crm;
                break;
            case (3, 7): // DAIFClr
                if (El == 0 && (_sctlr & (1 << 9)) == 0) throw Undefined();
                _daif &= ~crm;
                RecheckInterrupts();
                break;
            default:
                throw Undefined();
        }
    }

    /// <summary>Whether DC ZVA may run: at EL1, or at EL0 with SCTLR_EL1.DZE (bit 14) set.</summary>
    private bool ZeroBlockAllowed => El != 0 || (_sctlr & (1UL << 14)) != 0;

    /// <summary>SYS: cache maintenance (no caches to maintain), DC ZVA, address translation and TLB maintenance.</summary>
    private void SysOperation(uint op1, uint crn, uint crm, uint op2, int rt)
    {
        if (El == 0 && op1 != 3) throw Undefined();
        if (crn == 8)
        {
            FlushTlb();
            return;
        }
        if (crn != 7) throw Undefined();
        if (op1 == 3 && crm == 4 && op2 == 1)
        {
            // DC ZVA: zero the 64-byte block holding the address. At EL0 it traps unless SCTLR_EL1.DZE is set
            // (as QEMU: a trapped system instruction, with its encoding in the syndrome).
            if (!ZeroBlockAllowed)
                throw ArmFault.Exception(ExceptionClass.SysReg, 1u << 20 | op2 << 17 | op1 << 14 | crn << 10 | (uint)rt << 5 | crm << 1);
            ulong block = Xr(rt) & ~63UL;
            for (int i = 0; i < 64; i += 8) Store(block + (ulong)i, 8, 0);
            return;
        }
        if (op1 == 0 && crm == 8)
        {
            // AT S1E1R/W, S1E0R/W: translate and report in PAR_EL1 (bit 0 set on a fault, with its status).
            var r = MmuOn ? Walk(Xr(rt)) : new WalkResult(Xr(rt), 0x3f, 0);
            _par = r.Fault != 0 ? 1UL | (ulong)r.Fault << 1 : r.Pa & 0x0000_ffff_ffff_f000UL;
            return;
        }
        // IC IALLU(IS), IC IVAU, DC CIVAC/CVAC/CVAU/IVAC/ISW/CSW/CISW: nothing cached to maintain.
    }
}
