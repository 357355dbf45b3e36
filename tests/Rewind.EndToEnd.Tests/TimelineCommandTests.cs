using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Rewind.EndToEnd.Tests;

/// <summary>`./rewind timeline FILE.rr [--port N]` on its own: the page's data from the recording, and one-line errors.</summary>
public class TimelineCommandTests(ReverseRecordings recordings) : IClassFixture<ReverseRecordings>
{
    [Fact]
    public async Task Timeline_alone_serves_the_recordings_events_and_refuses_to_seek()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(["timeline", recordings.RevDebug.File, "--port", port.ToString(CultureInfo.InvariantCulture)]);
        run.WaitListening(port);
        run.WaitForOutput($"at http://127.0.0.1:{port}/");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        Assert.Contains("<title>Rewind timeline</title>", await http.GetStringAsync(""));
        using var overview = JsonDocument.Parse(await http.GetStringAsync("api/overview"));
        Assert.Equal(recordings.RevDebug.End, overview.RootElement.GetProperty("end").GetUInt64());
        Assert.False(overview.RootElement.GetProperty("attached").GetBoolean());

        using var view = JsonDocument.Parse(await http.GetStringAsync("api/view?n=50"));
        var output = view.RootElement.GetProperty("lanes").EnumerateArray().Single(l => l.GetProperty("id").GetString() == "output");
        var line = Assert.Single(output.GetProperty("events").EnumerateArray());
        Assert.Equal("revdebug total=90 fib=55 counter=75", line.GetProperty("text").GetString());

        var seek = await http.PostAsync("api/seek?icount=5", null);
        Assert.Equal(HttpStatusCode.Conflict, seek.StatusCode);
        Assert.Contains("not attached to a replay", await seek.Content.ReadAsStringAsync());
        var bad = await http.GetAsync("api/view?from=10&to=5");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public void A_port_in_use_is_one_line()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            int port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var r = RewindProcess.Run("timeline", recordings.RevDebug.File, "--port", port.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(1, r.ExitCode);
            Assert.Equal([$"rewind: timeline: cannot listen on 127.0.0.1:{port}: address already in use"], r.StderrLines);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void A_missing_or_corrupt_recording_is_one_line()
    {
        using var dir = new TempDir();
        var missing = RewindProcess.Run("timeline", dir.File("none.rr"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal([$"rewind: timeline: {dir.File("none.rr")}: no such file"], missing.StderrLines);

        string corrupt = dir.File("corrupt.rr");
        File.WriteAllText(corrupt, "this is not a recording\n");
        var r = RewindProcess.Run("timeline", corrupt);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith($"rewind: timeline: {corrupt}: not a Rewind recording", line);

        var usage = RewindProcess.Run("timeline", "--port", "70000", corrupt);
        Assert.Equal(["rewind: --port 70000: a port number from 0 to 65535"], usage.StderrLines);
        var replayOnly = RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-timeline", "8080");
        Assert.Equal(1, replayOnly.ExitCode);
        Assert.Contains("-timeline: the timeline page moves a replay; use it with -icount rr=replay", replayOnly.Stderr);
    }

    [Fact]
    public void A_replay_whose_timeline_port_is_taken_says_so_in_one_line()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            int port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var r = RewindProcess.RunKernel(RepoPaths.Guest("revdebug"), null, "-icount", $"shift=3,rr=replay,rrfile={recordings.RevDebug.File}",
                "-timeline", port.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(1, r.ExitCode);
            Assert.Equal([$"rewind: -timeline {port}: cannot listen on 127.0.0.1:{port}: address already in use"], r.StderrLines);
        }
        finally
        {
            taken.Stop();
        }
    }
}
