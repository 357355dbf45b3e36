using System.Diagnostics;
using Rewind.Board;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

// The time-travel engine's share of bench/far-jump.sh, in-process: a recording of uart_echo.elf (riscv64
// virt, -bios none, -icount shift=0) replayed with two search workers, one pass to the end, then
// TimeTravelEngine.Seek + ReverseStep at JUMPS random counts, three rounds over the same counts. Wall
// times of the calls themselves (Stopwatch); GDB's round trips are not in them.
//   dotnet run -c Release --project bench/FarJumpInProcess -- RECORDING.rr [JUMPS] [KERNEL]   (from the repository root)
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: FarJumpInProcess RECORDING.rr [JUMPS] [KERNEL]");
    return 2;
}
int jumps = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40;
string kernel = args.Length > 2 ? args[2] : "guests/bin/uart_echo.elf";
var options = new BoardOptions { Bios = "none", Kernel = kernel, IcountShift = 0 };
var replay = new ReplayInput(new ReplayLogReader(File.OpenRead(args[0])));
var board = VirtBoard.Create(options with { Input = replay });
replay.Machine = board.Machine;
var engine = new TimeTravelEngine(board.Machine, replay)
{
    SearchWorkers = 2,
    CloneFactory = fork =>
    {
        var clone = VirtBoard.Create(options with { Input = fork }).Machine;
        fork.Machine = clone;
        return clone;
    },
};
ulong end = engine.End ?? 0;
var clock = Stopwatch.StartNew();
engine.Seek(end);
Console.WriteLine($"first pass {clock.Elapsed.TotalSeconds:F2} s to {end}: {engine.Store.All.Count} snapshots, {engine.Store.Bytes >> 10} KiB, step {engine.Step}");
var random = new Random(42);
var points = Enumerable.Range(0, jumps).Select(_ => (ulong)random.NextInt64(1000, (long)end - 10)).ToList();
for (int round = 0; round < 3; round++)
{
    var seek = new List<double>();
    var back = new List<double>();
    foreach (ulong p in points)
    {
        long t0 = Stopwatch.GetTimestamp();
        engine.Seek(p);
        long t1 = Stopwatch.GetTimestamp();
        engine.ReverseStep();
        long t2 = Stopwatch.GetTimestamp();
        if (engine.Icount != p - 1) throw new InvalidOperationException($"the reverse step from {p} landed at {engine.Icount}");
        seek.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
        back.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
    }
    Console.WriteLine($"round {round + 1}: seek median {Median(seek):F3} ms (max {seek.Max():F3}), reverse step median {Median(back):F3} ms (max {back.Max():F3}); {engine.Store.All.Count} snapshots");
}
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}
