namespace Rewind.Core.State;

/// <summary>
/// Guest-visible state that a snapshot must capture. Save then Load on a freshly built machine of the
/// same configuration must give back a machine that runs identically.
/// </summary>
/// <remarks>
/// A part is saved as a named, versioned section (<see cref="StateSections"/>; the name is the one it
/// was registered under). When a part's layout changes, it raises <see cref="StateVersion"/> and
/// overrides <see cref="LoadState(BinaryReader, int)"/> to map the older layouts forward, and
/// <see cref="SaveState(BinaryWriter, int)"/> to still write them (recordings made then digest those
/// bytes). Versions are never renumbered or reused.
/// </remarks>
public interface IStateful
{
    /// <summary>Writes the current layout (version <see cref="StateVersion"/>).</summary>
    void SaveState(BinaryWriter writer);

    /// <summary>Reads the current layout (version <see cref="StateVersion"/>).</summary>
    void LoadState(BinaryReader reader);

    /// <summary>The layout <see cref="SaveState(BinaryWriter)"/> writes: 1 for the layouts of recording format 1.</summary>
    int StateVersion => 1;

    /// <summary>
    /// Reads a section saved at <paramref name="version"/> (1 to <see cref="StateVersion"/>); an old
    /// version is mapped forward, fields it lacks taking their reset values.
    /// </summary>
    void LoadState(BinaryReader reader, int version)
    {
        if (version != StateVersion)
            throw new InvalidDataException($"state version {version} is not readable by {GetType().Name} (version {StateVersion})");
        LoadState(reader);
    }

    /// <summary>
    /// Writes the layout of <paramref name="version"/> (1 to <see cref="StateVersion"/>), for the
    /// digests of recordings made when that was current.
    /// </summary>
    void SaveState(BinaryWriter writer, int version)
    {
        if (version != StateVersion)
            throw new NotSupportedException($"{GetType().Name} cannot write state version {version} (it writes version {StateVersion})");
        SaveState(writer);
    }
}
