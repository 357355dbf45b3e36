using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Rewind.Cli.CommandLine;
using Rewind.Timeline;

namespace Rewind.Cli;

/// <summary>
/// `rewind timeline FILE.rr [--port N]`: the timeline page of a recording on 127.0.0.1, until a
/// signal ends it. Alone it shows the recording; a replay started with -timeline PORT serves the same
/// page attached to itself, where a click moves the machine.
/// </summary>
internal static class TimelineCommand
{
    public const int DefaultPort = 8080;
    private const string Usage = "timeline: usage: rewind timeline FILE.rr [--port N]";

    public static int Run(string[] args)
    {
        string? file = null;
        int port = DefaultPort;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--port" or "-port")
            {
                if (i + 1 >= args.Length) throw new UsageException(Usage);
                port = OptionParser.ParsePort("-port", args[++i]);
            }
            else if (args[i].StartsWith('-') || file != null) throw new UsageException(Usage);
            else file = args[i];
        }
        if (file == null) throw new UsageException(Usage);
        using var done = new ManualResetEventSlim();
        var signals = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP }
            .Select(s => PosixSignalRegistration.Create(s, ctx =>
            {
                ctx.Cancel = true;
                done.Set();
            })).ToList();
        try
        {
            var watch = Stopwatch.StartNew();
            var recording = Guard(() => RecordingTimeline.Load(file));
            if (recording.IndexNote != null) Console.Error.WriteLine($"rewind: timeline: {recording.IndexNote}");
            long read = watch.ElapsedMilliseconds;
            using var server = Guard(() => TimelineServer.Start(recording, session: null, port, note => Console.Error.WriteLine($"rewind: timeline: {note}")));
            long started = watch.ElapsedMilliseconds;
            server.Warm();
            // REWIND_STATS=1: where the start went (bench/timeline.sh prints it).
            if (Environment.GetEnvironmentVariable(Host.RunStats.EnvironmentVariable) == "1")
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rewind: timeline: {(recording.FromIndex ? "read the index" : "scanned the recording")} in {read} ms, server started in {started - read} ms, first page served in {watch.ElapsedMilliseconds - started} ms"));
            }
            Console.Out.WriteLine($"rewind: timeline of {file} at {server.Url} (not attached to a replay; Ctrl-C ends)");
            Console.Out.Flush();
            done.Wait();
            return 0;
        }
        finally
        {
            foreach (var s in signals) s.Dispose();
        }
    }

    private static T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (TimelineException e)
        {
            throw new TimelineException("timeline: " + e.Message);
        }
    }
}
