using Rewind.Board.Arm;
using Rewind.Replay.Recording;

namespace Rewind.TestSupport;

/// <summary>Comparing two Arm machines run to the same count, one interpreted and one compiling.</summary>
public static class ArmLockstep
{
    /// <summary>The first difference between the two machines (pcs, registers, stack pointers, state digest), or null.</summary>
    public static string? Difference(ArmVirtBoard interpreted, ArmVirtBoard compiled)
    {
        for (int c = 0; c < interpreted.Cpus.Length; c++)
        {
            var i = interpreted.Cpus[c];
            var j = compiled.Cpus[c];
            if (i.Pc != j.Pc) return $"cpu {c} pc {i.Pc:x} interpreted, {j.Pc:x} compiled";
            for (int r = 0; r < 31; r++)
            {
                if (i.GetX(r) != j.GetX(r)) return $"cpu {c} x{r} {i.GetX(r):x} interpreted, {j.GetX(r):x} compiled";
            }
            if (i.Sp != j.Sp) return $"cpu {c} sp {i.Sp:x} interpreted, {j.Sp:x} compiled";
        }
        return MachineDigest.Compute(interpreted.Machine).AsSpan().SequenceEqual(MachineDigest.Compute(compiled.Machine))
            ? null : "the state digests differ (registers and pcs agree)";
    }
}
