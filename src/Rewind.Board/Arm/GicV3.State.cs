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
        _lines.SaveSpis(writer);
        for (int id = Banked; id < IrqCount; id++) writer.Write(_router[id]);
        for (int cpu = 0; cpu < _cpus.Length; cpu++)
        {
            _lines.SaveBank(writer, cpu);
            SaveCpuState(writer, _cpus[cpu]);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        int cpus = reader.ReadInt32();
        if (cpus != _cpus.Length) throw new InvalidDataException($"GICv3 state is for {cpus} CPUs; this machine has {_cpus.Length}");
        _grp0Enabled = reader.ReadBoolean();
        _grp1Enabled = reader.ReadBoolean();
        _lines.LoadSpis(reader);
        for (int id = Banked; id < IrqCount; id++) _router[id] = reader.ReadUInt64();
        for (int cpu = 0; cpu < _cpus.Length; cpu++)
        {
            _lines.LoadBank(reader, cpu);
            LoadCpuState(reader, _cpus[cpu]);
        }
        Update();
    }

    /// <summary>A CPU's GICR_WAKER and CPU interface registers.</summary>
    private static void SaveCpuState(BinaryWriter writer, CpuState c)
    {
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

    private static void LoadCpuState(BinaryReader reader, CpuState c)
    {
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
}
