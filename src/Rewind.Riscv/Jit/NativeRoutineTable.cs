using System.Runtime.InteropServices;

namespace Rewind.Riscv.Jit;

/// <summary>
/// Where the routines native bodies share (<see cref="NativeRoutines"/>) start: relative to the emitted
/// code as <see cref="NativeRoutines.Emit"/> returns it, absolute once placed in the arena. The
/// <see cref="NativeContext"/> holds one at fixed offsets, so a hart takes all of them in one copy.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeRoutineTable
{
    /// <summary>The 8-byte load and store routines, and the two ways out.</summary>
    public nint Load, Store, Exit, Miss;
    /// <summary>On to the body placed at the next pc, without returning.</summary>
    public nint Chain;
    /// <summary>
    /// The load and store routines for 1, 2 and 4 bytes: each serves an access that ends by the page's
    /// end, so a byte near it is served too (a Linux copy's tail bytes left native code at every page's end).
    /// </summary>
    public nint Load1, Load2, Load4, Store1, Store2, Store4;

    /// <summary>This table with every entry moved by <paramref name="start"/>, where the code was placed.</summary>
    public readonly NativeRoutineTable At(nint start) => new()
    {
        Load = start + Load,
        Store = start + Store,
        Exit = start + Exit,
        Miss = start + Miss,
        Chain = start + Chain,
        Load1 = start + Load1,
        Load2 = start + Load2,
        Load4 = start + Load4,
        Store1 = start + Store1,
        Store2 = start + Store2,
        Store4 = start + Store4,
    };
}
