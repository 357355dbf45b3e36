using System.Diagnostics;

namespace Rewind.Devices.Tests;

/// <summary>Runs a real host tool (qemu-img, qemu-io) and fails the test, with its output, when it fails.</summary>
internal static class HostTool
{
    public static string Run(string tool, params string[] args)
    {
        var (code, output) = Start(tool, args);
        Assert.True(code == 0, $"{tool} {string.Join(' ', args)} failed: {output}");
        return output;
    }

    /// <summary>
    /// As <see cref="Run"/>, but runs the tool again (up to <paramref name="attempts"/> times) while it fails
    /// with <paramref name="transient"/> in its output: qemu-img's LUKS set-up times PBKDF2 in thread CPU
    /// time and gives up with "Unable to get accurate CPU usage" when that clock does not move, which a busy
    /// host can cause. Any other failure fails at once.
    /// </summary>
    public static string RunRetrying(string transient, int attempts, string tool, params string[] args)
    {
        for (int attempt = 1; ; attempt++)
        {
            var (code, output) = Start(tool, args);
            if (code == 0) return output;
            Assert.True(attempt < attempts && output.Contains(transient, StringComparison.Ordinal),
                $"{tool} {string.Join(' ', args)} failed (attempt {attempt}): {output}");
        }
    }

    private static (int Code, string Output) Start(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
