using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Rewind.Replay.TimeTravel;

namespace Rewind.Timeline;

/// <summary>
/// The JSON the page draws from. The server summarises: a view asks for a range and a number of
/// buckets, and gets per-bucket counts for dense lanes and the events themselves where few fall in
/// the range, so a recording of billions of instructions paints as fast as a small one. The page
/// itself carries its first view (<see cref="Initial"/>), so it draws without asking for anything.
/// </summary>
internal sealed class TimelineApi(RecordingTimeline initialRecording, ITimelineSession? session, BookmarkFile bookmarks)
{
    /// <summary>Buckets of the view the page carries: about one per two pixels of a common window.</summary>
    public const int InitialBuckets = 576;

    private RecordingTimeline _recording = initialRecording;

    /// <summary>A lane with at most this many events in view sends them one by one.</summary>
    private const int MaxEvents = 400;
    private const int MaxBuckets = 4000;
    private const int MaxConsoleLines = 500;
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Counts the page's seeks. The stream carries it, so a page can tell a stream message composed
    /// before its seek ended (and delivered after the seek's answer, on the other connection) from a
    /// newer one, and never shows the old position over the new.
    /// </summary>
    private long _seeks;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/overview", Overview);
        app.MapGet("/api/view", View);
        app.MapGet("/api/console", ConsoleLines);
        app.MapPost("/api/seek", Seek);
        app.MapGet("/api/stream", Stream);
    }

    /// <summary>What a check of the whole recording found, when its index did not tell the truth.</summary>
    public void Replace(RecordingTimeline checkedRecording) => Volatile.Write(ref _recording, checkedRecording);

    private RecordingTimeline Recording => Volatile.Read(ref _recording);

    /// <summary>The overview, the view of the whole recording and its console lines: what the page draws first.</summary>
    public object Initial()
    {
        ulong to = Recording.End + 1;
        return new { overview = OverviewData(), view = ViewData(0, to, InitialBuckets), console = ConsoleData(0, to) };
    }

    private IResult Overview() => Results.Json(OverviewData());

    private object OverviewData()
    {
        var recording = Recording;
        return new
        {
            name = Path.GetFileName(recording.Path),
            path = recording.Path,
            format = recording.Format,
            end = recording.End,
            endedCleanly = recording.EndedCleanly,
            problem = recording.Problem,
            outputNote = recording.OutputNote,
            attached = session != null,
            position = session?.Position,
            status = session?.Status,
            lanes = Lanes(recording).Select(l => new { id = l.Id, label = l.Label, count = l.Count }),
        };
    }

    private IResult View(HttpContext http)
    {
        if (!TryRange(http.Request.Query, out ulong from, out ulong to, out string? error)) return Problem(400, error!);
        int n = 800;
        if (http.Request.Query["n"] is { Count: 1 } nv && (!int.TryParse(nv[0], NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > MaxBuckets))
            return Problem(400, $"n: a number of buckets from 1 to {MaxBuckets}");
        return Results.Json(ViewData(from, to, n));
    }

    private object ViewData(ulong from, ulong to, int n)
    {
        ulong span = to - from;
        ulong width = Math.Max(1, (span + (ulong)n - 1) / (ulong)n);
        var lanes = Lanes(Recording).Select(l =>
        {
            int total = l.CountIn(from, to);
            bool few = total <= MaxEvents;
            return new
            {
                id = l.Id,
                label = l.Label,
                total,
                events = few ? l.Events(from, to, MaxEvents).Select(e => new { icount = e.Icount, text = e.Text }) : null,
                buckets = few ? null : l.Buckets(from, width, n),
            };
        }).ToList();
        return new { from, to, width, n, position = session?.Position, lanes };
    }

    private IResult ConsoleLines(HttpContext http)
    {
        if (!TryRange(http.Request.Query, out ulong from, out ulong to, out string? error)) return Problem(400, error!);
        return Results.Json(ConsoleData(from, to));
    }

    private object ConsoleData(ulong from, ulong to)
    {
        var recording = Recording;
        var lines = recording.Output.Events(from, to, MaxConsoleLines);
        return new
        {
            total = recording.Output.CountIn(from, to),
            note = recording.OutputNote,
            lines = lines.Select(e => new { icount = e.Icount, text = e.Text }),
        };
    }

    private IResult Seek(HttpContext http)
    {
        if (session == null)
            return Problem(409, "not attached to a replay: start the replay with -timeline PORT to move it from this page");
        string? raw = http.Request.Query["icount"];
        if (raw == null || !ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out ulong icount))
            return Problem(400, "icount: an instruction count");
        try
        {
            var result = session.Seek(icount);
            long generation = Interlocked.Increment(ref _seeks);
            return Results.Json(new { icount = result.Icount, note = result.Note, generation });
        }
        catch (TimelineException e)
        {
            return Problem(409, e.Message);
        }
    }

    /// <summary>
    /// Server-sent events: the position, run state and a version of what else changes, whenever one
    /// of them does (looked at ten times a second), so GDB's moves show on the page as they happen.
    /// </summary>
    private async Task Stream(HttpContext http)
    {
        var lifetime = http.RequestServices.GetService(typeof(IHostApplicationLifetime)) as IHostApplicationLifetime;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime?.ApplicationStopping ?? default);
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        string last = "";
        ulong? seen = null, settled = session?.Position;
        long lastGeneration = Interlocked.Read(ref _seeks);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // While a seek or a reverse search replays, the count runs ahead of where it will
                // stop: a position is told once it has held still for a poll.
                ulong? now = session?.Position;
                long generation = Interlocked.Read(ref _seeks);
                // A seek of the page's has ended since the last poll: where it went is final already.
                if (now == seen || generation != lastGeneration) settled = now;
                seen = now;
                lastGeneration = generation;
                string state = JsonSerializer.Serialize(new
                {
                    position = settled,
                    generation,
                    status = session?.Status,
                    version = (session?.Version ?? 0) + BookmarkStamp(),
                });
                if (state != last)
                {
                    last = state;
                    await http.Response.WriteAsync($"data: {state}\n\n", stop.Token).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                }
                await Task.Delay(PollPeriod, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away, or the server is stopping.
        }
    }

    /// <summary>Changes when the bookmark file does (scripts/rewind.py and other sessions write it).</summary>
    private long BookmarkStamp()
    {
        try
        {
            var info = new FileInfo(bookmarks.Path);
            return info.Exists ? info.LastWriteTimeUtc.Ticks ^ info.Length : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private IEnumerable<TimelineLane> Lanes(RecordingTimeline recording)
    {
        yield return recording.Inputs;
        yield return recording.Output;
        yield return recording.ClockReads;
        var snapshots = recording.RecordedSnapshots.Concat(session?.Snapshots ?? []).OrderBy(e => e.Icount).ToList();
        yield return Lane("snapshot", "snapshots", snapshots);
        yield return Lane("bookmark", "bookmarks", LoadBookmarks());
        yield return Lane("hit", "breakpoint hits", session?.Hits ?? []);
    }

    private List<TimelineEvent> LoadBookmarks()
    {
        try
        {
            return [.. bookmarks.Load().Select(b => new TimelineEvent(b.Icount, b.Name))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // A damaged bookmark file shows as none; the GDB extension's commands say what is wrong with it.
            return [];
        }
    }

    private static TimelineLane Lane(string id, string label, IReadOnlyList<TimelineEvent> events) =>
        new(id, label, [.. events.Select(e => e.Icount)], i => events[i].Text);

    private bool TryRange(IQueryCollection query, out ulong from, out ulong to, out string? error)
    {
        from = 0;
        to = Recording.End + 1;
        error = null;
        if (query["from"] is { Count: 1 } f && !ulong.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out from))
            error = "from: an instruction count";
        else if (query["to"] is { Count: 1 } t && !ulong.TryParse(t[0], NumberStyles.None, CultureInfo.InvariantCulture, out to))
            error = "to: an instruction count";
        else if (to <= from) error = "to must be above from";
        return error == null;
    }

    private static IResult Problem(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
