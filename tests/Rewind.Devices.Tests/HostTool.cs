using System.Diagnostics;

namespace Rewind.Devices.Tests;

/// <summary>Runs a real host tool (qemu-img, qemu-io) and fails the test, with its output, when it fails.</summary>
internal static class HostTool
{
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        string output = stdout.Result + stderr;
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {output}");
        return output;
    }
}
