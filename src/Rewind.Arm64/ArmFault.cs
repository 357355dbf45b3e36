namespace Rewind.Arm64;

internal enum FaultKind
{
    /// <summary>An architectural synchronous exception to EL1 (its syndrome is in the fault).</summary>
    Exception,
    /// <summary>A watched access: the instruction is abandoned with no effect and the run stops before it.</summary>
    WatchStop,
    /// <summary>The instruction cannot complete yet (a semihosting read with no input): run it again later.</summary>
    Retry,
}

/// <summary>
/// Ends the instruction being executed. Thrown only inside <see cref="Arm64Cpu"/>'s execute loop and
/// always caught there: it becomes the guest's exception, never a host error.
/// </summary>
internal sealed class ArmFault : Exception
{
    private ArmFault(FaultKind kind, uint esr, ulong? far)
    {
        Kind = kind;
        Esr = esr;
        Far = far;
    }

    public FaultKind Kind { get; }
    public uint Esr { get; }
    public ulong? Far { get; }

    public static readonly ArmFault WatchStop = new(FaultKind.WatchStop, 0, null);
    public static readonly ArmFault Retry = new(FaultKind.Retry, 0, null);

    public static ArmFault Exception(uint ec, uint iss, ulong? far = null) => new(FaultKind.Exception, ec << 26 | 1u << 25 | (iss & 0x1ff_ffff), far);
}

/// <summary>Exception classes (ESR_ELx.EC) this CPU raises.</summary>
internal static class ExceptionClass
{
    public const uint Unknown = 0x00, Wfx = 0x01, FpAccess = 0x07, IllegalState = 0x0e;
    public const uint Svc = 0x15, Hvc = 0x16, Smc = 0x17, SysReg = 0x18;
    public const uint InstructionAbortLower = 0x20, InstructionAbort = 0x21, PcAlignment = 0x22;
    public const uint DataAbortLower = 0x24, DataAbort = 0x25, SpAlignment = 0x26, Brk = 0x3c;
}
