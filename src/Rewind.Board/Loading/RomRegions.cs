namespace Rewind.Board.Loading;

/// <summary>A stretch of guest memory an image fills at reset, [Start, End), with the name QEMU's report gives it.</summary>
public readonly record struct RomRegion(string Name, ulong Start, ulong End)
{
    public bool Overlaps(RomRegion other) => Start < other.End && other.Start < End;

    public override string ToString() => $"{Name} (0x{Start:x}-0x{End:x})";
}

/// <summary>
/// QEMU's check that the images it loads (firmware, kernel segments, device tree) do not land on each
/// other: when they do, it refuses to start with "Some ROM regions are overlapping".
/// </summary>
public static class RomRegions
{
    /// <summary>The regions of an ELF's loadable segments (empty ones fill nothing).</summary>
    public static IEnumerable<RomRegion> Of(string name, ElfImage elf)
    {
        for (int i = 0; i < elf.Segments.Count; i++)
        {
            var seg = elf.Segments[i];
            if (seg.MemorySize == 0) continue;
            yield return new RomRegion(elf.Segments.Count == 1 ? name : $"{name} segment {i}", seg.PhysicalAddress, seg.PhysicalAddress + seg.MemorySize);
        }
    }

    /// <summary>The region of a flat binary.</summary>
    public static IEnumerable<RomRegion> Of(string name, RawImage raw)
    {
        if (raw.Bytes.Length > 0) yield return new RomRegion(name, raw.LoadAddress, raw.End);
    }

    /// <summary>Throws naming the first two regions that overlap, in the order given.</summary>
    /// <exception cref="BoardConfigException">Two regions overlap.</exception>
    public static void CheckNoOverlap(IReadOnlyList<RomRegion> regions)
    {
        for (int i = 0; i < regions.Count; i++)
        {
            for (int j = i + 1; j < regions.Count; j++)
            {
                if (regions[i].Overlaps(regions[j]))
                    throw new BoardConfigException($"Some ROM regions are overlapping: {regions[i]} and {regions[j]}");
            }
        }
    }
}
