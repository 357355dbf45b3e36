// Runs a bare-metal kernel on the virt board (as `-bios none -kernel FILE -icount shift=N`) to completion
// and prints the number of instructions the CPU executed, for bench/run.sh's MIPS figure.
//
//   CountInstructions [--arch aarch64] [--time] KERNEL [SHIFT]
//
// --arch aarch64 builds QEMU's arm virt board (cortex-a57, semihosting on) instead of the riscv64 one.
// --time also prints the thread CPU seconds of Machine.Run on stderr: the CPU's speed without process
// start-up, for profiling the interpreter in-process (bench/run.sh times whole processes, as for QEMU).
using System.Diagnostics;
using System.Globalization;
using Rewind.Board;
using Rewind.Core.Execution;

var rest = new List<string>();
var arch = GuestArch.Riscv64;
bool time = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--time") time = true;
    else if (args[i] == "--arch" && i + 1 < args.Length)
    {
        string name = args[++i];
        arch = name switch
        {
            "riscv64" => GuestArch.Riscv64,
            "aarch64" => GuestArch.Aarch64,
            _ => GuestArch.Riscv64,
        };
        if (name is not ("riscv64" or "aarch64"))
        {
            Console.Error.WriteLine($"CountInstructions: unknown --arch '{name}' (riscv64, aarch64)");
            return 2;
        }
    }
    else rest.Add(args[i]);
}
if (rest.Count is < 1 or > 2)
{
    Console.Error.WriteLine("usage: CountInstructions [--arch riscv64|aarch64] [--time] KERNEL [SHIFT]");
    return 2;
}
int shift = rest.Count > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 0;
var board = Boards.Create(new BoardOptions
{
    Bios = "none",
    Kernel = rest[0],
    IcountShift = shift,
    Arch = arch,
    Semihosting = arch == GuestArch.Aarch64,
});
var cpuTime = Process.GetCurrentProcess().TotalProcessorTime;
var wall = Stopwatch.StartNew();
var stop = board.Machine.Run(ulong.MaxValue);
wall.Stop();
cpuTime = Process.GetCurrentProcess().TotalProcessorTime - cpuTime;
if (stop.Kind != StopKind.Exited || stop.ExitCode != 0)
{
    Console.Error.WriteLine($"CountInstructions: {rest[0]} stopped with {stop.Kind}, exit code {stop.ExitCode}");
    return 1;
}
ulong icount = board.Machine.Icount;
Console.WriteLine(icount.ToString(CultureInfo.InvariantCulture));
if (time)
{
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"run: {wall.Elapsed.TotalSeconds:F3} s wall, {cpuTime.TotalSeconds:F3} s CPU, {icount / cpuTime.TotalSeconds / 1e6:F1} MIPS (CPU time)"));
}
return 0;
