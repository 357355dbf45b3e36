namespace Rewind.Arm64;

/// <summary>Taking exceptions to EL1 through VBAR_EL1, and returning from them (ERET).</summary>
public sealed partial class Arm64Cpu
{
    internal enum Vector { Sync = 0, Irq = 0x80, Fiq = 0x100, SError = 0x180 }

    private const uint DaifD = 8, DaifA = 4, DaifI = 2, DaifF = 1;

    /// <summary>PSTATE as SPSR holds it: NZCV, DAIF, and M[3:0] (EL and SP selection).</summary>
    public uint Pstate => _nzcv | _daif << 6 | (uint)El << 2 | (SpSel ? 1u : 0);

    private void SetPstate(uint spsr)
    {
        _nzcv = spsr & 0xf000_0000;
        _daif = (spsr >> 6) & 0xf;
        uint m = spsr & 0xf;
        // Only EL0t, EL1t and EL1h exist here; any other target is an illegal return, taken as EL1h.
        if (m is 0 or 4 or 5)
        {
            El = (int)(m >> 2);
            SpSel = (m & 1) != 0;
        }
        else
        {
            El = 1;
            SpSel = true;
        }
        RecheckInterrupts();
    }

    /// <summary>The synchronous exception a fault stands for, with the faulting instruction's address.</summary>
    private void TakeSynchronous(ArmFault fault, ulong pc)
    {
        uint esr = fault.Esr;
        uint ec = esr >> 26;
        // Aborts from EL0 have their own classes.
        if (El == 0 && ec is ExceptionClass.DataAbort or ExceptionClass.InstructionAbort)
            esr = (esr & 0x03ff_ffff) | (ec - 1) << 26;
        if (fault.Far is ulong far) _far = far;
        // SVC, HVC and SMC return to the next instruction; everything else retries the faulting one.
        ulong ret = ec is ExceptionClass.Svc or ExceptionClass.Hvc or ExceptionClass.Smc ? pc + 4 : pc;
        TakeException(Vector.Sync, ret, esr);
    }

    internal void TakeException(Vector kind, ulong returnAddress, uint? esr)
    {
        _exceptionsTaken++;
        _spsr = Pstate;
        _elr = returnAddress;
        if (esr is uint e) _esr = e;
        ulong offset = El == 0 ? 0x400UL : SpSel ? 0x200UL : 0;
        El = 1;
        SpSel = true;
        _daif = 0xf;
        _exclusiveValid = false;
        Pc = _vbar + offset + (ulong)kind;
        _waiting = false;
    }

    private void ExceptionReturn()
    {
        if (El == 0) throw Undefined();
        ulong target = _elr;
        SetPstate((uint)_spsr);
        _exclusiveValid = false;
        Pc = target;
    }

    internal static ArmFault Undefined() => ArmFault.Exception(ExceptionClass.Unknown, 0);
}
