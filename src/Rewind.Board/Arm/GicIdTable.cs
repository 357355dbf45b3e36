namespace Rewind.Board.Arm;

/// <summary>
/// One value per interrupt ID as a GIC keeps it: IDs 0-31 (SGIs and PPIs) banked, one set per CPU,
/// and the SPIs shared by all CPUs. An access names the CPU whose bank it reaches; for an SPI the CPU
/// does not matter.
/// </summary>
internal sealed class GicIdTable<T> where T : struct
{
    private readonly T[][] _banks;
    // Indexed by interrupt ID; entries below 32 are unused (those live in the banks).
    private readonly T[] _spis;

    public GicIdTable(int cpus, int irqCount)
    {
        _banks = new T[cpus][];
        for (int c = 0; c < cpus; c++) _banks[c] = new T[GicInterruptLines.Banked];
        _spis = new T[irqCount];
    }

    /// <summary>ID <paramref name="id"/> as CPU <paramref name="cpu"/> sees it; a reference, so that reads and writes take no copy.</summary>
    public ref T this[int cpu, int id] => ref id < GicInterruptLines.Banked ? ref _banks[cpu][id] : ref _spis[id];

    public int CpuCount => _banks.Length;

    /// <summary>CPU <paramref name="cpu"/>'s values for IDs 0-31.</summary>
    public T[] Bank(int cpu) => _banks[cpu];

    /// <summary>The shared values, indexed by ID (entries below 32 unused).</summary>
    public T[] Spis => _spis;

    /// <summary>Every bank and the SPIs back to the default value.</summary>
    public void Clear()
    {
        foreach (var b in _banks) Array.Clear(b);
        Array.Clear(_spis);
    }
}
