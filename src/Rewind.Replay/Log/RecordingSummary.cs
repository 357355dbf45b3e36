using System.Globalization;
using System.Text;
using Rewind.Core.Input;

namespace Rewind.Replay.Log;

/// <summary>A snapshot stored in a recording.</summary>
public sealed record SnapshotInfo(string Name, ulong Icount, long Size);

/// <summary>How a recording's record stream ended.</summary>
public enum RecordingEnding
{
    /// <summary>An end record, then nothing.</summary>
    Clean,
    /// <summary>The file stops before an end record (recorder killed or still running).</summary>
    Truncated,
    /// <summary>A damaged record; nothing after it was read.</summary>
    Corrupt,
}

/// <summary>
/// Everything <c>rewind info</c> shows about a recording, gathered by one pass over the file (snapshot
/// payloads are checksummed but not kept in memory).
/// </summary>
public sealed class RecordingSummary
{
    private RecordingSummary(string path, RecordingHeader header) => (Path, Header) = (path, header);

    public string Path { get; }
    public RecordingHeader Header { get; }
    public OrderedDictionary<string, string> Config => Header.Config;
    public IReadOnlyList<ImageHash> Images => Header.Images;
    public long FileSize { get; private init; }

    /// <summary>The icount of the end record, or of the last valid record when there is none.</summary>
    public ulong FinalIcount { get; private init; }
    public RecordingEnding Ending { get; private init; }
    public bool EndedCleanly => Ending == RecordingEnding.Clean;
    public string? EndReason { get; private init; }

    /// <summary>The reader's truncation or corruption message, if any.</summary>
    public string? Problem { get; private init; }
    public long RecordCount { get; private init; }
    public IReadOnlyDictionary<RecordKind, long> CountsByKind { get; private init; } = new Dictionary<RecordKind, long>();
    public IReadOnlyDictionary<InputChannel, long> InputBytesByChannel { get; private init; } = new Dictionary<InputChannel, long>();
    public IReadOnlyList<SnapshotInfo> Snapshots { get; private init; } = [];
    public long DigestCount => CountsByKind.GetValueOrDefault(RecordKind.Digest);
    /// <summary>The state sections the digests cover (the StateLayout record's text), or null (format 1 has none).</summary>
    public string? StateLayout { get; private init; }

    /// <summary>Reads the whole file. Throws <see cref="RecordingFormatException"/> if the header is unusable.</summary>
    public static RecordingSummary Read(string path)
    {
        long size = new FileInfo(path).Length;
        using var reader = ReplayLogReader.Open(path, loadSnapshotPayloads: false);
        var counts = new Dictionary<RecordKind, long>();
        var inputBytes = new Dictionary<InputChannel, long>();
        var snapshots = new List<SnapshotInfo>();
        string? layout = null;
        while (reader.TryReadNext(out var r))
        {
            counts[r.Kind] = counts.GetValueOrDefault(r.Kind) + 1;
            if (r.Kind == RecordKind.InputEvent)
                inputBytes[r.Channel] = inputBytes.GetValueOrDefault(r.Channel) + r.DataLength;
            else if (r.Kind == RecordKind.Snapshot)
                snapshots.Add(new SnapshotInfo(r.Name ?? "", r.Icount, r.DataLength));
            else if (r.Kind == RecordKind.StateLayout)
                layout ??= r.Text;
        }
        return new RecordingSummary(path, reader.Header)
        {
            FileSize = size,
            FinalIcount = reader.LastIcount,
            Ending = reader.Corruption is not null ? RecordingEnding.Corrupt
                : reader.EndedCleanly ? RecordingEnding.Clean : RecordingEnding.Truncated,
            EndReason = reader.EndReason,
            Problem = reader.Corruption ?? reader.Truncation,
            RecordCount = reader.RecordCount,
            CountsByKind = counts,
            InputBytesByChannel = inputBytes,
            Snapshots = snapshots,
            StateLayout = layout,
        };
    }

    /// <summary>The text printed by <c>rewind info</c>.</summary>
    public string Format()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"recording {System.IO.Path.GetFileName(Path)}: {FileSize:N0} bytes, format version {Header.Version}\n");
        string status = Ending switch
        {
            RecordingEnding.Clean => $"ended cleanly ({EndReason}) at icount {FinalIcount:N0}",
            RecordingEnding.Truncated => $"TRUNCATED: {Problem}",
            _ => $"CORRUPT: {Problem}; {RecordCount:N0} good records up to icount {FinalIcount:N0}",
        };
        sb.Append(ci, $"  status    {status}\n");
        string? guestTime = GuestTime();
        if (guestTime is not null)
            sb.Append(ci, $"  duration  {FinalIcount:N0} instructions, {guestTime} of guest time\n");

        sb.Append("machine\n");
        if (Config.Count == 0)
            sb.Append("  (no configuration recorded)\n");
        int keyWidth = Config.Count == 0 ? 0 : Config.Keys.Max(k => k.Length);
        foreach (var (key, value) in Config)
            sb.Append(ci, $"  {key.PadRight(keyWidth)}  {RecordingHeader.DescribeValue(key, value)}\n");

        if (Images.Count > 0)
        {
            sb.Append("images\n");
            int roleWidth = Images.Max(i => i.Role.Length);
            int nameWidth = Images.Max(i => System.IO.Path.GetFileName(i.FileName).Length);
            foreach (var image in Images)
                sb.Append(ci, $"  {image.Role.PadRight(roleWidth)}  {System.IO.Path.GetFileName(image.FileName).PadRight(nameWidth)}  sha256 {image.Sha256Hex}\n");
        }

        sb.Append(ci, $"records ({RecordCount:N0})\n");
        var rows = new List<(string Label, long Count, string Extra)>
        {
            ("input events", CountsByKind.GetValueOrDefault(RecordKind.InputEvent), InputDetail()),
            ("clock reads", CountsByKind.GetValueOrDefault(RecordKind.ClockRead), ""),
            ("monitor commands", CountsByKind.GetValueOrDefault(RecordKind.Monitor), ""),
            ("digests", DigestCount, ""),
            ("snapshots", CountsByKind.GetValueOrDefault(RecordKind.Snapshot), ""),
        };
        foreach (var (label, count, extra) in rows)
            sb.Append(ci, $"  {label,-16}  {count,10:N0}{extra}\n");

        if (Snapshots.Count > 0)
        {
            sb.Append("snapshots\n");
            int nameWidth = Snapshots.Max(s => s.Name.Length);
            foreach (var s in Snapshots)
                sb.Append(ci, $"  {s.Name.PadRight(nameWidth)}  at icount {s.Icount,15:N0}  {s.Size,13:N0} bytes\n");
        }
        if (StateLayout is not null)
            sb.Append(ci, $"state sections (name:version)\n  {StateLayout}\n");
        return sb.ToString();
    }

    private string InputDetail()
    {
        if (InputBytesByChannel.Count == 0)
            return "";
        var parts = InputBytesByChannel.OrderBy(p => p.Key)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{ChannelName(p.Key)} {p.Value:N0} byte{(p.Value == 1 ? "" : "s")}"));
        return "  (" + string.Join(", ", parts) + ")";
    }

    private static string ChannelName(InputChannel channel) => channel switch
    {
        InputChannel.Serial0 => "serial0",
        InputChannel.Power => "power",
        InputChannel.DebuggerWrite => "debugger-write",
        InputChannel.Entropy => "entropy",
        InputChannel.DiskRead => "disk-read checks",
        _ when InputChannels.NetIndex(channel) >= 0 => $"net{InputChannels.NetIndex(channel)}",
        _ when InputChannels.VirtConsoleIndex(channel) >= 0 => $"virtconsole{InputChannels.VirtConsoleIndex(channel)}",
        _ => $"channel {(byte)channel}",
    };

    private string? GuestTime()
    {
        if (!Config.TryGetValue("icount_shift", out var s) ||
            !int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int shift) || shift > 40)
            return null;
        double seconds = FinalIcount * Math.Pow(2, shift) / 1e9;
        return seconds >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0.###} s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds * 1000:0.###} ms");
    }
}
