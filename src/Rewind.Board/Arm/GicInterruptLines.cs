namespace Rewind.Board.Arm;

/// <summary>
/// The per-interrupt state GICv2 and GICv3 both keep, with IDs 0-31 banked per CPU and the SPIs
/// shared: enable, input level, trigger (edge or level), pending latch, active, priority, and the
/// group (GICv3 only: the GICv2 here has no security extensions, so it has no groups and leaves
/// them clear). What differs between the two (SGI senders, targets or routes, the CPU interface) stays
/// with each GIC.
/// </summary>
/// <remarks>A struct of <see cref="GicIdTable{T}"/> structs: the GICs hold it inline, so that their scans reach each array with no extra hop.</remarks>
internal readonly struct GicInterruptLines
{
    /// <summary>IDs 0-31 are banked per CPU; 0-15 of them are SGIs.</summary>
    public const int Banked = 32, SgiCount = 16;

    public readonly GicIdTable<bool> Enabled, PendingLatch, Level, Active, Edge, Group1;
    public readonly GicIdTable<byte> Priority;
    // The flags in the order the saved state holds them (sections "gic" and "gicv3"); built once so that
    // saving and loading allocate no list.
    private readonly GicIdTable<bool>[] _savedFlags;

    /// <summary>The flags in the order the saved state holds them.</summary>
    public IReadOnlyList<GicIdTable<bool>> SavedFlags => _savedFlags;

    /// <param name="groups">Whether the group of each interrupt is part of the state (and of the saved state).</param>
    public GicInterruptLines(int cpus, int irqCount, bool groups)
    {
        Enabled = new(cpus, irqCount);
        PendingLatch = new(cpus, irqCount);
        Level = new(cpus, irqCount);
        Active = new(cpus, irqCount);
        Edge = new(cpus, irqCount);
        Group1 = new(cpus, irqCount);
        Priority = new(cpus, irqCount);
        _savedFlags = groups ? [Enabled, PendingLatch, Level, Active, Edge, Group1] : [Enabled, PendingLatch, Level, Active, Edge];
        Reset();
    }

    /// <summary>
    /// Everything but the input levels, which follow the devices and not the GIC, to its reset value.
    /// SGIs are edge-triggered (their configuration reads so); PPIs and SPIs start level-sensitive.
    /// </summary>
    public void Reset()
    {
        Enabled.Clear();
        PendingLatch.Clear();
        Active.Clear();
        Edge.Clear();
        Group1.Clear();
        Priority.Clear();
        for (int c = 0; c < CpuCount; c++)
            for (int id = 0; id < SgiCount; id++) Edge[c, id] = true;
    }

    public int CpuCount => Enabled.CpuCount;

    /// <summary>
    /// Drives input <paramref name="id"/> of CPU <paramref name="cpu"/> (for an SPI, of every CPU); a
    /// rising edge latches an edge-triggered interrupt pending. False if the level was already so,
    /// when nothing changes.
    /// </summary>
    public bool SetLevel(int cpu, int id, bool level)
    {
        ref bool line = ref Level[cpu, id];
        if (line == level) return false;
        line = level;
        if (level && Edge[cpu, id]) PendingLatch[cpu, id] = true;
        return true;
    }

    /// <summary>Pending through its latch or, level-sensitive, through its input held high.</summary>
    public bool IsPending(int cpu, int id) => PendingLatch[cpu, id] || (!Edge[cpu, id] && Level[cpu, id]);

    /// <summary>Acknowledged: the latch is spent and the interrupt active.</summary>
    public void Activate(int cpu, int id)
    {
        PendingLatch[cpu, id] = false;
        Active[cpu, id] = true;
    }

    /// <summary>The SPIs' flags (each from ID 32 up, in turn), then their priorities.</summary>
    public void SaveSpis(BinaryWriter writer)
    {
        foreach (var flags in _savedFlags)
            foreach (bool v in flags.Spis) writer.Write(v);
        writer.Write(Priority.Spis);
    }

    public void LoadSpis(BinaryReader reader)
    {
        foreach (var flags in _savedFlags)
        {
            var spis = flags.Spis;
            for (int i = 0; i < spis.Length; i++) spis[i] = reader.ReadBoolean();
        }
        reader.ReadExactly(Priority.Spis);
    }

    /// <summary>CPU <paramref name="cpu"/>'s flags for IDs 0-31 (each in turn), then its priorities.</summary>
    public void SaveBank(BinaryWriter writer, int cpu)
    {
        foreach (var flags in _savedFlags)
            foreach (bool v in flags.Bank(cpu)) writer.Write(v);
        writer.Write(Priority.Bank(cpu));
    }

    public void LoadBank(BinaryReader reader, int cpu)
    {
        foreach (var flags in _savedFlags)
        {
            var bank = flags.Bank(cpu);
            for (int i = 0; i < bank.Length; i++) bank[i] = reader.ReadBoolean();
        }
        reader.ReadExactly(Priority.Bank(cpu));
    }
}
