using Rewind.Core.Memory;
using Rewind.Riscv.Decode;
using Rewind.Riscv.Jit;

namespace Rewind.Riscv;

/// <summary>
/// A RISC-V machine's code cache: decoded instructions per physical page, one slot per 2-byte parcel,
/// created once by the board and shared by all of its harts (see <see cref="PageCodeCache{TSlot}"/> for
/// how writes invalidate it). A decoded slot is a pure function of the bytes at its physical address,
/// except for debugger breakpoints, which are marked in the slots (<see cref="Op.Breakpoint"/>) so that
/// a run without any pays nothing: a marked slot means "a hart of this machine may stop here", and the
/// hart that reaches it checks its own breakpoints before stopping.
/// </summary>
public sealed class CodeCache(PhysicalMemory ram) : PageCodeCache<DecodedInsn>(ram, slotShift: 1, maxInstructionBytes: 4)
{
    /// <summary>The compiled blocks hung on these slots, or null while the block compiler is off.</summary>
    public BlockCache? Blocks { get; private set; }

    /// <summary>
    /// Turns the block compiler on for every hart of the machine: a jump target the interpreter reaches
    /// <paramref name="threshold"/> times is compiled. Compiled and interpreted runs are the same, step for step.
    /// With <paramref name="background"/>, blocks are compiled on another thread while the harts interpret.
    /// </summary>
    /// With <paramref name="native"/>, hot regions are first translated to machine code (where the host allows).
    public void EnableCompiler(int threshold = JitSettings.DefaultThreshold, bool background = false, bool native = false) =>
        Blocks ??= new BlockCache(Ram, threshold, background, native);

    // Virtual addresses with a breakpoint on at least one hart, and on how many.
    private readonly Dictionary<ulong, int> _breakpoints = [];

    /// <summary>True when some hart has a breakpoint at virtual address <paramref name="pc"/>: decodes mark its slot.</summary>
    public bool IsBreakpoint(ulong pc) => _breakpoints.Count > 0 && _breakpoints.ContainsKey(pc);

    /// <summary>A hart added a breakpoint at <paramref name="pc"/>.</summary>
    public void AddBreakpoint(ulong pc)
    {
        int n = _breakpoints.GetValueOrDefault(pc);
        _breakpoints[pc] = n + 1;
        // Slots decoded before may be reached at pc: forget them so the next decode marks the one that is.
        if (n == 0) Clear();
    }

    /// <summary>A hart removed its breakpoint at <paramref name="pc"/>.</summary>
    public void RemoveBreakpoint(ulong pc)
    {
        if (!_breakpoints.TryGetValue(pc, out int n)) return;
        if (n > 1)
        {
            _breakpoints[pc] = n - 1;
            return;
        }
        _breakpoints.Remove(pc);
        Clear();
    }
}
