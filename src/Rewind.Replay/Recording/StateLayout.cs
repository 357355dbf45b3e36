using System.Globalization;
using System.Text;
using Rewind.Core.Execution;
using Rewind.Core.State;

namespace Rewind.Replay.Recording;

/// <summary>
/// Which state sections, at which versions and in which order, a recording's digests cover. A format-2
/// recording stores it (the StateLayout record, written when the recorder is given its machine), so a
/// replay digests exactly those sections the same way even after parts were added or changed layout. A
/// format-1 recording has none: its digests hash the parts of that time by position
/// (<see cref="FormatV1"/>).
/// </summary>
public sealed class StateLayout
{
    /// <summary>The parts of a virt machine in the order format 1 saved them, all at version 1 (after the harts).</summary>
    public static readonly IReadOnlyList<string> FormatV1Devices = ["clint", "plic", "uart0", "rtc", "test", "rom"];

    private StateLayout(IReadOnlyList<(string Name, int Version)> sections, bool legacy)
    {
        Sections = sections;
        Legacy = legacy;
    }

    public IReadOnlyList<(string Name, int Version)> Sections { get; }

    /// <summary>Format 1: digests and images hold the parts' bytes back to back, without names.</summary>
    public bool Legacy { get; }

    /// <summary>Every part of <paramref name="machine"/> at its current version, in registration order.</summary>
    public static StateLayout Of(Machine machine)
    {
        StateSections.CheckNames(machine.StatefulParts);
        return new StateLayout([.. machine.StatefulParts.Select(p => (p.Name, p.State.StateVersion))], legacy: false);
    }

    /// <summary>
    /// The layout format 1 used for <paramref name="machine"/>'s configuration: hart0 … hartN-1, then
    /// clint, plic, uart0, rtc, test and rom, all at version 1, whatever else the machine has now.
    /// </summary>
    public static StateLayout FormatV1(Machine machine)
    {
        var names = new List<(string, int)>();
        for (int h = 0; machine.StatefulParts.Any(p => p.Name == $"hart{h}"); h++) names.Add(($"hart{h}", 1));
        foreach (var d in FormatV1Devices) names.Add((d, 1));
        return new StateLayout(names, legacy: true);
    }

    /// <summary>The parts of <paramref name="machine"/> the layout names, in its order; a part it lacks throws <see cref="InvalidDataException"/>.</summary>
    public (string Name, int Version, IStateful State)[] Resolve(Machine machine)
    {
        var byName = new Dictionary<string, IStateful>(StringComparer.Ordinal);
        foreach (var (name, state) in machine.StatefulParts) byName.TryAdd(name, state);
        var result = new (string, int, IStateful)[Sections.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var (name, version) = Sections[i];
            if (!byName.TryGetValue(name, out var part))
                throw new InvalidDataException($"the recorded state has a section '{name}' and this machine has no such part");
            if (version > part.StateVersion)
                throw new InvalidDataException($"the recorded state section '{name}' is version {version}; this build knows up to version {part.StateVersion}");
            result[i] = (name, version, part);
        }
        return result;
    }

    /// <summary>The StateLayout record's text: <c>name:version</c> pairs separated by single spaces.</summary>
    public string Format() =>
        string.Join(' ', Sections.Select(s => s.Name + ":" + s.Version.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads <see cref="Format"/>'s text; null (and why) when it is malformed.</summary>
    public static StateLayout? Parse(string text, out string? error)
    {
        error = null;
        var list = new List<(string, int)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = item.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(item.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            {
                error = $"bad state section '{item}'";
                return null;
            }
            string name = item[..colon];
            if (!StateSections.IsValidName(name) || !seen.Add(name))
            {
                error = $"bad or repeated state section name '{name}'";
                return null;
            }
            list.Add((name, version));
        }
        return new StateLayout(list, legacy: false);
    }

    public override string ToString() => (Legacy ? "format 1: " : "") + Format();
}
