using Rewind.Board;
using Rewind.Cli.CommandLine;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Cli;

/// <summary>Builds the recording header for a command line and opens recordings for replay.</summary>
internal static class RecordReplay
{
    public static RecordingHeader HeaderFor(Options o, BoardOptions board)
    {
        var config = new OrderedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["machine"] = o.Machine,
            ["ram"] = o.RamSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["smp"] = o.Smp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["icount_shift"] = o.IcountShift.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["bios"] = o.Bios,
            ["kernel"] = o.Kernel ?? "",
            ["append"] = o.Append ?? "",
        };
        var images = VirtBoard.ImagesFor(board)
            .Select(i => ImageHash.Of(i.Role, i.Path))
            .ToList();
        return new RecordingHeader { Config = config, Images = images };
    }

    public static ReplayLogWriter CreateWriter(string path, RecordingHeader header)
    {
        try
        {
            return ReplayLogWriter.Create(path, header);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionException($"rrfile={path}: cannot create the recording: {e.Message}");
        }
    }

    public static ReplayInput OpenForReplay(string path, RecordingHeader expected)
    {
        if (!File.Exists(path)) throw new SessionException($"rrfile={path}: no such recording");
        ReplayInput input;
        try
        {
            input = ReplayInput.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionException($"rrfile={path}: {e.Message}");
        }
        var differences = input.Header.Differences(expected).ToList();
        if (differences.Count > 0)
            throw new SessionException($"replay refused, the machine differs from the recording: {string.Join("; ", differences)}");
        return input;
    }
}
