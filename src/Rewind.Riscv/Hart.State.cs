using Rewind.Core.State;

namespace Rewind.Riscv;

/// <summary>Snapshot support: every guest-visible field of the hart, in a fixed order.</summary>
public sealed partial class Hart : IStateful
{
    public void SaveState(BinaryWriter writer)
    {
        for (int i = 0; i < 32; i++) writer.Write(_regs[i]);
        writer.Write(Pc);
        writer.Write((byte)Privilege);
        writer.Write(Icount);
        foreach (ulong v in CsrFields()) writer.Write(v);
        foreach (ulong v in _pmpcfg) writer.Write(v);
        foreach (ulong v in _pmpaddr) writer.Write(v);
        foreach (ulong v in _mhpmcounter) writer.Write(v);
        foreach (ulong v in _mhpmevent) writer.Write(v);
        writer.Write(_reservationValid);
        writer.Write(_reservationAddress);
        writer.Write(_reservationValue);
        writer.Write(_waiting);
        SaveFpu(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        for (int i = 0; i < 32; i++) _regs[i] = reader.ReadUInt64();
        _regs[0] = 0;
        Pc = reader.ReadUInt64();
        Privilege = (PrivilegeLevel)reader.ReadByte();
        Icount = reader.ReadUInt64();
        ulong[] csrs = new ulong[CsrFields().Length];
        for (int i = 0; i < csrs.Length; i++) csrs[i] = reader.ReadUInt64();
        SetCsrFields(csrs);
        for (int i = 0; i < _pmpcfg.Length; i++) _pmpcfg[i] = reader.ReadUInt64();
        for (int i = 0; i < _pmpaddr.Length; i++) _pmpaddr[i] = reader.ReadUInt64();
        for (int i = 0; i < _mhpmcounter.Length; i++) _mhpmcounter[i] = reader.ReadUInt64();
        for (int i = 0; i < _mhpmevent.Length; i++) _mhpmevent[i] = reader.ReadUInt64();
        _reservationValid = reader.ReadBoolean();
        _reservationAddress = reader.ReadUInt64();
        _reservationValue = reader.ReadUInt64();
        _waiting = reader.ReadBoolean();
        LoadFpu(reader);
        // Derived state. Decoded code needs nothing: it depends only on the bytes at its physical address,
        // and a restore reports every RAM page it rewrites, which forgets that page's decoded instructions.
        // Only a ROM (no write notification; patches are restored device state) is forgotten as a whole.
        // The fetch page, a translation, is per hart and reset below.
        _codeCache.ForgetOutsideRam();
        RecomputePmp();
        FlushTlb();
        InvalidateTranslation();
        _interruptCheck = true;
        _resumePc = NoPc;
        _watchStopAt = NoPc;
        LastWatchHit = null;
    }

    private ulong[] CsrFields() =>
    [
        _mstatus, _misa, _medeleg, _mideleg, _mie, _mipSoftware, _mipHardware,
        _mtvec, _stvec, _mscratch, _sscratch, _mepc, _sepc, _mcause, _scause, _mtval, _stval,
        _mcounteren, _scounteren, _menvcfg, _senvcfg, _satp, _mcountinhibit,
        _cycleOffset, _instretOffset, _tselect, _stimecmp,
    ];

    private void SetCsrFields(ulong[] v)
    {
        int i = 0;
        _mstatus = v[i++]; _misa = v[i++]; _medeleg = v[i++]; _mideleg = v[i++]; _mie = v[i++];
        _mipSoftware = v[i++]; _mipHardware = v[i++];
        _mtvec = v[i++]; _stvec = v[i++]; _mscratch = v[i++]; _sscratch = v[i++]; _mepc = v[i++];
        _sepc = v[i++]; _mcause = v[i++]; _scause = v[i++]; _mtval = v[i++]; _stval = v[i++];
        _mcounteren = v[i++]; _scounteren = v[i++]; _menvcfg = v[i++]; _senvcfg = v[i++]; _satp = v[i++];
        _mcountinhibit = v[i++]; _cycleOffset = v[i++]; _instretOffset = v[i++]; _tselect = v[i++];
        _stimecmp = v[i++];
    }
}
