using Rewind.Core.Cpu;
using Rewind.Core.Execution;

namespace Rewind.Board;

/// <summary>A built board, whatever its architecture: what Session and the front ends need of it.</summary>
public interface IBoard
{
    BoardOptions Options { get; }
    Machine Machine { get; }
    /// <summary>Where a debugger's memory and register writes enter the machine (through the input boundary).</summary>
    DebuggerWrites DebuggerWrites { get; }
}

/// <summary>Builds the board the options' architecture names.</summary>
public static class Boards
{
    public static IBoard Create(BoardOptions options) => options.Arch switch
    {
        GuestArch.Aarch64 => Arm.ArmVirtBoard.Create(options),
        _ => VirtBoard.Create(options),
    };

    /// <summary>The files a board built from <paramref name="options"/> will load, by role, checked to exist.</summary>
    public static IReadOnlyList<(string Role, string Path)> ImagesFor(BoardOptions options) => options.Arch switch
    {
        GuestArch.Aarch64 => Arm.ArmVirtBoard.ImagesFor(options),
        _ => VirtBoard.ImagesFor(options),
    };
}
