using System.Net;
using System.Text.Json.Nodes;

namespace Rewind.Monitor.Tests;

/// <summary>The rewind-* QMP commands against ./rewind replaying count_loop: the same powers as the GDB extension.</summary>
public sealed class TimeTravelQmpTests(CountLoopRecording recording) : IClassFixture<CountLoopRecording>
{
    [Fact]
    public void Rewind_commands_go_to_counts_bookmarks_and_console_lines()
    {
        string rr = Path.Combine(recording.Directory, "qmp-copy.rr");
        File.Copy(recording.File, rr, overwrite: true);
        int port = FreePort.Get();
        using var run = RewindRun.Start(CountLoopRecording.ReplayArgs(rr, ["-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off", "-S"]));
        using var c = QmpClient.ConnectNegotiated(new IPEndPoint(IPAddress.Loopback, port));

        Assert.Equal(5000UL, c.Execute("rewind-goto", new JsonObject { ["target"] = 5000 })["return"]!["icount"]!.GetValue<ulong>());
        var when = c.Execute("rewind-when")["return"]!;
        Assert.Equal(5000UL, when["icount"]!.GetValue<ulong>());
        Assert.Equal(40_000UL, when["guest-ns"]!.GetValue<ulong>());
        Assert.Equal("paused", c.Execute("query-status")["return"]!["status"]!.GetValue<string>());

        Assert.Equal(5000UL, c.Execute("rewind-bookmark", new JsonObject { ["name"] = "here" })["return"]!["icount"]!.GetValue<ulong>());
        var line = c.Execute("rewind-goto-output", new JsonObject { ["pattern"] = "counter=\\d+" })["return"]!;
        Assert.Equal("count_loop counter=1000000", line["line"]!.GetValue<string>());
        ulong printed = line["icount"]!.GetValue<ulong>();
        Assert.Equal(printed, c.Execute("query-replay")["return"]!["icount"]!.GetValue<ulong>());

        Assert.Equal(5000UL, c.Execute("rewind-goto", new JsonObject { ["target"] = "here" })["return"]!["icount"]!.GetValue<ulong>());
        Assert.Equal("""[{"name":"here","icount":5000}]""", c.Execute("rewind-bookmarks")["return"]!.ToJsonString());
        Assert.Equal("""{"return":{}}""", c.Execute("rewind-delete-bookmark", new JsonObject { ["name"] = "here" }).ToJsonString());
        Assert.Equal("no bookmark named 'here'", c.Execute("rewind-delete-bookmark", new JsonObject { ["name"] = "here" })["error"]!["desc"]!.GetValue<string>());
        Assert.StartsWith("bad regular expression", c.Execute("rewind-goto-output", new JsonObject { ["pattern"] = "(" })["error"]!["desc"]!.GetValue<string>());
        Assert.Equal("5", c.Execute("rewind-info")["return"]!["format"]!.GetValue<string>());

        var none = c.Execute("rewind-last-write", new JsonObject { ["address"] = 0x8700_0000L, ["size"] = 8 })["return"]!;
        Assert.False(none["found"]!.GetValue<bool>());
        Assert.Equal(5000UL, none["icount"]!.GetValue<ulong>());
        c.Execute("quit");
        run.WaitExit(TimeSpan.FromSeconds(30));
    }
}
