using System.Runtime.CompilerServices;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// The instructions compiled code hands back to the interpreter's own code one at a time: CSR
/// accesses, atomics (LR/SC and AMOs) and floating point (see <see cref="Jit.BlockCompiler.RunsThroughInterpreter"/>).
/// Each runs exactly as the interpreter would run it, with the pc and count made exact first, so a
/// block no longer has to end before them. What they may change beyond their destination register
/// decides whether the block goes on: a trap leaves at once, and anything the interpreter would look
/// at before its next instruction (an interrupt that may now be taken, a new translation, a device that
/// ended the slice, overwritten code) ends the run after the instruction.
/// </summary>
public sealed partial class Hart
{
    /// <summary>
    /// Runs one such instruction for compiled code at <paramref name="pc"/>, count <paramref name="ic"/>.
    /// The caller wrote the registers it reads back to the register file and reloads its destination
    /// afterwards; <see cref="JitExit"/> says whether the run stops.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void JitSystem(int op, int rd, int rs1, int rs2, int aux, int imm, int length, ulong pc, ulong ic)
    {
        Pc = pc;
        Icount = ic;
        var d = new DecodedInsn
        {
            Op = (Op)op,
            Rd = (byte)rd,
            Rs1 = (byte)rs1,
            Rs2 = (byte)rs2,
            Aux = (ushort)aux,
            Imm = imm,
            Length = (byte)length,
        };
        Counters.CompiledRareOps[op]++;
        ulong sliceEnd = _sliceEnd, fetchVpn = _fetchVpn, status = _mstatus;
        ulong next = pc + (ulong)length;
        if (ExecuteSystem(ref d, next) != next)
        {
            // These instructions change the pc only by trapping: the pc is the handler's now.
            JitExit = JitTrapped;
            return;
        }
        // Set already if the instruction stored over compiled code.
        if (JitExit != 0) return;
        if (_sliceEnd == sliceEnd && _fetchVpn == fetchVpn) return;
        if (QuietStatusWrite(ref d, status))
        {
            // Nothing the interpreter would do before the next instruction can differ: go on.
            _fetchVpn = fetchVpn;
            _sliceEnd = sliceEnd;
            // A yield asked for meanwhile (another thread's Ctrl-C) must still end the slice.
            if (_yieldRequested) _sliceEnd = 0;
            return;
        }
        JitExit = JitStopAfter;
    }

    /// <summary>
    /// True for a write to mstatus or sstatus that changed nothing but interrupt-enable, previous-enable
    /// and FP-state bits, and made no pending interrupt deliverable: the most common CSR writes in a
    /// kernel (interrupts masked and restored around critical sections). Such a write makes the interpreter look for
    /// interrupts and translate its fetch page again, but none can be taken that could not before,
    /// and the translation is the same.
    /// </summary>
    private bool QuietStatusWrite(ref DecodedInsn d, ulong before)
    {
        if (d.Op is < Op.Csrrw or > Op.Csrrci || d.Aux is not (Csr.Sstatus or Csr.Mstatus) || _yieldRequested) return false;
        const ulong quiet = Riscv.Mstatus.Sie | Riscv.Mstatus.Mie | Riscv.Mstatus.Spie | Riscv.Mstatus.Mpie | Riscv.Mstatus.Fs | Riscv.Mstatus.Sd;
        ulong after = _mstatus;
        ulong enabled = after & ~before & (Riscv.Mstatus.Sie | Riscv.Mstatus.Mie);
        // Enabling is quiet too while no interrupt is both pending and enabled in mie: none can be taken.
        return ((before ^ after) & ~quiet) == 0 && (enabled == 0 || (EffectiveMip & _mie) == 0);
    }
}
