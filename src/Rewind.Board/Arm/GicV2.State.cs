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
        foreach (var arr in new[] { _enabled, _pendingLatch, _level, _active, _edge })
            for (int id = Banked; id < IrqCount; id++) writer.Write(arr[id]);
        writer.Write(_priority, Banked, IrqCount - Banked);
        writer.Write(_targets, Banked, IrqCount - Banked);
        foreach (var b in _banks)
        {
            foreach (var arr in new[] { b.Enabled, b.PendingLatch, b.Level, b.Active, b.Edge })
                foreach (bool v in arr) writer.Write(v);
            writer.Write(b.Priority);
            writer.Write(b.SgiSources);
            writer.Write(b.CpuEnabled);
            writer.Write(b.Pmr);
            writer.Write(b.Bpr);
            WriteStack(writer, b.ActiveStack);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        int cpus = reader.ReadInt32();
        if (cpus != _banks.Length) throw new InvalidDataException($"GIC state is for {cpus} CPUs; this machine has {_banks.Length}");
        _distEnabled = reader.ReadBoolean();
        foreach (var arr in new[] { _enabled, _pendingLatch, _level, _active, _edge })
            for (int id = Banked; id < IrqCount; id++) arr[id] = reader.ReadBoolean();
        reader.ReadExactly(_priority.AsSpan(Banked));
        reader.ReadExactly(_targets.AsSpan(Banked));
        foreach (var b in _banks)
        {
            foreach (var arr in new[] { b.Enabled, b.PendingLatch, b.Level, b.Active, b.Edge })
                for (int i = 0; i < arr.Length; i++) arr[i] = reader.ReadBoolean();
            reader.ReadExactly(b.Priority);
            reader.ReadExactly(b.SgiSources);
            b.CpuEnabled = reader.ReadBoolean();
            b.Pmr = reader.ReadUInt32();
            b.Bpr = reader.ReadUInt32();
            ReadStack(reader, b.ActiveStack);
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
        foreach (var (shared, banked) in new[] { (_enabled, b.Enabled), (_pendingLatch, b.PendingLatch), (_level, b.Level), (_active, b.Active), (_edge, b.Edge) })
        {
            for (int id = 0; id < IrqCount; id++) flat[id] = reader.ReadBoolean();
            Array.Copy(flat, banked, Banked);
            Array.Copy(flat, Banked, shared, Banked, IrqCount - Banked);
        }
        // Version 1 kept an SGI's pending state as a latch; its only possible sender was CPU 0.
        for (int id = 0; id < SgiCount; id++)
        {
            b.SgiSources[id] = (byte)(b.PendingLatch[id] ? 1 : 0);
            b.PendingLatch[id] = false;
        }
        byte[] priority = reader.ReadBytes(IrqCount);
        if (priority.Length != IrqCount) throw new EndOfStreamException();
        Array.Copy(priority, b.Priority, Banked);
        Array.Copy(priority, Banked, _priority, Banked, IrqCount - Banked);
        Array.Clear(_targets);
        _distEnabled = reader.ReadBoolean();
        b.CpuEnabled = reader.ReadBoolean();
        b.Pmr = reader.ReadUInt32();
        b.Bpr = reader.ReadUInt32();
        ReadStack(reader, b.ActiveStack);
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
        foreach (var (shared, banked) in new[] { (_enabled, b.Enabled), (_pendingLatch, b.PendingLatch), (_level, b.Level), (_active, b.Active), (_edge, b.Edge) })
            for (int id = 0; id < IrqCount; id++)
            {
                bool v = id >= Banked ? shared[id] : banked == b.PendingLatch && id < SgiCount ? b.SgiSources[id] != 0 : banked[id];
                writer.Write(v);
            }
        for (int id = 0; id < IrqCount; id++) writer.Write(id < Banked ? b.Priority[id] : _priority[id]);
        writer.Write(_distEnabled);
        writer.Write(b.CpuEnabled);
        writer.Write(b.Pmr);
        writer.Write(b.Bpr);
        WriteStack(writer, b.ActiveStack);
    }

    private static void WriteStack(BinaryWriter writer, List<int> stack)
    {
        writer.Write(stack.Count);
        foreach (int p in stack) writer.Write(p);
    }

    private static void ReadStack(BinaryReader reader, List<int> stack)
    {
        stack.Clear();
        int n = reader.ReadInt32();
        if (n < 0 || n > IrqCount) throw new InvalidDataException($"GIC state holds {n} active priorities");
        for (int i = 0; i < n; i++) stack.Add(reader.ReadInt32());
    }
}
