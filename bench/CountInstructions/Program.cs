// Runs a bare-metal kernel on the virt board (as `-bios none -kernel FILE -icount shift=N`) to completion
// and prints the number of instructions the hart executed, for bench/run.sh's MIPS figure.
using System.Globalization;
using Rewind.Board;
using Rewind.Core.Execution;

if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: CountInstructions KERNEL [SHIFT]");
    return 2;
}
int shift = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = args[0], IcountShift = shift });
var stop = board.Machine.Run(ulong.MaxValue);
if (stop.Kind != StopKind.Exited || stop.ExitCode != 0)
{
    Console.Error.WriteLine($"CountInstructions: {args[0]} stopped with {stop.Kind}, exit code {stop.ExitCode}");
    return 1;
}
Console.WriteLine(board.Machine.Icount.ToString(CultureInfo.InvariantCulture));
return 0;
