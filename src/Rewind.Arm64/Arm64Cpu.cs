using Rewind.Core.Bus;
using Rewind.Core.Cpu;
using Rewind.Core.Memory;
using Rewind.Core.Time;

namespace Rewind.Arm64;

/// <summary>The Arm core a -cpu name selects: what MIDR_EL1 reports.</summary>
public enum ArmCpuModel { CortexA53, CortexA57, CortexA72, Max }

/// <summary>
/// What the CPU asks of its board: semihosting calls (HLT #0xF000) and PSCI calls (HVC/SMC), which QEMU
/// answers outside the guest. Returns false if the board does not handle the call (then it is undefined).
/// </summary>
public interface IArmFirmware
{
    /// <summary>HLT #0xF000 is a semihosting call (QEMU's -semihosting-config enable=on); else it is undefined.</summary>
    bool SemihostingEnabled { get; }

    /// <summary>A semihosting call; false keeps the CPU on the instruction, waiting (SYS_READC with no input).</summary>
    bool Semihosting(Arm64Cpu cpu);

    /// <summary>A PSCI call through HVC or SMC; false if PSCI is not offered (the instruction is then undefined).</summary>
    bool Psci(Arm64Cpu cpu);
}

/// <summary>
/// One AArch64 processing element at EL1 and EL0 (no EL2/EL3, as QEMU's virt without virtualization
/// or secure): A64 integer, load/store, branch and system instructions, basic FP/SIMD moves, loads and
/// stores, exceptions through VBAR_EL1, the generic timer driven by the instruction count, and stage 1
/// translation with 4, 16 and 64 KiB granules. Every guest-visible field is saved by <see cref="SaveState"/>.
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    private readonly SystemBus _bus;
    private readonly PhysicalMemory _ram;
    private readonly byte* _ramPtr;
    private readonly ulong _ramBase;
    private readonly ulong _ramSize;
    private readonly VirtualClock _clock;

    /// <summary>
    /// x0..x30; x[31] is always zero (the zero register's reads) and x[32] is where the interpreter's writes
    /// to the zero register go. Pinned, so the interpreter indexes it through <see cref="_xp"/>.
    /// </summary>
    private readonly ulong[] _x = GC.AllocateArray<ulong>(33, pinned: true);
    private readonly ulong* _xp;
    /// <summary>v0..v31, two 64-bit halves each (low, high).</summary>
    private readonly ulong[] _v = new ulong[64];

    /// <param name="codeCache">The machine's code cache, shared by its CPUs; null makes one for this CPU.</param>
    public Arm64Cpu(int index, SystemBus bus, VirtualClock clock, ArmCpuModel model = ArmCpuModel.Max, Arm64CodeCache? codeCache = null)
    {
        Index = index;
        _bus = bus;
        _ram = bus.Ram;
        _ramPtr = _ram.Pointer;
        _ramBase = _ram.BaseAddress;
        _pageFlags = _ram.PageFlagsPointer;
        _ramSize = _ram.Size;
        _xp = (ulong*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _x[0]);
        _clock = clock;
        Model = model;
        _code = codeCache ?? new Arm64CodeCache(_ram);
        // A dropped page array may serve another page next: the fetch window is looked up again.
        _code.Dropped += ForgetFetchPage;
        // Pages whose stores native code makes without testing their flags stop being so before they change.
        _ram.FastWritesRevoked += RevokeFastWrites;
        SetUpDataTlb();
        SetUpNativeContext();
        Reset(0);
    }

    public int Index { get; }
    /// <summary>MPIDR_EL1's affinity fields: QEMU's virt numbering of the CPU with this index.</summary>
    public ulong Affinity => ArmAffinity.OfIndex(Index);
    public ArmCpuModel Model { get; }
    public ulong Pc;
    /// <summary>Steps this CPU has taken: executed instructions plus interrupt entries.</summary>
    public ulong Icount;

    /// <summary>Answers HLT #0xF000 and HVC/SMC PSCI calls; null means neither is offered.</summary>
    public IArmFirmware? Firmware { get; set; }

    /// <summary>Raised when the guest writes a generic-timer register (its deadline may have moved).</summary>
    public event Action? TimerChanged;

    public ulong GetX(int n) => n == 31 ? 0 : _x[n];
    public void SetX(int n, ulong value)
    {
        if (n != 31) _x[n] = value;
    }

    public ulong GetVLow(int n) => _v[2 * n];
    public ulong GetVHigh(int n) => _v[2 * n + 1];
    public void SetV(int n, ulong low, ulong high)
    {
        _v[2 * n] = low;
        _v[2 * n + 1] = high;
    }

    /// <summary>The stack pointer the current exception level and SPSel select.</summary>
    public ulong Sp
    {
        get => El != 0 && SpSel ? _spEl1 : _spEl0;
        set
        {
            if (El != 0 && SpSel) _spEl1 = value;
            else _spEl0 = value;
        }
    }

    /// <summary>Resets as QEMU does for a directly booted kernel: EL1h, all of DAIF masked, pc at the entry.</summary>
    public void Reset(ulong pc)
    {
        Array.Clear(_x);
        Array.Clear(_v);
        _spEl0 = _spEl1 = 0;
        Pc = pc;
        El = 1;
        SpSel = true;
        _nzcv = 0;
        _daif = 0xf;
        ResetSystemRegisters();
        _exclusiveValid = false;
        _waiting = false;
        _irqLine = _fiqLine = false;
        FlushTlb();
    }
}
