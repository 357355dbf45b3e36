using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>Atomics, CSR instructions, privileged instructions and everything else off the hot path.</summary>
public sealed partial class Hart
{
    /// <summary>Executes a rare instruction at <see cref="Pc"/>; returns the next pc (a trap vector if it trapped).</summary>
    private ulong ExecuteSystem(ref DecodedInsn d, ulong next)
    {
        switch (d.Op)
        {
            case >= Op.LrW and <= Op.AmoMaxuD:
                return ExecuteAtomic(ref d, next);
            case >= Op.Csrrw and <= Op.Csrrci:
                return ExecuteCsr(ref d, next);
            case Op.Ecall:
                RaiseException(Privilege switch
                {
                    PrivilegeLevel.User => ExceptionCause.EcallFromU,
                    PrivilegeLevel.Supervisor => ExceptionCause.EcallFromS,
                    _ => ExceptionCause.EcallFromM,
                }, 0);
                return Pc;
            case Op.Ebreak:
                // QEMU 7.2 leaves mtval at 0 for ebreak; guests are tested against it.
                RaiseException(ExceptionCause.Breakpoint, 0);
                return Pc;
            case Op.Mret:
                if (Privilege != PrivilegeLevel.Machine) return Illegal();
                DoMret();
                return Pc;
            case Op.Sret:
                if (Privilege == PrivilegeLevel.User
                    || (Privilege == PrivilegeLevel.Supervisor && (_mstatus & Riscv.Mstatus.Tsr) != 0))
                    return Illegal();
                DoSret();
                return Pc;
            case Op.Wfi:
                if (Privilege == PrivilegeLevel.User
                    || (Privilege == PrivilegeLevel.Supervisor && (_mstatus & Riscv.Mstatus.Tw) != 0))
                    return Illegal();
                if (!WaitingCanWake())
                {
                    _waiting = true;
                    _sliceEnd = 0;
                }
                return next;
            case Op.SfenceVma:
                if (Privilege == PrivilegeLevel.User
                    || (Privilege == PrivilegeLevel.Supervisor && (_mstatus & Riscv.Mstatus.Tvm) != 0))
                    return Illegal();
                FlushTlb();
                InvalidateTranslation();
                return next;
            case >= Op.FirstFloat:
                return ExecuteFloat(ref d, next);
            default:
                return Illegal();
        }
    }

    private ulong Illegal()
    {
        RaiseException(ExceptionCause.IllegalInstruction, InstructionBits(Pc));
        return Pc;
    }

    /// <summary>
    /// The bits of the instruction at <paramref name="pc"/>, for mtval/stval of an illegal instruction,
    /// read again from memory: decoded slots keep no copy (<see cref="DecodedInsn"/>), and the code cache
    /// drops a slot whose bytes change, so these are the bits that were decoded. 0 if they cannot be read
    /// (the spec allows 0 there).
    /// </summary>
    private uint InstructionBits(ulong pc)
    {
        uint raw = 0;
        for (int half = 0; half < 2; half++)
        {
            ulong va = pc + (ulong)(2 * half);
            if (Translate(va, AccessKind.Execute, out ulong pa, updateAccessed: false) != null || !_bus.TryRead(pa, 2, out ulong h))
                return 0;
            raw |= (uint)h << (16 * half);
            if (half == 0 && !Decoder.IsCompressed((uint)h)) continue;
            break;
        }
        return raw;
    }

    private ulong ExecuteCsr(ref DecodedInsn d, ulong next)
    {
        ushort csr = d.Aux;
        ulong operand = d.Op >= Op.Csrrwi ? (ulong)d.Imm : GetX(d.Rs1);
        bool isWrite = d.Op is Op.Csrrw or Op.Csrrwi || d.Rs1 != 0;
        bool isRead = !(d.Op is Op.Csrrw or Op.Csrrwi) || d.Rd != DecodedInsn.ZeroSink;
        ulong old = 0;
        if (isRead || isWrite)
        {
            if (!CsrRead(csr, out old)) return Illegal();
        }
        if (isWrite)
        {
            ulong basis = d.Op is Op.Csrrw or Op.Csrrwi ? 0 : ModifyBasis(csr, old);
            ulong value = d.Op switch
            {
                Op.Csrrw or Op.Csrrwi => operand,
                Op.Csrrs or Op.Csrrsi => basis | operand,
                _ => basis & ~operand,
            };
            if (!CsrWrite(csr, value)) return Illegal();
        }
        _regs[d.Rd] = old;
        return next;
    }

    private bool _reservationValid;
    private ulong _reservationAddress;
    private ulong _reservationValue;

    private ulong ExecuteAtomic(ref DecodedInsn d, ulong next)
    {
        bool word = d.Op <= Op.AmoMaxuW;
        int size = word ? 4 : 8;
        Op op = word ? d.Op : d.Op - (Op.LrD - Op.LrW);
        ulong addr = GetX(d.Rs1);
        if (op == Op.ScW) return StoreConditional(ref d, addr, size, word, next);
        if ((addr & (ulong)(size - 1)) != 0)
        {
            // QEMU 7.2 reports misaligned LR and AMOs alike as load-address-misaligned.
            RaiseException(ExceptionCause.LoadMisaligned, addr);
            return Pc;
        }
        if (op == Op.LrW)
        {
            if (!LoadSlow(addr, size, out ulong v)) return Pc;
            if (word) v = (ulong)(long)(int)v;
            _reservationValid = true;
            _reservationAddress = addr;
            _reservationValue = v;
            _regs[d.Rd] = v;
            return next;
        }
        // A write TLB entry for the page means this walk would succeed: skip it.
        var check = WriteTranslationCached(addr) ? null : Translate(addr, AccessKind.Write, out _, updateAccessed: false);
        if (check != null)
        {
            RaiseException(check.Value, addr);
            return Pc;
        }
        if (!LoadSlow(addr, size, out ulong oldRaw)) return Pc;
        ulong old = word ? (ulong)(long)(int)oldRaw : oldRaw;
        ulong src = word ? (ulong)(long)(int)GetX(d.Rs2) : GetX(d.Rs2);
        ulong result = op switch
        {
            Op.AmoSwapW => src,
            Op.AmoAddW => old + src,
            Op.AmoXorW => old ^ src,
            Op.AmoAndW => old & src,
            Op.AmoOrW => old | src,
            Op.AmoMinW => (long)old < (long)src ? old : src,
            Op.AmoMaxW => (long)old > (long)src ? old : src,
            Op.AmoMinuW => word ? ((uint)old < (uint)src ? old : src) : (old < src ? old : src),
            _ => word ? ((uint)old > (uint)src ? old : src) : (old > src ? old : src),
        };
        if (!StoreSlow(addr, size, result)) return Pc;
        _regs[d.Rd] = old;
        return next;
    }

    /// <summary>
    /// As QEMU does: SC fails without touching memory unless it targets the reserved address, and
    /// then succeeds only if memory still holds the value LR saw. A misaligned SC therefore just fails,
    /// since no LR can have reserved a misaligned address.
    /// </summary>
    private ulong StoreConditional(ref DecodedInsn d, ulong addr, int size, bool word, ulong next)
    {
        byte rd = d.Rd;
        ulong src = GetX(d.Rs2);
        bool ok = false;
        if (_reservationValid && _reservationAddress == addr)
        {
            if (!LoadSlow(addr, size, out ulong cur)) return Pc;
            if (word) cur = (ulong)(long)(int)cur;
            ok = cur == _reservationValue;
        }
        _reservationValid = false;
        if (ok && !StoreSlow(addr, size, src))
        {
            // A watchpoint stop abandons the SC before it happened: it must find its reservation again.
            if (_watchStopPending) _reservationValid = true;
            return Pc;
        }
        _regs[rd] = ok ? 0UL : 1UL;
        return next;
    }
}
