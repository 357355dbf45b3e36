namespace Rewind.Core.State;

/// <summary>
/// Writes the state of a time-travel snapshot, which stays in memory: a part with bulky state (a disk's
/// copy-on-write overlay) may put an immutable capture of it in <see cref="Captures"/> and write only
/// its index, so that each snapshot copies only the blocks changed since the one before and shares the
/// rest. Snapshots written any other way (machine images in a recording, digests) hold every byte.
/// </summary>
public sealed class CapturingStateWriter(Stream output) : BinaryWriter(output)
{
    public List<object> Captures { get; } = [];

    /// <summary>Bytes the captures copied (new since the previous capture), for the snapshot budget.</summary>
    public long CapturedBytes { get; set; }
}

/// <summary>Reads a state written by a <see cref="CapturingStateWriter"/>, with its captures.</summary>
public sealed class CapturingStateReader(Stream input, IReadOnlyList<object> captures) : BinaryReader(input)
{
    public IReadOnlyList<object> Captures { get; } = captures;
}
