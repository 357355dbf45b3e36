namespace Rewind.Board.Arm;

/// <summary>
/// Snapshot support, section "gicv3" version 1: the CPU count, the distributor (enables, SPI state,
/// priorities, routes), then each CPU's redistributor (IDs 0-31, GICR_WAKER) and CPU interface.
/// </summary>
public sealed partial class GicV3
{
    public int StateVersion => 1;

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_cpus.Length);
        writer.Write(_grp0Enabled);
        writer.Write(_grp1Enabled);
        foreach (var arr in new[] { _enabled, _pendingLatch, _level, _active, _edge, _group1 })
            for (int id = Banked; id < IrqCount; id++) writer.Write(arr[id]);
        writer.Write(_priority, Banked, IrqCount - Banked);
        for (int id = Banked; id < IrqCount; id++) writer.Write(_router[id]);
        foreach (var c in _cpus)
        {
            foreach (var arr in new[] { c.Enabled, c.PendingLatch, c.Level, c.Active, c.Edge, c.Group1 })
                foreach (bool v in arr) writer.Write(v);
            writer.Write(c.Priority);
            writer.Write(c.ProcessorSleep);
            writer.Write(c.Pmr);
            writer.Write(c.Bpr0);
            writer.Write(c.Bpr1);
            writer.Write(c.Ctlr);
            writer.Write(c.Grp0Enabled);
            writer.Write(c.Grp1Enabled);
            writer.Write(c.Ap0);
            writer.Write(c.Ap1);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        int cpus = reader.ReadInt32();
        if (cpus != _cpus.Length) throw new InvalidDataException($"GICv3 state is for {cpus} CPUs; this machine has {_cpus.Length}");
        _grp0Enabled = reader.ReadBoolean();
        _grp1Enabled = reader.ReadBoolean();
        foreach (var arr in new[] { _enabled, _pendingLatch, _level, _active, _edge, _group1 })
            for (int id = Banked; id < IrqCount; id++) arr[id] = reader.ReadBoolean();
        reader.ReadExactly(_priority.AsSpan(Banked));
        for (int id = Banked; id < IrqCount; id++) _router[id] = reader.ReadUInt64();
        foreach (var c in _cpus)
        {
            foreach (var arr in new[] { c.Enabled, c.PendingLatch, c.Level, c.Active, c.Edge, c.Group1 })
                for (int i = 0; i < arr.Length; i++) arr[i] = reader.ReadBoolean();
            reader.ReadExactly(c.Priority);
            c.ProcessorSleep = reader.ReadBoolean();
            c.Pmr = reader.ReadUInt32();
            c.Bpr0 = reader.ReadUInt32();
            c.Bpr1 = reader.ReadUInt32();
            c.Ctlr = reader.ReadUInt32();
            c.Grp0Enabled = reader.ReadBoolean();
            c.Grp1Enabled = reader.ReadBoolean();
            c.Ap0 = reader.ReadUInt32();
            c.Ap1 = reader.ReadUInt32();
        }
        Update();
    }
}
