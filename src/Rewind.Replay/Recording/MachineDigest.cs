using System.Security.Cryptography;
using Rewind.Core.Execution;
using Rewind.Core.State;

namespace Rewind.Replay.Recording;

/// <summary>
/// A fingerprint of the machine's registers and device state, logged periodically while recording and
/// compared while replaying, so a divergence is caught near where it happens. RAM is left out to keep it
/// cheap; a memory divergence shows up in registers soon after.
/// </summary>
/// <remarks>
/// The pc (8 bytes, for a readable message) followed by a SHA-256 over the sections of a
/// <see cref="StateLayout"/>, each saved at the layout's version: in format 2, each framed as in
/// <see cref="StateSections"/> (name, version, length, bytes; no count); in format 1, the bytes back to
/// back. A part added after the recording is not in its layout, so it does not change the digest.
/// </remarks>
public static class MachineDigest
{
    /// <summary>The digest over every part the machine has now (what a new recording logs).</summary>
    public static byte[] Compute(Machine machine) => Compute(machine, StateLayout.Of(machine));

    /// <summary>The digest over <paramref name="layout"/>'s sections; a section the machine cannot supply throws <see cref="InvalidDataException"/>.</summary>
    public static byte[] Compute(Machine machine, StateLayout layout)
    {
        var parts = layout.Resolve(machine);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            foreach (var (name, version, part) in parts)
            {
                if (layout.Legacy) part.SaveState(w, version);
                else StateSections.WriteSection(w, name, version, part);
            }
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
