namespace Rewind.Riscv;

/// <summary>Control and status registers: storage, WARL rules and access checks.</summary>
public sealed partial class Hart
{
    private const ulong MisaMxl64 = 2UL << 62;

    private ulong _mstatus, _misa, _medeleg, _mideleg, _mie, _mipSoftware, _mipHardware;
    private ulong _mtvec, _stvec, _mscratch, _sscratch, _mepc, _sepc, _mcause, _scause, _mtval, _stval;
    private ulong _mcounteren, _scounteren, _menvcfg, _senvcfg, _satp, _mcountinhibit;
    // While mcountinhibit stops a counter, its offset field holds the frozen value instead.
    private ulong _cycleOffset, _instretOffset, _tselect;
    private ulong _stimecmp;
    private const ulong MenvcfgFiom = 1, MenvcfgStce = 1UL << 63;
    private const int InhibitCy = 0, InhibitIr = 2;
    // As QEMU 7.2's rv64: 16 PMP entries (pmpcfg0/2, pmpaddr0-15) and 16 programmable counters
    // (mhpmcounter3-18) that hold what is written but count nothing, since no event is implemented.
    public const int PmpEntries = 16, HpmCounters = 16;
    private readonly ulong[] _pmpcfg = new ulong[PmpEntries / 4];
    private readonly ulong[] _pmpaddr = new ulong[PmpEntries];
    private readonly ulong[] _mhpmcounter = new ulong[HpmCounters];
    private readonly ulong[] _mhpmevent = new ulong[HpmCounters];

    /// <summary>Extensions reported in misa.</summary>
    private static ulong MisaExtensions()
    {
        ulong bits = 0;
        foreach (char c in "IMAFDCSU") bits |= 1UL << (c - 'A');
        return bits;
    }

    private void ResetCsrs()
    {
        _misa = MisaMxl64 | MisaExtensions();
        _mstatus = (2UL << 32) | (2UL << 34);
        _medeleg = _mideleg = _mie = _mipSoftware = 0;
        _mtvec = _stvec = _mscratch = _sscratch = _mepc = _sepc = _mcause = _scause = _mtval = _stval = 0;
        _mcounteren = _scounteren = _menvcfg = _senvcfg = _satp = _mcountinhibit = 0;
        _cycleOffset = _instretOffset = _tselect = 0;
        _stimecmp = 0;
        Array.Clear(_pmpcfg);
        Array.Clear(_pmpaddr);
        Array.Clear(_mhpmcounter);
        Array.Clear(_mhpmevent);
        RecomputePmp();
        ResetFpu();
    }

    /// <summary>Pending interrupts as software sees them in mip.</summary>
    public ulong EffectiveMip => _mipSoftware | _mipHardware;

    /// <summary>
    /// What a CSRRS or CSRRC modifies, given the value it read. For mip that is the software-writable
    /// bits only (privileged spec §3.1.9: "only the software-writable SEIP bit participates in the
    /// read-modify-write sequence"): the read shows an interrupt line OR'd in, and writing that back would
    /// latch the line into the software bit, an interrupt that stays pending after the device dropped it
    /// (OpenSBI's `csrs mip, SSIP` for an IPI, made while the PLIC drives SEIP, did exactly that).
    /// </summary>
    private ulong ModifyBasis(ushort csr, ulong read) => csr switch
    {
        Csr.Mip => _mipSoftware,
        _ => read,
    };

    private ulong Mstatus_ReadView()
    {
        ulong s = _mstatus;
        if ((s & Riscv.Mstatus.Fs) == Riscv.Mstatus.Fs) s |= Riscv.Mstatus.Sd;
        return s;
    }

    /// <summary>Reads a CSR as an instruction at the current privilege would; false means illegal instruction.</summary>
    private bool CsrRead(ushort csr, out ulong value)
    {
        value = 0;
        if (((csr >> 8) & 3) > (int)Privilege) return false;
        return CsrReadUnchecked(csr, out value, checkCounters: true);
    }

    /// <summary>Debugger access: no privilege check.</summary>
    public bool TryReadCsr(ushort csr, out ulong value) => CsrReadUnchecked(csr, out value, checkCounters: false);

    public bool TryWriteCsr(ushort csr, ulong value) => CsrWriteUnchecked(csr, value);

    private bool CounterAllowed(int index)
    {
        if (Privilege == PrivilegeLevel.Machine) return true;
        if (((_mcounteren >> index) & 1) == 0) return false;
        return Privilege == PrivilegeLevel.Supervisor || ((_scounteren >> index) & 1) != 0;
    }

    private bool Inhibited(int bit) => ((_mcountinhibit >> bit) & 1) != 0;
    private ulong CycleNow => Inhibited(InhibitCy) ? _cycleOffset : Icount + _cycleOffset;
    private ulong InstretNow => Inhibited(InhibitIr) ? _instretOffset : Icount + _instretOffset;

    /// <summary>Sstc: the supervisor timer compare value; the board's timer compares it with mtime.</summary>
    public ulong Stimecmp => _stimecmp;
    /// <summary>menvcfg.STCE: stimecmp drives mip.STIP (and software can no longer write STIP).</summary>
    public bool SstcEnabled => (_menvcfg & MenvcfgStce) != 0;
    /// <summary>Called after stimecmp or menvcfg.STCE changed, so the timer re-evaluates STIP and its deadline.</summary>
    public Action? SupervisorTimerChanged { get; set; }

    /// <summary>stimecmp from S-mode needs mcounteren.TM and menvcfg.STCE, as QEMU's Sstc predicate says.</summary>
    private bool StimecmpAllowed() =>
        Privilege == PrivilegeLevel.Machine || (((_mcounteren >> 1) & 1) != 0 && SstcEnabled);

    private void SetMcountinhibit(ulong value)
    {
        value &= 0xfffffffd;
        // Freezing stores the counter's value in its offset; thawing turns it back into an offset.
        if (Inhibited(InhibitCy) != (((value >> InhibitCy) & 1) != 0)) _cycleOffset = Inhibited(InhibitCy) ? _cycleOffset - Icount : Icount + _cycleOffset;
        if (Inhibited(InhibitIr) != (((value >> InhibitIr) & 1) != 0)) _instretOffset = Inhibited(InhibitIr) ? _instretOffset - Icount : Icount + _instretOffset;
        _mcountinhibit = value;
    }

    private bool CsrReadUnchecked(ushort csr, out ulong value, bool checkCounters)
    {
        value = 0;
        switch (csr)
        {
            case Csr.Fflags:
            case Csr.Frm:
            case Csr.Fcsr:
                return FpuCsrRead(csr, out value);
            case Csr.Cycle:
            case Csr.Time:
            case Csr.Instret:
                if (checkCounters && !CounterAllowed(csr - Csr.Cycle)) return false;
                value = csr switch
                {
                    Csr.Cycle => CycleNow,
                    Csr.Instret => InstretNow,
                    _ => Timebase?.ReadTime() ?? 0,
                };
                return true;
            case >= Csr.HpmCounter3 and <= Csr.HpmCounter31:
                if (checkCounters && !CounterAllowed(csr - Csr.Cycle)) return false;
                value = HpmRead(_mhpmcounter, csr - Csr.HpmCounter3);
                return true;
            case Csr.Sstatus: value = Mstatus_ReadView() & Riscv.Mstatus.SstatusMask; return true;
            case Csr.Sie: value = _mie & _mideleg; return true;
            case Csr.Sip: value = EffectiveMip & _mideleg; return true;
            case Csr.Stvec: value = _stvec; return true;
            case Csr.Scounteren: value = _scounteren; return true;
            case Csr.Senvcfg: value = _senvcfg; return true;
            case Csr.Sscratch: value = _sscratch; return true;
            case Csr.Sepc: value = _sepc; return true;
            case Csr.Scause: value = _scause; return true;
            case Csr.Stval: value = _stval; return true;
            case Csr.Stimecmp:
                if (checkCounters && !StimecmpAllowed()) return false;
                value = _stimecmp;
                return true;
            case Csr.Satp:
                if (checkCounters && Privilege == PrivilegeLevel.Supervisor && (_mstatus & Riscv.Mstatus.Tvm) != 0) return false;
                value = _satp;
                return true;
            case Csr.Mvendorid: case Csr.Marchid: case Csr.Mimpid: case Csr.Mconfigptr: return true;
            case Csr.Mhartid: value = (ulong)HartId; return true;
            case Csr.Mstatus: value = Mstatus_ReadView(); return true;
            case Csr.Misa: value = _misa; return true;
            case Csr.Medeleg: value = _medeleg; return true;
            case Csr.Mideleg: value = _mideleg; return true;
            case Csr.Mie: value = _mie; return true;
            case Csr.Mip: value = EffectiveMip; return true;
            case Csr.Mtvec: value = _mtvec; return true;
            case Csr.Mcounteren: value = _mcounteren; return true;
            case Csr.Menvcfg: value = _menvcfg; return true;
            case Csr.Mcountinhibit: value = _mcountinhibit; return true;
            case >= Csr.Mhpmevent3 and <= Csr.Mhpmevent31: value = HpmRead(_mhpmevent, csr - Csr.Mhpmevent3); return true;
            case Csr.Mscratch: value = _mscratch; return true;
            case Csr.Mepc: value = _mepc; return true;
            case Csr.Mcause: value = _mcause; return true;
            case Csr.Mtval: value = _mtval; return true;
            case >= Csr.Pmpcfg0 and <= Csr.Pmpcfg15:
                if (!PmpcfgExists(csr)) return false;
                value = _pmpcfg[(csr - Csr.Pmpcfg0) >> 1];
                return true;
            case >= Csr.Pmpaddr0 and <= Csr.Pmpaddr63:
                if (csr - Csr.Pmpaddr0 >= PmpEntries) return false;
                value = _pmpaddr[csr - Csr.Pmpaddr0];
                return true;
            case Csr.Mseccfg: return true;
            case Csr.Mcycle: value = CycleNow; return true;
            case Csr.Minstret: value = InstretNow; return true;
            case >= Csr.Mhpmcounter3 and <= Csr.Mhpmcounter31: value = HpmRead(_mhpmcounter, csr - Csr.Mhpmcounter3); return true;
            case Csr.Tselect: value = _tselect; return true;
            case Csr.Tdata1: case Csr.Tdata2: case Csr.Tdata3: return true;
            case Csr.Tinfo: value = 1; return true;
            default: return false;
        }
    }

    private bool CsrWrite(ushort csr, ulong value)
    {
        if ((csr >> 10) == 3) return false;
        if (((csr >> 8) & 3) > (int)Privilege) return false;
        if (csr == Csr.Satp && Privilege == PrivilegeLevel.Supervisor && (_mstatus & Riscv.Mstatus.Tvm) != 0) return false;
        if (csr == Csr.Stimecmp && !StimecmpAllowed()) return false;
        return CsrWriteUnchecked(csr, value);
    }

    private bool CsrWriteUnchecked(ushort csr, ulong value)
    {
        switch (csr)
        {
            case Csr.Fflags:
            case Csr.Frm:
            case Csr.Fcsr:
                return FpuCsrWrite(csr, value);
            case Csr.Sstatus:
                WriteMstatus((_mstatus & ~Riscv.Mstatus.SstatusWritable) | (value & Riscv.Mstatus.SstatusWritable));
                return true;
            case Csr.Sie:
                _mie = (_mie & ~_mideleg) | (value & _mideleg);
                RecheckInterrupts();
                return true;
            case Csr.Sip:
                {
                    ulong writable = _mideleg & (1UL << Irq.Ssi);
                    _mipSoftware = (_mipSoftware & ~writable) | (value & writable);
                    RecheckInterrupts();
                    return true;
                }
            case Csr.Stvec: _stvec = value & ~2UL; return true;
            case Csr.Scounteren: _scounteren = value & 0xffffffff; return true;
            case Csr.Senvcfg: _senvcfg = value & 1; return true;
            case Csr.Sscratch: _sscratch = value; return true;
            case Csr.Sepc: _sepc = value & ~1UL; return true;
            case Csr.Scause: _scause = value; return true;
            case Csr.Stval: _stval = value; return true;
            case Csr.Stimecmp:
                _stimecmp = value;
                SupervisorTimerChanged?.Invoke();
                return true;
            case Csr.Satp:
                {
                    ulong mode = value >> 60;
                    // WARL: modes we do not implement leave satp unchanged, as the spec allows.
                    if (mode != 0 && mode != 8 && mode != 9) return true;
                    _satp = value & ~(0xffffUL << 44);
                    FlushTlb();
                    InvalidateTranslation();
                    return true;
                }
            case Csr.Mstatus: WriteMstatus(value); return true;
            case Csr.Misa: return true;
            case Csr.Medeleg: _medeleg = value & 0xb3ff; return true;
            case Csr.Mideleg:
                _mideleg = value & Irq.SupervisorMask;
                RecheckInterrupts();
                return true;
            case Csr.Mie:
                _mie = value & Irq.AllMask;
                RecheckInterrupts();
                return true;
            case Csr.Mip:
                {
                    ulong writable = Irq.SupervisorMask;
                    if (SstcEnabled) writable &= ~(1UL << Irq.Sti);
                    _mipSoftware = (_mipSoftware & ~writable) | (value & writable);
                    RecheckInterrupts();
                    return true;
                }
            case Csr.Mtvec: _mtvec = (value & 3) >= 2 ? (value & ~3UL) : value; return true;
            case Csr.Mcounteren: _mcounteren = value & 0xffffffff; return true;
            case Csr.Menvcfg:
                _menvcfg = value & (MenvcfgFiom | MenvcfgStce);
                SupervisorTimerChanged?.Invoke();
                return true;
            case Csr.Mcountinhibit: SetMcountinhibit(value); return true;
            case >= Csr.Mhpmevent3 and <= Csr.Mhpmevent31: HpmWrite(_mhpmevent, csr - Csr.Mhpmevent3, value); return true;
            case Csr.Mscratch: _mscratch = value; return true;
            case Csr.Mepc: _mepc = value & ~1UL; return true;
            case Csr.Mcause: _mcause = value; return true;
            case Csr.Mtval: _mtval = value; return true;
            case >= Csr.Pmpcfg0 and <= Csr.Pmpcfg15:
                {
                    if (!PmpcfgExists(csr)) return false;
                    int i = (csr - Csr.Pmpcfg0) >> 1;
                    _pmpcfg[i] = PmpcfgWarl(_pmpcfg[i], value);
                    PmpChanged();
                    return true;
                }
            case >= Csr.Pmpaddr0 and <= Csr.Pmpaddr63:
                if (csr - Csr.Pmpaddr0 >= PmpEntries) return false;
                if (PmpaddrLocked(csr - Csr.Pmpaddr0)) return true;
                _pmpaddr[csr - Csr.Pmpaddr0] = value & ((1UL << 54) - 1);
                PmpChanged();
                return true;
            case Csr.Mseccfg: return true;
            case Csr.Mcycle: _cycleOffset = Inhibited(InhibitCy) ? value : value - Icount; return true;
            case Csr.Minstret: _instretOffset = Inhibited(InhibitIr) ? value : value - Icount; return true;
            case >= Csr.Mhpmcounter3 and <= Csr.Mhpmcounter31: HpmWrite(_mhpmcounter, csr - Csr.Mhpmcounter3, value); return true;
            case Csr.Tselect: _tselect = value; return true;
            case Csr.Tdata1: case Csr.Tdata2: case Csr.Tdata3: return true;
            default: return false;
        }
    }

    /// <summary>On RV64 only even pmpcfg registers exist, each holding eight entries' configuration.</summary>
    private static bool PmpcfgExists(ushort csr) => (csr & 1) == 0 && (csr - Csr.Pmpcfg0) / 2 < PmpEntries / 8;

    /// <summary>Counters (and their event selectors) past the implemented ones read as zero and ignore writes.</summary>
    private static ulong HpmRead(ulong[] bank, int index) => index < bank.Length ? bank[index] : 0;

    private static void HpmWrite(ulong[] bank, int index, ulong value)
    {
        if (index < bank.Length) bank[index] = value;
    }

    /// <summary>Locked PMP entries keep their configuration; W without R is reserved and reads back as 0.</summary>
    private static ulong PmpcfgWarl(ulong old, ulong value)
    {
        ulong result = 0;
        for (int i = 0; i < 8; i++)
        {
            ulong o = (old >> (8 * i)) & 0xff, n = (value >> (8 * i)) & 0xff;
            if ((o & 0x80) != 0) n = o;
            else if ((n & 3) == 2) n &= ~3UL;
            result |= (n & 0x9f) << (8 * i);
        }
        return result;
    }

    private void WriteMstatus(ulong value)
    {
        ulong mpp = (value & Riscv.Mstatus.Mpp) >> Riscv.Mstatus.MppShift;
        if (mpp == 2) value = (value & ~Riscv.Mstatus.Mpp) | (_mstatus & Riscv.Mstatus.Mpp);
        const ulong writable = Riscv.Mstatus.WritableMask;
        _mstatus = (_mstatus & ~writable) | (value & writable);
        InvalidateTranslation();
        RecheckInterrupts();
    }
}
