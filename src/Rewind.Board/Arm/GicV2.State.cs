using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// Snapshot support. Version 2 holds the shared SPI state, then each CPU's bank (IDs 0-31, SGI senders,
/// CPU interface). Version 1 was the one-CPU GIC: 288 IDs in flat arrays; a one-CPU GIC still reads
/// and writes it (as CPU 0's bank), for the recordings made then.
/// </summary>
public sealed partial class GicV2
{
    public int StateVersion => 2;

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_banks.Length);
        writer.Write(_distEnabled);
        _lines.SaveSpis(writer);
        writer.Write(_targets, Banked, IrqCount - Banked);
        for (int c = 0; c < _banks.Length; c++)
        {
            _lines.SaveBank(writer, c);
            writer.Write(_banks[c].SgiSources);
            SaveCpuInterface(writer, _banks[c]);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        int cpus = reader.ReadInt32();
        if (cpus != _banks.Length) throw new InvalidDataException($"GIC state is for {cpus} CPUs; this machine has {_banks.Length}");
        _distEnabled = reader.ReadBoolean();
        _lines.LoadSpis(reader);
        reader.ReadExactly(_targets.AsSpan(Banked));
        for (int c = 0; c < _banks.Length; c++)
        {
            _lines.LoadBank(reader, c);
            reader.ReadExactly(_banks[c].SgiSources);
            LoadCpuInterface(reader, _banks[c]);
        }
        Update();
    }

    public void LoadState(BinaryReader reader, int version)
    {
        if (version == 2)
        {
            LoadState(reader);
            return;
        }
        if (version != 1) throw new InvalidDataException($"state version {version} is not readable by GicV2 (version 2)");
        if (!Uniprocessor) throw new InvalidDataException($"GIC state version 1 is for one CPU; this machine has {_banks.Length}");
        var b = _banks[0];
        bool[] flat = new bool[IrqCount];
        foreach (var flags in _lines.SavedFlags)
        {
            for (int id = 0; id < IrqCount; id++) flat[id] = reader.ReadBoolean();
            flat.AsSpan(0, Banked).CopyTo(flags.Bank(0));
            flat.AsSpan(Banked).CopyTo(flags.Spis);
        }
        // Version 1 kept an SGI's pending state as a latch; its only possible sender was CPU 0.
        for (int id = 0; id < SgiCount; id++)
        {
            ref bool latch = ref _lines.PendingLatch[0, id];
            b.SgiSources[id] = (byte)(latch ? 1 : 0);
            latch = false;
        }
        byte[] priority = reader.ReadBytes(IrqCount);
        if (priority.Length != IrqCount) throw new EndOfStreamException();
        priority.AsSpan(0, Banked).CopyTo(_lines.Priority.Bank(0));
        priority.AsSpan(Banked).CopyTo(_lines.Priority.Spis);
        Array.Clear(_targets);
        _distEnabled = reader.ReadBoolean();
        LoadCpuInterface(reader, b);
        Update();
    }

    public void SaveState(BinaryWriter writer, int version)
    {
        if (version == 2)
        {
            SaveState(writer);
            return;
        }
        if (version != 1 || !Uniprocessor) throw new NotSupportedException($"GicV2 with {_banks.Length} CPUs cannot write state version {version}");
        var b = _banks[0];
        // Version 1 kept an SGI's pending state as a latch.
        foreach (var flags in _lines.SavedFlags)
            for (int id = 0; id < IrqCount; id++)
                writer.Write(flags.Is(_lines.PendingLatch) && id < SgiCount ? b.SgiSources[id] != 0 : flags[0, id]);
        for (int id = 0; id < IrqCount; id++) writer.Write(_lines.Priority[0, id]);
        writer.Write(_distEnabled);
        SaveCpuInterface(writer, b);
    }

    /// <summary>A CPU interface, as both versions hold it: enable, priority mask, binary point, active priorities.</summary>
    private static void SaveCpuInterface(BinaryWriter writer, CpuBank b)
    {
        writer.Write(b.CpuEnabled);
        writer.Write(b.Pmr);
        writer.Write(b.Bpr);
        writer.Write(b.ActiveStack.Count);
        foreach (int p in b.ActiveStack) writer.Write(p);
    }

    private static void LoadCpuInterface(BinaryReader reader, CpuBank b)
    {
        b.CpuEnabled = reader.ReadBoolean();
        b.Pmr = reader.ReadUInt32();
        b.Bpr = reader.ReadUInt32();
        b.ActiveStack.Clear();
        int n = reader.ReadInt32();
        if (n < 0 || n > IrqCount) throw new InvalidDataException($"GIC state holds {n} active priorities");
        for (int i = 0; i < n; i++) b.ActiveStack.Add(reader.ReadInt32());
    }
}
