using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rewind.Replay.TimeTravel;

namespace Rewind.Timeline;

/// <summary>
/// The timeline page's web server (ASP.NET Core's Kestrel, on 127.0.0.1 only): the page itself, one
/// document with its style, script and first view inside (one request, nothing to wait for before
/// drawing), and a small JSON API it draws from afterwards (<see cref="TimelineApi"/>).
/// </summary>
public sealed class TimelineServer : IDisposable
{
    private static readonly Lazy<string> PageTemplate = new(BuildTemplate);
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private TimelineServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>
    /// Serves <paramref name="recording"/> (and <paramref name="session"/>, when attached to a replay) on
    /// <paramref name="port"/> (0: any free one). A recording read from its index is then read through
    /// in the background, every record's CRC checked; if it no longer agrees with its index, the page
    /// shows what the recording holds and <paramref name="notify"/> hears why (one line).
    /// </summary>
    /// <exception cref="TimelineException">The port cannot be listened on (one line).</exception>
    public static TimelineServer Start(RecordingTimeline recording, ITimelineSession? session, int port, Action<string>? notify = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, HostOwnedLifetime>();
        // Loopback only: whoever reaches the page moves the machine.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var api = new TimelineApi(recording, session, new BookmarkFile(recording.Path));
        MapPage(app, api);
        api.Map(app);
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or SocketException or AddressInUseException)
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            string why = e is AddressInUseException || e.InnerException is AddressInUseException ? "address already in use" : e.Message.ReplaceLineEndings(" ");
            throw new TimelineException($"cannot listen on 127.0.0.1:{port}: {why}");
        }
        var addresses = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()?.Addresses : null;
        int bound = port;
        if (addresses?.FirstOrDefault() is string a && Uri.TryCreate(a, UriKind.Absolute, out var uri)) bound = uri.Port;
        var timeline = new TimelineServer(app, bound);
        if (recording.FromIndex) timeline.VerifyInBackground(recording, api, notify);
        return timeline;
    }

    /// <summary>
    /// Asks for the page once, so that the runtime has compiled the server's and the JSON serializer's
    /// code before a browser asks (the first request of a process costs most of a second on a busy
    /// machine). A plain HTTP/1.1 request on a socket: an HTTP client would cost as much to compile.
    /// </summary>
    public void Warm()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 120_000, SendTimeout = 120_000 };
            socket.Connect(IPAddress.Loopback, Port);
            socket.Send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"u8);
            var buffer = new byte[64 * 1024];
            while (!_stopping.IsCancellationRequested && socket.Receive(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Only a head start: the browser's own request does the same work.
        }
    }

    private void VerifyInBackground(RecordingTimeline recording, TimelineApi api, Action<string>? notify)
    {
        var thread = new Thread(() =>
        {
            try
            {
                if (recording.Verify() is not { } scanned || _stopping.IsCancellationRequested) return;
                api.Replace(scanned);
                notify?.Invoke(scanned.IndexNote ?? $"{recording.Path}: the recording differs from its index");
            }
            catch (TimelineException e)
            {
                notify?.Invoke(e.Message);
            }
        })
        { IsBackground = true, Name = "timeline: check the recording", Priority = ThreadPriority.BelowNormal };
        thread.Start();
    }

    private static void MapPage(WebApplication app, TimelineApi api)
    {
        app.MapGet("/", () => Results.Text(Page(api), "text/html; charset=utf-8"));
    }

    /// <summary>The page with the first view's data inside it, as JSON (which escapes &lt; and &gt;, so no "&lt;/script" can end it early).</summary>
    private static string Page(TimelineApi api) =>
        PageTemplate.Value.Replace("{/*initial*/}", JsonSerializer.Serialize(api.Initial()), StringComparison.Ordinal);

    /// <summary>index.html with timeline.css and timeline.js put in place of the links to them.</summary>
    private static string BuildTemplate() => Resource("index.html")
        .Replace("<link rel=\"stylesheet\" href=\"timeline.css\">", "<style>\n" + Resource("timeline.css") + "</style>", StringComparison.Ordinal)
        .Replace("<script src=\"timeline.js\"></script>", "<script>\n" + Resource("timeline.js") + "</script>", StringComparison.Ordinal);

    private static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("page/" + name)
            ?? throw new InvalidOperationException($"page/{name} is not embedded");
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    }

    public void Dispose()
    {
        _stopping.Cancel();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            _app.StopAsync(grace.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stopping.Dispose();
    }
}
