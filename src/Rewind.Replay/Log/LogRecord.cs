using Rewind.Core.Input;

namespace Rewind.Replay.Log;

/// <summary>
/// One record read back from a recording. Which members are meaningful depends on <see cref="Kind"/>:
/// <list type="bullet">
/// <item><see cref="RecordKind.InputEvent"/>: <see cref="Icount"/>, <see cref="Channel"/>, <see cref="Data"/>.</item>
/// <item><see cref="RecordKind.ClockRead"/>: <see cref="Icount"/>, <see cref="Value"/>.</item>
/// <item><see cref="RecordKind.Digest"/>: <see cref="Icount"/>, <see cref="Data"/> (the digest, 1..255 bytes).</item>
/// <item><see cref="RecordKind.Snapshot"/>: <see cref="Icount"/>, <see cref="Name"/>, <see cref="Data"/>
/// (empty when the reader was told not to load snapshot payloads; <see cref="DataLength"/> still holds the size).</item>
/// <item><see cref="RecordKind.Output"/>: <see cref="Icount"/> (when written), <see cref="Value"/> (the count at which the last byte was written), <see cref="Data"/>.</item>
/// <item><see cref="RecordKind.Monitor"/>: <see cref="Icount"/>, <see cref="Text"/> (the command).</item>
/// <item><see cref="RecordKind.End"/>: <see cref="Icount"/> (final), <see cref="Text"/> (the reason).</item>
/// <item><see cref="RecordKind.StateLayout"/>: <see cref="Icount"/>, <see cref="Text"/> (<c>name:version</c> pairs).</item>
/// </list>
/// <see cref="Data"/> is owned by the caller: the reader never reuses it.
/// </summary>
public readonly struct LogRecord
{
    public LogRecord(RecordKind kind, ulong icount, InputChannel channel, ReadOnlyMemory<byte> data,
        int dataLength, ulong value, string? text, long index, long offset)
    {
        Kind = kind;
        Icount = icount;
        Channel = channel;
        Data = data;
        DataLength = dataLength;
        Value = value;
        Text = text;
        Index = index;
        Offset = offset;
    }

    public RecordKind Kind { get; }

    /// <summary>The instruction count at which the event took effect (absolute, already un-delta'd).</summary>
    public ulong Icount { get; }

    public InputChannel Channel { get; }

    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The size of the data in the file, even when <see cref="Data"/> was not loaded.</summary>
    public int DataLength { get; }

    /// <summary>The host clock value of a <see cref="RecordKind.ClockRead"/>.</summary>
    public ulong Value { get; }

    /// <summary>Snapshot name, monitor command or end reason.</summary>
    public string? Text { get; }

    /// <summary>The snapshot name (same as <see cref="Text"/>).</summary>
    public string? Name => Text;

    /// <summary>1-based number of the record, counting from the first record after the header.</summary>
    public long Index { get; }

    /// <summary>Byte offset of the record's kind byte in the file.</summary>
    public long Offset { get; }

    public override string ToString() => Kind switch
    {
        RecordKind.InputEvent => $"#{Index} @{Icount} input {Channel} [{DataLength} bytes]",
        RecordKind.ClockRead => $"#{Index} @{Icount} clock {Value}",
        RecordKind.Digest => $"#{Index} @{Icount} digest {Convert.ToHexStringLower(Data.Span)}",
        RecordKind.Snapshot => $"#{Index} @{Icount} snapshot '{Text}' [{DataLength} bytes]",
        RecordKind.Monitor => $"#{Index} @{Icount} monitor '{Text}'",
        RecordKind.Output => $"#{Index} @{Icount} output written at {Value} [{DataLength} bytes]",
        RecordKind.End => $"#{Index} @{Icount} end '{Text}'",
        RecordKind.StateLayout => $"#{Index} @{Icount} state layout '{Text}'",
        _ => $"#{Index} @{Icount} {Kind}",
    };
}
