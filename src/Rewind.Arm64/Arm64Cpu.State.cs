using Rewind.Core.State;

namespace Rewind.Arm64;

/// <summary>Snapshot support: every guest-visible field of the CPU, in a fixed order.</summary>
public sealed partial class Arm64Cpu : IStateful
{
    public void SaveState(BinaryWriter writer)
    {
        for (int i = 0; i < 32; i++) writer.Write(_x[i]);
        foreach (ulong v in _v) writer.Write(v);
        writer.Write(_spEl0);
        writer.Write(_spEl1);
        writer.Write(Pc);
        writer.Write(Icount);
        writer.Write((byte)El);
        writer.Write(SpSel);
        writer.Write(_nzcv);
        writer.Write(_daif);
        foreach (ulong v in SystemRegisterFields()) writer.Write(v);
        writer.Write(_exclusiveValid);
        writer.Write(_exclusiveAddress);
        writer.Write(_exclusiveSize);
        writer.Write(_waiting);
        writer.Write(_wakeRequested);
    }

    public void LoadState(BinaryReader reader)
    {
        for (int i = 0; i < 32; i++) _x[i] = reader.ReadUInt64();
        for (int i = 0; i < _v.Length; i++) _v[i] = reader.ReadUInt64();
        _spEl0 = reader.ReadUInt64();
        _spEl1 = reader.ReadUInt64();
        Pc = reader.ReadUInt64();
        Icount = reader.ReadUInt64();
        El = reader.ReadByte();
        SpSel = reader.ReadBoolean();
        _nzcv = reader.ReadUInt32();
        _daif = reader.ReadUInt32();
        ulong[] sys = new ulong[SystemRegisterFields().Length];
        for (int i = 0; i < sys.Length; i++) sys[i] = reader.ReadUInt64();
        SetSystemRegisterFields(sys);
        _exclusiveValid = reader.ReadBoolean();
        _exclusiveAddress = reader.ReadUInt64();
        _exclusiveSize = reader.ReadInt32();
        _waiting = reader.ReadBoolean();
        _wakeRequested = reader.ReadBoolean();
        // Derived state: translations are looked up again; the interrupt lines are the devices' to restore.
        FlushTlb();
        _interruptCheck = true;
        _resumePc = NoPc;
        _watchStopAt = NoPc;
        LastWatchHit = null;
    }
}
