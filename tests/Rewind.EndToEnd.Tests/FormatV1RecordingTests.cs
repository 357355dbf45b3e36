namespace Rewind.EndToEnd.Tests;

/// <summary>
/// The format-1 recordings committed under tests/Rewind.Replay.Tests/Data/v1 (device state saved by
/// position, before named state sections) replayed through ./rewind as a user would.
/// </summary>
public class FormatV1RecordingTests
{
    private static string Data(string name) => Path.Combine(RepoPaths.Root, "tests", "Rewind.Replay.Tests", "Data", "v1", name);

    [Theory]
    [InlineData("bench.rr", "bench", 1, "")]
    [InlineData("bench-rrsnapshot-init.rr", "bench", 1, ",rrsnapshot=init")]
    [InlineData("bench-smp2-rrsnapshot-init.rr", "bench", 2, ",rrsnapshot=init")]
    [InlineData("input_timing-typed-abc.rr", "input_timing", 1, "")]
    public void A_format_1_recording_replays_through_the_command_line_to_its_recorded_output(string file, string guest, int smp, string snapshot)
    {
        var r = RewindProcess.Run(
            ["-M", "virt", "-smp", smp.ToString(System.Globalization.CultureInfo.InvariantCulture), "-bios", "none",
             "-kernel", RepoPaths.Guest(guest), "-display", "none", "-icount", $"shift=3,rr=replay,rrfile={Data(file)}{snapshot}"],
            null, TimeSpan.FromSeconds(120));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Stderr);
        Assert.Equal(File.ReadAllText(Data(file + ".stdout")), r.Stdout);
    }

    [Fact]
    public void Rewind_info_reads_a_format_1_recording()
    {
        var r = RewindProcess.Run("info", Data("bench-rrsnapshot-init.rr"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("format version 1", r.Stdout);
        Assert.Matches(@"init\s+at icount\s+0\s", r.Stdout);
        Assert.DoesNotContain("state sections", r.Stdout);
    }
}
