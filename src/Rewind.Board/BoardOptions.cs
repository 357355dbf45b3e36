using Rewind.Board.Devices;
using Rewind.Core.Input;
using Rewind.Core.Time;

namespace Rewind.Board;

/// <summary>What the command line says about the machine to build.</summary>
public sealed record BoardOptions
{
    public ulong RamSize { get; init; } = 128UL * 1024 * 1024;
    public int Smp { get; init; } = 1;
    /// <summary>"none", "default", or a path.</summary>
    public string Bios { get; init; } = "default";
    public string? Kernel { get; init; }
    public string? Append { get; init; }
    public int IcountShift { get; init; } = VirtualClock.DefaultShift;
    public ISerialBackend Serial { get; init; } = new NullSerialBackend();
    public IInputBoundary? Input { get; init; }
    /// <summary>Compile hot guest code (see Rewind.Riscv.Jit); off, every instruction is interpreted. Same results either way.</summary>
    public bool Jit { get; init; } = Rewind.Riscv.Jit.JitSettings.EnabledByDefault();
}

/// <summary>An image the board loaded, as a recording header names it.</summary>
public sealed record LoadedFile(string Role, string Path, byte[] Contents);
