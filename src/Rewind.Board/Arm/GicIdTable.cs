using System.Diagnostics;

namespace Rewind.Board.Arm;

/// <summary>
/// One value per interrupt ID as a GIC keeps it: IDs 0-31 (SGIs and PPIs) banked, one set per CPU,
/// and the SPIs shared by all CPUs. An access names the CPU whose bank it reaches; for an SPI the CPU
/// does not matter.
/// </summary>
/// <remarks>
/// A struct over one flat array, so that a lookup in the GICs' per-update scan of every ID costs one
/// array access, as the separate arrays it replaces did, and no allocation.
/// </remarks>
internal readonly struct GicIdTable<T> where T : struct
{
    private const int Banked = GicInterruptLines.Banked;
    // The SPIs at their IDs (0-31 unused), then each CPU's IDs 0-31 (CPU n's from irqCount + 32 n):
    // an SPI, most of what the scans read, is found by its ID alone.
    private readonly T[] _values;
    private readonly int _irqCount;

    public GicIdTable(int cpus, int irqCount)
    {
        _irqCount = irqCount;
        _values = new T[irqCount + cpus * Banked];
    }

    /// <summary>ID <paramref name="id"/> as CPU <paramref name="cpu"/> sees it; a reference, so that reads and writes take no copy.</summary>
    public ref T this[int cpu, int id]
    {
        get
        {
            Debug.Assert(id < _irqCount && (id >= Banked || (uint)cpu < (uint)CpuCount), "no such interrupt ID or CPU");
            return ref _values[id < Banked ? _irqCount + cpu * Banked + id : id];
        }
    }

    /// <summary>CPU <paramref name="cpu"/>'s values for IDs 0-31.</summary>
    public Span<T> Bank(int cpu) => _values.AsSpan(_irqCount + cpu * Banked, Banked);

    /// <summary>The shared values, from ID 32 up.</summary>
    public Span<T> Spis => _values.AsSpan(Banked, _irqCount - Banked);

    public int CpuCount => (_values.Length - _irqCount) / Banked;

    /// <summary>Whether this is <paramref name="other"/> (the same values, not equal ones).</summary>
    public bool Is(GicIdTable<T> other) => _values == other._values;

    /// <summary>Every bank and the SPIs back to the default value.</summary>
    public void Clear() => Array.Clear(_values);
}
