using System.Security.Cryptography;
using Rewind.Core.Execution;

namespace Rewind.Replay.Recording;

/// <summary>
/// A fingerprint of the machine's registers and device state, logged periodically while recording and
/// compared while replaying, so a divergence is caught near where it happens. RAM is left out to keep it
/// cheap; a memory divergence shows up in registers soon after.
/// </summary>
public static class MachineDigest
{
    /// <summary>The pc (8 bytes, for a readable message) followed by a SHA-256 of every stateful part.</summary>
    public static byte[] Compute(Machine machine)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            foreach (var (_, state) in machine.StatefulParts) state.SaveState(w);
        }
        var result = new byte[40];
        BitConverter.TryWriteBytes(result.AsSpan(0, 8), machine.Cpus[0].Pc);
        SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length), result.AsSpan(8));
        return result;
    }

    /// <summary>Names what differs between a recorded and a replayed digest.</summary>
    public static string Describe(ReadOnlySpan<byte> recorded, ReadOnlySpan<byte> replayed)
    {
        if (recorded.Length < 8 || replayed.Length < 8) return "state digest differs";
        ulong pcRec = BitConverter.ToUInt64(recorded[..8]);
        ulong pcNow = BitConverter.ToUInt64(replayed[..8]);
        return pcRec != pcNow
            ? $"pc is 0x{pcNow:x}, recorded 0x{pcRec:x}"
            : $"pc 0x{pcNow:x} agrees but registers or device state differ";
    }
}
