using Rewind.Cli.CommandLine;
using Rewind.Replay.Log;

namespace Rewind.Cli;

/// <summary>`rewind info FILE.rr`: what a recording holds.</summary>
internal static class InfoCommand
{
    public static int Run(string[] args)
    {
        if (args.Length != 1) throw new UsageException("info: usage: rewind info FILE.rr");
        if (!File.Exists(args[0])) throw new UsageException($"info: {args[0]}: no such file");
        var summary = RecordingSummary.Read(args[0]);
        Console.Out.Write(summary.Format());
        return 0;
    }
}
