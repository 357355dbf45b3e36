using Rewind.Board;
using Rewind.Cli.CommandLine;
using Rewind.Session;

namespace Rewind.Cli;

public static class EntryPoint
{
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length > 0 && args[0] == "info") return InfoCommand.Run(args.Skip(1).ToArray());
            if (args.Length > 0 && args[0] == "timeline") return TimelineCommand.Run(args.Skip(1).ToArray());
            var options = OptionParser.Parse(args);
            foreach (string warning in options.Warnings) Console.Error.WriteLine($"rewind: {warning}");
            if (options.Help)
            {
                Console.Out.Write(HelpText.Usage);
                return 0;
            }
            if (options.Version)
            {
                Console.Out.WriteLine(HelpText.VersionFor(options.Arch));
                return 0;
            }
            if (options.Kernel == null && options.Bios == "default" && options.DumpDtb == null)
                Console.Error.WriteLine(HelpText.NothingToBoot);
            using var session = new Session(options);
            return session.Run();
        }
        catch (Exception e) when (e is UsageException or BoardConfigException or Replay.Log.RecordingFormatException or SessionException or Timeline.TimelineException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"rewind: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            // A bug of ours: still one line, with enough to report it.
            Console.Out.Flush();
            Console.Error.WriteLine($"rewind: internal error: {e.GetType().Name}: {e.Message}");
            return 2;
        }
    }
}
