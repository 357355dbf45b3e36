using System.Net;
using System.Net.Sockets;
using System.Reflection;
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
/// The timeline page's web server (ASP.NET Core's Kestrel, on 127.0.0.1 only): the page itself from
/// the assembly's resources, and a small JSON API it draws from (<see cref="TimelineApi"/>).
/// </summary>
public sealed class TimelineServer : IDisposable
{
    private readonly WebApplication _app;

    private TimelineServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>Serves <paramref name="recording"/> (and <paramref name="session"/>, when attached to a replay) on <paramref name="port"/> (0: any free one).</summary>
    /// <exception cref="TimelineException">The port cannot be listened on (one line).</exception>
    public static TimelineServer Start(RecordingTimeline recording, ITimelineSession? session, int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, HostOwnedLifetime>();
        // Loopback only: whoever reaches the page moves the machine.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var api = new TimelineApi(recording, session, new BookmarkFile(recording.Path));
        MapPage(app);
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
        return new TimelineServer(app, bound);
    }

    private static void MapPage(WebApplication app)
    {
        app.MapGet("/", () => Resource("index.html", "text/html; charset=utf-8"));
        app.MapGet("/timeline.js", () => Resource("timeline.js", "text/javascript; charset=utf-8"));
        app.MapGet("/timeline.css", () => Resource("timeline.css", "text/css; charset=utf-8"));
    }

    private static IResult Resource(string name, string contentType)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("page/" + name)
            ?? throw new InvalidOperationException($"page/{name} is not embedded");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Results.Bytes(ms.ToArray(), contentType);
    }

    public void Dispose()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            _app.StopAsync(grace.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
