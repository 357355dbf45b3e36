using Rewind.Cli.CommandLine;
using Xunit.Abstractions;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// The option parser with valid command lines mutated at the argument level (options dropped,
/// repeated, swapped, values replaced) and the character level: every list must give a valid
/// <see cref="Options"/> or one clean line (<see cref="UsageException"/>), never another exception.
/// </summary>
[Collection(FuzzAreas.Name)]
public sealed class CommandLineFuzzTests(ITestOutputHelper output)
{
    private const string Area = "command-line";

    private static readonly string[][] Valid =
    [
        ["-M", "virt", "-bios", "none", "-kernel", "guests/bin/hello.elf", "-nographic"],
        ["-machine", "virt,dumpdtb=/tmp/x.dtb", "-m", "256M", "-smp", "4"],
        ["-M", "virt", "-m", "1G", "-smp", "cpus=2,maxcpus=4,sockets=1,cores=2,threads=1", "-bios", "default", "-display", "none"],
        ["-kernel", "k.elf", "-icount", "shift=3,rr=record,rrfile=run.rr,rrsnapshot=init", "-serial", "file:/tmp/out", "-monitor", "stdio"],
        ["-kernel", "k.elf", "-icount", "shift=0,rr=replay,rrfile=run.rr", "-s", "-S", "-qmp", "tcp:127.0.0.1:4444,server=on,wait=off"],
        ["-gdb", "tcp::1234", "-qmp", "unix:/tmp/q.sock,server,nowait", "-no-shutdown", "-no-reboot", "-serial", "mon:stdio"],
        ["--version"], ["-h"], ["-append", "console=ttyS0 root=/dev/vda", "-cpu", "rv64", "-icount", "3"],
    ];

    private static readonly string[] Names =
    [
        "-M", "-machine", "-m", "-smp", "-bios", "-kernel", "-append", "-display", "-serial", "-monitor", "-icount",
        "-gdb", "-qmp", "-cpu", "-nographic", "-no-reboot", "-s", "-S", "-h", "-help", "-version", "-no-shutdown",
        "--m", "---smp", "-", "--", "-x", "-drive", "",
    ];

    private static readonly string[] Values =
    [
        "", "0", "1", "-1", "4097", "512", "513", "2147483648", "9223372036854775808", "18446744073709551616",
        "99999999999999999999999", "1K", "4K", "2047M", "2048M", "2G", "1T", "M", "size=", "size=64M,slots=2",
        "cpus=", "cpus=0", "sockets=0", "sockets=65536,cores=65536", "maxcpus=1,cpus=2", ",", ",,", "=", "==",
        "shift=", "shift=auto", "shift=11", "rr=record", "rr=replay,rrfile=", "rrsnapshot=", "rr=off,rrsnapshot=x",
        "tcp:", "tcp::", "tcp::99999", "unix:", "server=on", "file:", "mon:stdio", "virt,type=", "type=virt,dumpdtb=",
        "help", "\0", "\u00e9\u00e9", "\ud800", new string('9', 400), new string(',', 300),
    ];

    [Fact]
    public void Mutated_option_lists_give_options_or_one_clean_line()
    {
        var tally = new FuzzTally(Area, output);
        int inputs = FuzzBudget.Inputs(4000);
        var deadline = DateTime.UtcNow + FuzzBudget.TimeLimit(5);
        for (int i = 0; FuzzBudget.More(i, inputs, deadline, minimum: 100); i++)
        {
            var args = Generate(FuzzBudget.For(Area, FuzzBudget.Seed, i));
            var (outcome, detail) = Try(args);
            tally.Note(i, outcome, $"{detail} for [{string.Join(' ', args.Select(a => $"'{a}'"))}]");
        }
        tally.Finish(minimumInputs: 100);
    }

    internal static (Outcome, string) Try(IReadOnlyList<string> args)
    {
        var r = Bounded.Run(() =>
        {
            var o = OptionParser.Parse(args);
            // What the session reads next from the options must hold too.
            return $"{o.EffectiveSerial} {o.EffectiveMonitor} {o.Multiplexed} {o.QmpSocket}";
        }, TimeSpan.FromSeconds(10));
        if (!r.Finished) return (Outcome.Hang, "the parser did not return");
        return r.Error switch
        {
            null => (Outcome.Accepted, r.Value!),
            UsageException u when Bounded.IsOneLine(u.Message) => (Outcome.CleanError, u.Message),
            UsageException u => (Outcome.Crash, $"usage error that is not one line: {u.Message}"),
            var e => (Outcome.Crash, $"{e.GetType().Name}: {e.Message}"),
        };
    }

    private static List<string> Generate(Random rng)
    {
        var args = new List<string>(Mutator.Pick(rng, Valid));
        int edits = 1 + rng.Next(4);
        for (int k = 0; k < edits; k++)
        {
            int at = args.Count == 0 ? 0 : rng.Next(args.Count);
            switch (rng.Next(9))
            {
                case 0 when args.Count > 0: args.RemoveAt(at); break;
                case 1 when args.Count > 0: args.Insert(at, args[at]); break;
                case 2 when args.Count > 1:
                    int other = rng.Next(args.Count);
                    (args[at], args[other]) = (args[other], args[at]);
                    break;
                case 3: args.Insert(at, Mutator.Pick(rng, Names)); break;
                case 4: args.Insert(at, Mutator.Pick(rng, Values)); break;
                case 5 when args.Count > 0: args[at] = Mutator.Pick(rng, Values); break;
                case 6 when args.Count > 0:
                    args[at] = System.Text.Encoding.UTF8.GetString(Mutator.Mutate(rng, System.Text.Encoding.UTF8.GetBytes(args[at]), 4096));
                    break;
                case 7:
                    args.Add(Mutator.Pick(rng, Names));
                    args.Add(Mutator.Pick(rng, Values) + (rng.Next(2) == 0 ? "," + Mutator.Pick(rng, Values) : ""));
                    break;
                default: args.Insert(at, System.Text.Encoding.Latin1.GetString(Mutator.Noise(rng, 24))); break;
            }
        }
        return args;
    }
}
