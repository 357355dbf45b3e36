using System.Diagnostics;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// bench/soak.sh in short: 20 s of typing to uart_echo recorded through ./rewind, replayed to the
/// same console, then reverse-stepped by gdb-multiarch at random points with the memory watched.
/// The full benchmark runs an hour (bench/soak.sh 60).
/// </summary>
[Collection(FuzzAreas.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_short_soak_replays_to_the_same_console_and_reverse_steps_within_the_memory_budget()
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bench", "soak.sh"));
        psi.Environment["SOAK_SECONDS"] = "20";
        psi.Environment["SOAK_STEPS"] = "6";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("bench/soak.sh did not finish in 20 minutes");
        }
        string report = await stdout + await stderr;
        output.WriteLine(report);
        Assert.True(process.ExitCode == 0, report);
        Assert.Contains("console identical: yes", report);
        Assert.Matches(@"reverse-stepi at random points\s+6 ok=6 ", report);
    }
}
