using System.Globalization;
using System.Text;
using Rewind.Cli.CommandLine;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;

namespace Rewind.Cli;

/// <summary>`rewind info FILE.rr [--output]`: what a recording holds; with --output, the console output by instruction count.</summary>
internal static class InfoCommand
{
    private const string Usage = "info: usage: rewind info FILE.rr [--output]";

    public static int Run(string[] args)
    {
        bool output = args.Contains("--output");
        var files = args.Where(a => a != "--output").ToArray();
        if (files.Length != 1 || files[0].StartsWith('-')) throw new UsageException(Usage);
        string path = files[0];
        if (!File.Exists(path)) throw new UsageException($"info: {path}: no such file");
        if (!output)
        {
            Console.Out.Write(RecordingSummary.Read(path).Format());
            return 0;
        }
        Console.Out.Write(Output(path));
        return 0;
    }

    /// <summary>Each console line with the count at which the guest wrote its last byte (format 4 and later).</summary>
    private static string Output(string path)
    {
        using var reader = ReplayLogReader.Open(path, loadSnapshotPayloads: false);
        if (reader.Header.Version < RecordingHeader.OutputVersion)
            throw new UsageException($"info: {path}: this recording (format {reader.Header.Version}) predates console output records (format {RecordingHeader.OutputVersion}); replay it to see its output");
        var records = new List<LogRecord>();
        while (reader.TryReadNext(out var r))
            if (r.Kind == RecordKind.Output) records.Add(r);
        var log = ConsoleLog.FromRecords(records, recordingHoldsOutput: true, reader.LastIcount);
        var sb = new StringBuilder();
        foreach (var line in log.Lines)
            sb.Append(CultureInfo.InvariantCulture, $"{line.Icount,15}  {Printable(line.Text)}\n");
        if ((reader.Corruption ?? reader.Truncation) is string problem) sb.Append(CultureInfo.InvariantCulture, $"(the recording stops early: {problem})\n");
        return sb.ToString();
    }

    /// <summary>Control characters (escape sequences, carriage returns) shown as \xNN, so a line stays one line.</summary>
    private static string Printable(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if ((c < 0x20 && c != '\t') || c == 0x7f) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
