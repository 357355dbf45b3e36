using Rewind.Arm64;
using Rewind.Core.Execution;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// PSCI 1.1 as QEMU's virt answers it on HVC (target/arm/psci.c): version, features, CPU_ON with an
/// entry point and context id, CPU_OFF, AFFINITY_INFO, CPU_SUSPEND, MIGRATE_INFO_TYPE, SYSTEM_OFF and
/// SYSTEM_RESET. CPUs are named by MPIDR affinity (QEMU's clusters of 16:
/// Aff1 = index / 16, Aff0 = index % 16). Secondaries start powered off;
/// the power states are this part's snapshot state.
/// </summary>
public sealed class ArmPsci : IStateful
{
    public const uint Version = 0x8400_0000, CpuSuspend = 0x8400_0001, CpuOff = 0x8400_0002, CpuOn = 0x8400_0003;
    public const uint AffinityInfo = 0x8400_0004, Migrate = 0x8400_0005, MigrateInfoType = 0x8400_0006;
    public const uint SystemOff = 0x8400_0008, SystemReset = 0x8400_0009, Features = 0x8400_000a;
    /// <summary>Bit 30 of a function id: the SMC64/HVC64 calling convention (64-bit arguments).</summary>
    public const uint Call64 = 0x4000_0000;
    public const long Success = 0, NotSupported = -1, InvalidParameters = -2, Denied = -3, AlreadyOn = -4;
    /// <summary>AFFINITY_INFO's answers.</summary>
    public const long On = 0, Off = 1;

    private readonly Arm64Cpu[] _cpus;
    private readonly Action<PowerRequest> _request;

    /// <param name="request">Where SYSTEM_OFF and SYSTEM_RESET go (the board's power control).</param>
    public ArmPsci(Arm64Cpu[] cpus, Action<PowerRequest> request)
    {
        _cpus = cpus;
        _request = request;
    }

    /// <summary>The CPU whose MPIDR affinity fields are <paramref name="mpidr"/> (bit 31 and the rest ignored), or null.</summary>
    private Arm64Cpu? ByAffinity(ulong mpidr)
    {
        // Affinity fields Aff3 (39:32) and Aff2:Aff0 (23:0); the U and MT bits are not part of the name.
        ulong aff = mpidr & 0xff_00ff_ffffUL;
        foreach (var c in _cpus)
            if (c.Affinity == aff) return c;
        return null;
    }

    /// <summary>Answers the call in x0 (arguments in x1-x3), result in x0. Always handled: unknown functions are NOT_SUPPORTED.</summary>
    public bool Call(Arm64Cpu cpu)
    {
        uint function = (uint)cpu.GetX(0);
        ulong a1 = cpu.GetX(1), a2 = cpu.GetX(2), a3 = cpu.GetX(3);
        long result;
        switch (function)
        {
            case Version: result = 0x0001_0001; break; // 1.1
            case SystemOff:
                _request(new PowerRequest(PowerAction.PowerOff, 0));
                result = 0;
                break;
            case SystemReset:
                _request(new PowerRequest(PowerAction.Reset, 0));
                result = 0;
                break;
            case MigrateInfoType: result = 2; break; // no trusted OS that needs migrating
            case AffinityInfo or AffinityInfo | Call64:
                // Levels above 0 (clusters and up) are always on, as QEMU answers.
                if (a2 != 0) result = On;
                else result = ByAffinity(a1) is { } target ? target.PoweredOff ? Off : On : InvalidParameters;
                break;
            case CpuOn or CpuOn | Call64:
                {
                    var target = ByAffinity(a1);
                    if (target == null) result = InvalidParameters;
                    else if (!target.PoweredOff) result = AlreadyOn;
                    else
                    {
                        // A 32-bit call's entry point and context id are 32-bit values.
                        if ((function & Call64) == 0)
                        {
                            a2 = (uint)a2;
                            a3 = (uint)a3;
                        }
                        target.PowerOn(a2, a3);
                        result = Success;
                    }
                    break;
                }
            case CpuOff:
                // Does not return: the caller stops after this instruction, until a CPU_ON.
                cpu.PowerOff();
                return true;
            case CpuSuspend or CpuSuspend | Call64:
                // No power-down state is offered: as QEMU, every request is a standby, a WFI that returns SUCCESS.
                if ((a1 & 0xfffe_0000) != 0)
                {
                    result = InvalidParameters;
                    break;
                }
                cpu.SetX(0, Success);
                cpu.WaitForInterrupt();
                return true;
            case Features:
                result = (uint)a1 is Version or MigrateInfoType or AffinityInfo or (AffinityInfo | Call64) or SystemReset or SystemOff
                    or CpuOn or (CpuOn | Call64) or CpuOff or CpuSuspend or (CpuSuspend | Call64) or Features ? Success : NotSupported;
                break;
            default: result = NotSupported; break;
        }
        cpu.SetX(0, (ulong)result);
        return true;
    }

    /// <summary>The machine's reset: the boot CPU (index 0) on, every secondary off.</summary>
    public void ResetSecondaries()
    {
        for (int i = 1; i < _cpus.Length; i++)
        {
            _cpus[i].Reset(0);
            _cpus[i].PowerOff();
        }
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_cpus.Length);
        foreach (var c in _cpus) writer.Write(c.PoweredOff);
    }

    public void LoadState(BinaryReader reader)
    {
        int n = reader.ReadInt32();
        if (n != _cpus.Length) throw new InvalidDataException($"PSCI state is for {n} CPUs; this machine has {_cpus.Length}");
        foreach (var c in _cpus) c.RestorePowerState(reader.ReadBoolean());
    }
}
