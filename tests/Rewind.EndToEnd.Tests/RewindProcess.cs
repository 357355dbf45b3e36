using System.Diagnostics;
using System.Text;

namespace Rewind.EndToEnd.Tests;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs `bash rewind ARGS` from the repository root, as a user would.</summary>
public static class RewindProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<ProcessResult> Built = new(() =>
        Start(["--version"], null, TimeSpan.FromMinutes(10)), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The launcher builds the command line on first use; do that once, before parallel tests race to it
    /// (the build could otherwise eat their timeouts).
    /// </summary>
    public static void EnsureBuilt()
    {
        var r = Built.Value;
        if (r.ExitCode != 0) throw new InvalidOperationException($"./rewind --version failed: {r}");
    }

    public static ProcessResult Run(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        EnsureBuilt();
        return Start(args, stdin, timeout ?? DefaultTimeout);
    }

    public static ProcessResult Run(params string[] args) => Run(args, null, null);

    /// <summary>`-M virt -bios none -kernel PATH -nographic`, the way the guests are meant to be run.</summary>
    public static ProcessResult RunKernel(string kernel, string? stdin = null, params string[] extra) =>
        Run(["-M", "virt", "-bios", "none", "-kernel", kernel, "-nographic", .. extra], stdin);

    private static ProcessResult Start(IEnumerable<string> args, string? stdin, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(RepoPaths.Launcher);
        foreach (var a in args) psi.ArgumentList.Add(a);

        using var p = new Process { StartInfo = psi };
        p.Start();
        // Read both streams to the end as raw text: guest output need not end with a newline.
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        try
        {
            if (stdin != null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited before reading its input; its exit status tells the story.
        }

        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit();
            throw new TimeoutException(
                $"rewind {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s\n{stdoutTask.Result}\n{stderrTask.Result}");
        }
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdoutTask.Result, stderrTask.Result);
    }
}
