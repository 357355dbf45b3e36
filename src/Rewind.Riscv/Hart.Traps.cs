namespace Rewind.Riscv;

/// <summary>Trap entry, interrupt selection and the xRET instructions, per the privileged specification.</summary>
public sealed partial class Hart
{
    private const ulong InterruptBit = 1UL << 63;

    /// <summary>Interrupts in the order the privileged spec gives them priority.</summary>
    private static readonly int[] InterruptPriority = [Irq.Mei, Irq.Msi, Irq.Mti, Irq.Sei, Irq.Ssi, Irq.Sti];

    /// <summary>Last trap taken, for debugger stop reports and tests.</summary>
    public ulong LastTrapCause { get; private set; }

    public void RaiseException(ExceptionCause cause, ulong tval) => TakeTrap((ulong)cause, tval, interrupt: false);

    private void TakeTrap(ulong code, ulong tval, bool interrupt)
    {
        ulong deleg = interrupt ? _mideleg : _medeleg;
        ulong cause = code | (interrupt ? InterruptBit : 0);
        LastTrapCause = cause;
        Counters.Traps++;
        _reservationValid = false;
        if (Privilege != PrivilegeLevel.Machine && ((deleg >> (int)code) & 1) != 0)
        {
            _scause = cause;
            _sepc = Pc;
            _stval = tval;
            ulong s = _mstatus;
            s = (s & Riscv.Mstatus.Sie) != 0 ? s | Riscv.Mstatus.Spie : s & ~Riscv.Mstatus.Spie;
            s &= ~Riscv.Mstatus.Sie;
            s = Privilege == PrivilegeLevel.Supervisor ? s | Riscv.Mstatus.Spp : s & ~Riscv.Mstatus.Spp;
            _mstatus = s;
            Privilege = PrivilegeLevel.Supervisor;
            Pc = TrapVector(_stvec, code, interrupt);
        }
        else
        {
            _mcause = cause;
            _mepc = Pc;
            _mtval = tval;
            ulong s = _mstatus;
            s = (s & Riscv.Mstatus.Mie) != 0 ? s | Riscv.Mstatus.Mpie : s & ~Riscv.Mstatus.Mpie;
            s &= ~Riscv.Mstatus.Mie;
            s = (s & ~Riscv.Mstatus.Mpp) | ((ulong)Privilege << Riscv.Mstatus.MppShift);
            _mstatus = s;
            Privilege = PrivilegeLevel.Machine;
            Pc = TrapVector(_mtvec, code, interrupt);
        }
        InvalidateTranslation();
    }

    private static ulong TrapVector(ulong tvec, ulong code, bool interrupt) =>
        (tvec & 3) == 1 && interrupt ? (tvec & ~3UL) + 4 * code : tvec & ~3UL;

    /// <summary>Takes the highest-priority enabled pending interrupt, if any.</summary>
    private bool TryTakeInterrupt()
    {
        ulong pending = EffectiveMip & _mie;
        if (pending == 0) return false;
        bool mEnabled = Privilege < PrivilegeLevel.Machine || (_mstatus & Riscv.Mstatus.Mie) != 0;
        bool sEnabled = Privilege < PrivilegeLevel.Supervisor
            || (Privilege == PrivilegeLevel.Supervisor && (_mstatus & Riscv.Mstatus.Sie) != 0);
        ulong mPending = mEnabled ? pending & ~_mideleg : 0;
        ulong sPending = sEnabled ? pending & _mideleg : 0;
        ulong take = mPending != 0 ? mPending : sPending;
        if (take == 0) return false;
        foreach (int irq in InterruptPriority)
        {
            if (((take >> irq) & 1) != 0)
            {
                TakeTrap((ulong)irq, 0, interrupt: true);
                return true;
            }
        }
        return false;
    }

    private void DoMret()
    {
        ulong s = _mstatus;
        var mpp = (PrivilegeLevel)((s & Riscv.Mstatus.Mpp) >> Riscv.Mstatus.MppShift);
        s = (s & Riscv.Mstatus.Mpie) != 0 ? s | Riscv.Mstatus.Mie : s & ~Riscv.Mstatus.Mie;
        s |= Riscv.Mstatus.Mpie;
        s &= ~Riscv.Mstatus.Mpp;
        if (mpp != PrivilegeLevel.Machine) s &= ~Riscv.Mstatus.Mprv;
        _mstatus = s;
        Privilege = mpp;
        Pc = _mepc;
        _reservationValid = false;
        InvalidateTranslation();
        RecheckInterrupts();
    }

    private void DoSret()
    {
        ulong s = _mstatus;
        var spp = (s & Riscv.Mstatus.Spp) != 0 ? PrivilegeLevel.Supervisor : PrivilegeLevel.User;
        s = (s & Riscv.Mstatus.Spie) != 0 ? s | Riscv.Mstatus.Sie : s & ~Riscv.Mstatus.Sie;
        s |= Riscv.Mstatus.Spie;
        s &= ~Riscv.Mstatus.Spp;
        s &= ~Riscv.Mstatus.Mprv;
        _mstatus = s;
        Privilege = spp;
        Pc = _sepc;
        _reservationValid = false;
        InvalidateTranslation();
        RecheckInterrupts();
    }
}
