using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.EndToEnd.Tests;

/// <summary>Command lines and checks shared by the end-to-end recording tests.</summary>
internal static class RecordingRuns
{
    public static string[] Rr(string mode, string file) => ["-icount", $"shift=3,rr={mode},rrfile={file}"];

    public static ProcessResult Replay(string guest, string rr, params string[] extra) =>
        RewindProcess.Run(["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest(guest), "-nographic", .. Rr("replay", rr), .. extra],
            null, TimeSpan.FromSeconds(60));

    /// <summary>The bytes of every input event a recording logged on <paramref name="channel"/>, in order.</summary>
    public static byte[] LoggedInput(string rr, InputChannel channel)
    {
        var bytes = new List<byte>();
        using var reader = ReplayLogReader.Open(rr);
        while (reader.TryReadNext(out var rec))
            if (rec.Kind == RecordKind.InputEvent && rec.Channel == channel) bytes.AddRange(rec.Data.ToArray());
        return [.. bytes];
    }

    /// <summary>Exit status 1 and one line on stderr that names the problem: no stack trace, no internal error.</summary>
    public static void AssertOneLineError(ProcessResult r, string mustContain)
    {
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.True(r.StderrLines.Length == 1, r.ToString());
        Assert.StartsWith("rewind: ", r.Stderr);
        Assert.True(r.Stderr.Contains(mustContain, StringComparison.Ordinal), $"no '{mustContain}' in:\n{r}");
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain("internal error", r.Stderr);
    }
}
