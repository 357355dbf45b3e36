namespace Rewind.Arm64;

/// <summary>
/// System registers for EL1 bare metal and Linux-style kernels, named by their MRS/MSR encoding
/// (op0, op1, CRn, CRm, op2). Unknown registers are undefined, as on hardware.
/// </summary>
public sealed partial class Arm64Cpu
{
    /// <summary>The current exception level; the fast path's data TLB keys and fetch window depend on it.</summary>
    public int El
    {
        get => _el;
        set
        {
            _el = value;
            UpdateDataContext();
        }
    }

    private int _el;
    public bool SpSel;
    private ulong _spEl0, _spEl1;
    private uint _nzcv;
    private uint _daif;

    private ulong _sctlr, _cpacr, _ttbr0, _ttbr1, _tcr, _mair, _amair, _vbar;
    private ulong _esr, _far, _elr, _spsr, _par, _contextidr, _tpidrEl0, _tpidrEl1, _tpidrRoEl0;
    private ulong _cntkctl, _cntvCtl, _cntvCval, _cntpCtl, _cntpCval, _mdscr, _csselr, _afsr0, _afsr1, _actlr;
    private ulong _fpcr, _fpsr;

    /// <summary>The encoding of a system register as MRS/MSR carry it in bits 20:5.</summary>
    public static int Key(int op0, int op1, int crn, int crm, int op2) => op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2;

    public static class SysReg
    {
        public static readonly int Midr = Key(3, 0, 0, 0, 0), Mpidr = Key(3, 0, 0, 0, 5), Revidr = Key(3, 0, 0, 0, 6);
        public static readonly int Pfr0 = Key(3, 0, 0, 4, 0), Dfr0 = Key(3, 0, 0, 5, 0), Isar0 = Key(3, 0, 0, 6, 0), Mmfr0 = Key(3, 0, 0, 7, 0);
        public static readonly int Sctlr = Key(3, 0, 1, 0, 0), Actlr = Key(3, 0, 1, 0, 1), Cpacr = Key(3, 0, 1, 0, 2);
        public static readonly int Ttbr0 = Key(3, 0, 2, 0, 0), Ttbr1 = Key(3, 0, 2, 0, 1), Tcr = Key(3, 0, 2, 0, 2);
        public static readonly int Spsr = Key(3, 0, 4, 0, 0), Elr = Key(3, 0, 4, 0, 1), SpEl0 = Key(3, 0, 4, 1, 0);
        public static readonly int SpSel = Key(3, 0, 4, 2, 0), CurrentEl = Key(3, 0, 4, 2, 2);
        public static readonly int Nzcv = Key(3, 3, 4, 2, 0), Daif = Key(3, 3, 4, 2, 1), Fpcr = Key(3, 3, 4, 4, 0), Fpsr = Key(3, 3, 4, 4, 1);
        public static readonly int Afsr0 = Key(3, 0, 5, 1, 0), Afsr1 = Key(3, 0, 5, 1, 1), Esr = Key(3, 0, 5, 2, 0);
        public static readonly int Far = Key(3, 0, 6, 0, 0), Par = Key(3, 0, 7, 4, 0);
        public static readonly int Mair = Key(3, 0, 10, 2, 0), Amair = Key(3, 0, 10, 3, 0);
        public static readonly int Vbar = Key(3, 0, 12, 0, 0), Isr = Key(3, 0, 12, 1, 0);
        public static readonly int Contextidr = Key(3, 0, 13, 0, 1), TpidrEl1 = Key(3, 0, 13, 0, 4);
        public static readonly int TpidrEl0 = Key(3, 3, 13, 0, 2), TpidrRoEl0 = Key(3, 3, 13, 0, 3);
        public static readonly int Cntkctl = Key(3, 0, 14, 1, 0), Cntfrq = Key(3, 3, 14, 0, 0);
        public static readonly int Cntpct = Key(3, 3, 14, 0, 1), Cntvct = Key(3, 3, 14, 0, 2);
        public static readonly int CntpTval = Key(3, 3, 14, 2, 0), CntpCtl = Key(3, 3, 14, 2, 1), CntpCval = Key(3, 3, 14, 2, 2);
        public static readonly int CntvTval = Key(3, 3, 14, 3, 0), CntvCtl = Key(3, 3, 14, 3, 1), CntvCval = Key(3, 3, 14, 3, 2);
        public static readonly int Ctr = Key(3, 3, 0, 0, 1), Dczid = Key(3, 3, 0, 0, 7);
        public static readonly int Ccsidr = Key(3, 1, 0, 0, 0), Clidr = Key(3, 1, 0, 0, 1), Csselr = Key(3, 2, 0, 0, 0);
        public static readonly int Mdscr = Key(2, 0, 0, 2, 2);
        // The GICv3 CPU interface (answered by Gic): PMR, and CRn 12 with CRm 8 to 12.
        public static readonly int IccPmr = Key(3, 0, 4, 6, 0);
        public static readonly int IccIar0 = Key(3, 0, 12, 8, 0), IccEoir0 = Key(3, 0, 12, 8, 1), IccHppir0 = Key(3, 0, 12, 8, 2), IccBpr0 = Key(3, 0, 12, 8, 3);
        public static readonly int IccAp0r0 = Key(3, 0, 12, 8, 4), IccAp1r0 = Key(3, 0, 12, 9, 0);
        public static readonly int IccDir = Key(3, 0, 12, 11, 1), IccRpr = Key(3, 0, 12, 11, 3);
        public static readonly int IccSgi1r = Key(3, 0, 12, 11, 5), IccAsgi1r = Key(3, 0, 12, 11, 6), IccSgi0r = Key(3, 0, 12, 11, 7);
        public static readonly int IccIar1 = Key(3, 0, 12, 12, 0), IccEoir1 = Key(3, 0, 12, 12, 1), IccHppir1 = Key(3, 0, 12, 12, 2), IccBpr1 = Key(3, 0, 12, 12, 3);
        public static readonly int IccCtlr = Key(3, 0, 12, 12, 4), IccSre = Key(3, 0, 12, 12, 5), IccIgrpen0 = Key(3, 0, 12, 12, 6), IccIgrpen1 = Key(3, 0, 12, 12, 7);
    }

    /// <summary>The GICv3 CPU interface's system registers, when the board has a GICv3; null without one (they are then undefined, as with a GICv2).</summary>
    public IArmGicCpuInterface? Gic { get; set; }

    /// <summary>Whether <paramref name="key"/> is an EL1 GIC CPU interface register (ICC_PMR_EL1, or op0 3, op1 0, CRn 12, CRm 8-12).</summary>
    public static bool IsGicSystemRegister(int key)
    {
        int op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15, crm = (key >> 3) & 15;
        return key == SysReg.IccPmr || (op0 == 3 && op1 == 0 && crn == 12 && crm is >= 8 and <= 12);
    }

    /// <summary>The generic timer's frequency: QEMU's 62.5 MHz, one tick every 16 ns.</summary>
    public const ulong TimerHz = 62_500_000;

    private void ResetSystemRegisters()
    {
        // SCTLR_EL1's RES1 bits as QEMU resets them (MMU and caches off).
        _sctlr = 0x30d0_0800;
        _cpacr = _ttbr0 = _ttbr1 = _tcr = _mair = _amair = _vbar = 0;
        _esr = _far = _elr = _spsr = _par = _contextidr = _tpidrEl0 = _tpidrEl1 = _tpidrRoEl0 = 0;
        _cntkctl = _cntvCtl = _cntvCval = _cntpCtl = _cntpCval = _mdscr = _csselr = _afsr0 = _afsr1 = _actlr = 0;
        _fpcr = _fpsr = 0;
    }

    /// <summary>The generic counter (CNTPCT/CNTVCT; CNTVOFF is 0): a function of the instruction count.</summary>
    public ulong Counter => _clock.NanosecondsAt(Icount) / 16;

    /// <summary>The first instruction count at which the counter reaches <paramref name="ticks"/>.</summary>
    public ulong IcountForCounter(ulong ticks) =>
        ticks >= ulong.MaxValue / 16 ? ulong.MaxValue : _clock.IcountForNanoseconds(ticks * 16);

    /// <summary>CNTV_CTL/CNTP_CTL with ISTATUS (bit 2) as the counter makes it now.</summary>
    private ulong TimerCtl(ulong ctl, ulong cval) => (ctl & 3) | ((ctl & 1) != 0 && Counter >= cval ? 4UL : 0);

    /// <summary>(enabled, masked, compare value) of the virtual and physical timers, for the board's timer device.</summary>
    public (bool Enabled, bool Masked, ulong Cval) VirtualTimer => ((_cntvCtl & 1) != 0, (_cntvCtl & 2) != 0, _cntvCval);
    public (bool Enabled, bool Masked, ulong Cval) PhysicalTimer => ((_cntpCtl & 1) != 0, (_cntpCtl & 2) != 0, _cntpCval);

    private ulong Midr => Model switch
    {
        ArmCpuModel.CortexA53 => 0x410f_d034,
        ArmCpuModel.CortexA57 => 0x411f_d070,
        ArmCpuModel.CortexA72 => 0x410f_d083,
        _ => 0x000f_0510,
    };

    /// <summary>Reads a system register as MRS does; false if it does not exist (or not from EL0).</summary>
    public bool TryReadSystemRegister(int key, out ulong value)
    {
        value = 0;
        int op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15;
        // EL0 may read only the op1=3 group (NZCV, DAIF is checked below, FPCR/FPSR, TPIDR*_EL0, counters, CTR, DCZID).
        if (El == 0 && op1 != 3) return false;
        if (IsGicSystemRegister(key)) return Gic != null && Gic.TryReadIcc(Index, key, out value);
        if (key == SysReg.Midr) value = Midr;
        else if (key == SysReg.Mpidr) value = 0x8000_0000UL | Affinity; // bit 31 RES1; U = 0, MT = 0
        else if (key == SysReg.Revidr) value = 0;
        // EL0 and EL1 AArch64 only; FP and AdvSIMD present; GIC (bits 27:24) = 1 when the system-register CPU interface is there.
        else if (key == SysReg.Pfr0) value = 0x0000_0000_0000_0011 | (Gic != null ? 1UL << 24 : 0);
        // 48-bit PA, 16-bit ASID; TGran4 and TGran64 = 0 (present), TGran16 = 1 (present) on max only, as in
        // QEMU's models (whose max says 4 and 16 KiB with 52-bit addresses, LPA2, which this CPU lacks).
        else if (key == SysReg.Mmfr0) value = Has16KGranule ? 0x0000_0000_0010_0025UL : 0x0000_0000_0000_0025UL;
        else if (key == SysReg.Isar0) value = HasLse ? 0x0021_0000UL : 0x0001_0000UL; // CRC32; Atomic = 2 (LSE) on max
        else if (op0 == 3 && op1 == 0 && crn == 0) value = 0; // the rest of the ID space reads as zero
        else if (key == SysReg.Sctlr) value = _sctlr;
        else if (key == SysReg.Actlr) value = _actlr;
        else if (key == SysReg.Cpacr) value = _cpacr;
        else if (key == SysReg.Ttbr0) value = _ttbr0;
        else if (key == SysReg.Ttbr1) value = _ttbr1;
        else if (key == SysReg.Tcr) value = _tcr;
        else if (key == SysReg.Spsr) value = _spsr;
        else if (key == SysReg.Elr) value = _elr;
        else if (key == SysReg.SpEl0)
        {
            if (!SpSel) return false;
            value = _spEl0;
        }
        else if (key == SysReg.SpSel) value = SpSel ? 1UL : 0;
        else if (key == SysReg.CurrentEl) value = (ulong)El << 2;
        else if (key == SysReg.Nzcv) value = _nzcv;
        else if (key == SysReg.Daif)
        {
            if (El == 0 && (_sctlr & (1 << 9)) == 0) return false;
            value = (ulong)_daif << 6;
        }
        else if (key == SysReg.Fpcr) value = _fpcr;
        else if (key == SysReg.Fpsr) value = _fpsr;
        else if (key == SysReg.Afsr0) value = _afsr0;
        else if (key == SysReg.Afsr1) value = _afsr1;
        else if (key == SysReg.Esr) value = _esr;
        else if (key == SysReg.Far) value = _far;
        else if (key == SysReg.Par) value = _par;
        else if (key == SysReg.Mair) value = _mair;
        else if (key == SysReg.Amair) value = _amair;
        else if (key == SysReg.Vbar) value = _vbar;
        else if (key == SysReg.Isr) value = (_irqLine ? 0x80UL : 0) | (_fiqLine ? 0x40UL : 0);
        else if (key == SysReg.Contextidr) value = _contextidr;
        else if (key == SysReg.TpidrEl1) value = _tpidrEl1;
        else if (key == SysReg.TpidrEl0) value = _tpidrEl0;
        else if (key == SysReg.TpidrRoEl0) value = _tpidrRoEl0;
        else if (key == SysReg.Cntkctl) value = _cntkctl;
        else if (key == SysReg.Cntfrq) value = TimerHz;
        else if (key == SysReg.Cntpct || key == SysReg.Cntvct) value = Counter;
        else if (key == SysReg.CntpCtl) value = TimerCtl(_cntpCtl, _cntpCval);
        else if (key == SysReg.CntpCval) value = _cntpCval;
        else if (key == SysReg.CntpTval) value = (ulong)(long)(int)(uint)(_cntpCval - Counter);
        else if (key == SysReg.CntvCtl) value = TimerCtl(_cntvCtl, _cntvCval);
        else if (key == SysReg.CntvCval) value = _cntvCval;
        else if (key == SysReg.CntvTval) value = (ulong)(long)(int)(uint)(_cntvCval - Counter);
        else if (key == SysReg.Ctr) value = 0x8444_c004; // as QEMU's Cortex-A57: 64-byte lines, PIPT I-cache
        else if (key == SysReg.Dczid) value = 4 | (ZeroBlockAllowed ? 0UL : 0x10); // 64-byte blocks; DZP where DC ZVA traps
        else if (key == SysReg.Clidr) value = 0x0a20_0023;
        else if (key == SysReg.Ccsidr) value = 0x701f_e00a;
        else if (key == SysReg.Csselr) value = _csselr;
        else if (key == SysReg.Mdscr) value = _mdscr;
        else if (op0 == 2) value = 0; // other debug registers (OSLAR, OSDLR, breakpoints): read as zero
        else if (op0 == 3 && op1 == 3 && crn == 9) value = 0; // PMU: no counters
        else return false;
        return true;
    }

    /// <summary>Writes a system register as MSR does; false if it does not exist or is read-only.</summary>
    public bool TryWriteSystemRegister(int key, ulong value)
    {
        int op0 = key >> 14, op1 = (key >> 11) & 7, crn = (key >> 7) & 15;
        if (El == 0 && op1 != 3) return false;
        if (IsGicSystemRegister(key)) return Gic != null && Gic.TryWriteIcc(Index, key, value);
        if (key == SysReg.Sctlr)
        {
            _sctlr = value;
            FlushTlb();
        }
        else if (key == SysReg.Actlr) _actlr = value;
        else if (key == SysReg.Cpacr) _cpacr = value & 0x0030_0000;
        else if (key == SysReg.Ttbr0) { _ttbr0 = value; FlushTlb(); }
        else if (key == SysReg.Ttbr1) { _ttbr1 = value; FlushTlb(); }
        else if (key == SysReg.Tcr) { _tcr = value; FlushTlb(); }
        else if (key == SysReg.Spsr) _spsr = value & 0xf000_03ff;
        else if (key == SysReg.Elr) _elr = value;
        else if (key == SysReg.SpEl0)
        {
            if (!SpSel) return false;
            _spEl0 = value;
        }
        else if (key == SysReg.SpSel) SpSel = (value & 1) != 0;
        else if (key == SysReg.Nzcv) _nzcv = (uint)value & 0xf000_0000;
        else if (key == SysReg.Daif)
        {
            if (El == 0 && (_sctlr & (1 << 9)) == 0) return false;
            _daif = (uint)(value >> 6) & 0xf;
            RecheckInterrupts();
        }
        else if (key == SysReg.Fpcr) _fpcr = value & 0x07ff_9f00;
        else if (key == SysReg.Fpsr) _fpsr = value & 0xf800_009f;
        else if (key == SysReg.Afsr0) _afsr0 = value;
        else if (key == SysReg.Afsr1) _afsr1 = value;
        else if (key == SysReg.Esr) _esr = value & 0xffff_ffff;
        else if (key == SysReg.Far) _far = value;
        else if (key == SysReg.Par) _par = value;
        else if (key == SysReg.Mair) _mair = value;
        else if (key == SysReg.Amair) _amair = value;
        else if (key == SysReg.Vbar) _vbar = value & ~0x7ffUL;
        else if (key == SysReg.Contextidr) _contextidr = value & 0xffff_ffff;
        else if (key == SysReg.TpidrEl1) _tpidrEl1 = value;
        else if (key == SysReg.TpidrEl0) _tpidrEl0 = value;
        else if (key == SysReg.TpidrRoEl0)
        {
            if (El == 0) return false;
            _tpidrRoEl0 = value;
        }
        else if (key == SysReg.Cntkctl) _cntkctl = value;
        else if (key == SysReg.CntpCtl) { _cntpCtl = value & 3; TimerChanged?.Invoke(); }
        else if (key == SysReg.CntpCval) { _cntpCval = value; TimerChanged?.Invoke(); }
        else if (key == SysReg.CntpTval) { _cntpCval = Counter + (ulong)(long)(int)(uint)value; TimerChanged?.Invoke(); }
        else if (key == SysReg.CntvCtl) { _cntvCtl = value & 3; TimerChanged?.Invoke(); }
        else if (key == SysReg.CntvCval) { _cntvCval = value; TimerChanged?.Invoke(); }
        else if (key == SysReg.CntvTval) { _cntvCval = Counter + (ulong)(long)(int)(uint)value; TimerChanged?.Invoke(); }
        else if (key == SysReg.Csselr) _csselr = value & 0xf;
        else if (key == SysReg.Mdscr) _mdscr = value;
        else if (op0 == 2) { } // other debug registers: ignored
        else if (op0 == 3 && op1 == 3 && crn == 9) { } // PMU: ignored
        else return false;
        return true;
    }

    private ulong[] SystemRegisterFields() =>
    [
        _sctlr, _cpacr, _ttbr0, _ttbr1, _tcr, _mair, _amair, _vbar,
        _esr, _far, _elr, _spsr, _par, _contextidr, _tpidrEl0, _tpidrEl1, _tpidrRoEl0,
        _cntkctl, _cntvCtl, _cntvCval, _cntpCtl, _cntpCval, _mdscr, _csselr, _afsr0, _afsr1, _actlr,
        _fpcr, _fpsr,
    ];

    private void SetSystemRegisterFields(ulong[] v)
    {
        int i = 0;
        _sctlr = v[i++]; _cpacr = v[i++]; _ttbr0 = v[i++]; _ttbr1 = v[i++]; _tcr = v[i++]; _mair = v[i++]; _amair = v[i++]; _vbar = v[i++];
        _esr = v[i++]; _far = v[i++]; _elr = v[i++]; _spsr = v[i++]; _par = v[i++]; _contextidr = v[i++];
        _tpidrEl0 = v[i++]; _tpidrEl1 = v[i++]; _tpidrRoEl0 = v[i++];
        _cntkctl = v[i++]; _cntvCtl = v[i++]; _cntvCval = v[i++]; _cntpCtl = v[i++]; _cntpCval = v[i++];
        _mdscr = v[i++]; _csselr = v[i++]; _afsr0 = v[i++]; _afsr1 = v[i++]; _actlr = v[i++];
        _fpcr = v[i++]; _fpsr = v[i++];
    }
}
