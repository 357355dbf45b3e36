namespace Rewind.Replay.Log;

/// <summary>The kind byte of a record. Values are part of the file format: never renumber.</summary>
public enum RecordKind : byte
{
    /// <summary>The machine configuration and image hashes; always the first record, and only there.</summary>
    Header = 0,
    /// <summary>Bytes from the outside world delivered to an input channel.</summary>
    InputEvent = 1,
    /// <summary>A read of the host wall clock (nanoseconds since the Unix epoch).</summary>
    ClockRead = 2,
    /// <summary>A hash of the machine state, to detect divergence during replay.</summary>
    Digest = 3,
    /// <summary>A saved machine state, opaque to the log.</summary>
    Snapshot = 4,
    /// <summary>A monitor command that affected the machine.</summary>
    Monitor = 5,
    /// <summary>The last record of a recording that ended normally.</summary>
    End = 6,
    /// <summary>The state sections (name:version) that the digests cover; format 2 and later.</summary>
    StateLayout = 7,
    /// <summary>Console output the guest wrote, with the count at which its last byte was written; format 4 and later.</summary>
    Output = 8,
}
