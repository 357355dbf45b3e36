using System.IO.Compression;
using Rewind.Core.Execution;
using Rewind.Core.Memory;
using Rewind.Core.State;
using Rewind.Replay.Recording;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// A whole machine (harts, devices, every non-zero RAM page) as one compressed blob, for the named
/// snapshot that `rrsnapshot=NAME` keeps inside the recording: no disk image is needed, unlike QEMU.
/// Layout before compression: magic, RAM size, state length and bytes, page count, then (index, bytes)
/// for each non-zero page. The state bytes are <see cref="StateSections"/> (magic <c>RWI2</c>); images
/// of recording format 1 (magic <c>RWIM</c>) hold the parts back to back in the board's order of then
/// (<see cref="StateLayout.FormatV1"/>) and still load.
/// </summary>
public static class MachineImage
{
    private const uint MagicV1 = 0x4d49_5752; // "RWIM": state by position
    private const uint Magic = 0x3249_5752; // "RWI2": state as named sections
    private const int MaxInflation = 1032;
    private const int Chunk = 1 << 20;

    public static byte[] Save(Machine machine)
    {
        var ram = machine.Bus.Ram;
        StateSections.CheckNames(machine.StatefulParts);
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(z))
        {
            w.Write(Magic);
            w.Write(ram.Size);
            using (var state = new MemoryStream())
            {
                using (var sw = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
                    StateSections.Write(sw, machine.StatefulParts);
                w.Write((int)state.Length);
                w.Write(state.GetBuffer(), 0, (int)state.Length);
            }
            var used = Enumerable.Range(0, ram.PageCount).Where(p => ram.Page(p).IndexOfAnyExcept((byte)0) >= 0).ToList();
            w.Write(used.Count);
            foreach (int p in used)
            {
                w.Write(p);
                w.Write(ram.Page(p));
            }
        }
        return output.ToArray();
    }

    /// <summary>
    /// Replaces the machine's state with the image's; a damaged or foreign image throws
    /// <see cref="InvalidDataException"/>. Sections the machine has no part for are skipped, and parts
    /// the image does not hold keep their state (listed in the report).
    /// </summary>
    public static StateLoadReport Load(Machine machine, ReadOnlyMemory<byte> image)
    {
        var ram = machine.Bus.Ram;
        try
        {
            using var z = new ZLibStream(new MemoryStream(image.ToArray()), CompressionMode.Decompress);
            using var r = new BinaryReader(z);
            uint magic = r.ReadUInt32();
            if (magic != Magic && magic != MagicV1) throw new InvalidDataException("not a machine image");
            ulong size = r.ReadUInt64();
            if (size != ram.Size) throw new InvalidDataException($"it is for {size} bytes of RAM, this machine has {ram.Size}");
            int stateLength = r.ReadInt32();
            // Deflate expands at most about 1032:1, so a longer claim can only be damage.
            long bound = (long)image.Length * MaxInflation + 64;
            if (stateLength < 0 || stateLength > bound)
                throw new InvalidDataException($"impossible state length {stateLength} (the image is {image.Length} bytes)");
            byte[] state = ReadGrowing(z, stateLength);
            if (magic == Magic)
            {
                // Unknown sections are skipped, but harts are the configuration, not an added device.
                int harts = StateSections.ReadDirectory(state).Count(sec => IsHart(sec.Name));
                if (harts != machine.Cpus.Length)
                    throw new InvalidDataException($"it is for {harts} hart{(harts == 1 ? "" : "s")}, this machine has {machine.Cpus.Length}");
            }
            int count = r.ReadInt32();
            if (count < 0 || count > ram.PageCount) throw new InvalidDataException("bad page count");
            for (int p = 0; p < ram.PageCount; p++)
            {
                ram.Page(p).Clear();
                ram.NoteWriteRange((ulong)p << PhysicalMemory.PageShift, PhysicalMemory.PageSize);
            }
            for (int i = 0; i < count; i++)
            {
                int p = r.ReadInt32();
                if (p < 0 || p >= ram.PageCount) throw new InvalidDataException("bad page index");
                r.BaseStream.ReadExactly(ram.Page(p));
            }
            return magic == Magic ? StateSections.Load(state, machine.StatefulParts) : LoadFormatV1(machine, state);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the image is truncated");
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes, growing the buffer only as data arrives.</summary>
    private static byte[] ReadGrowing(Stream stream, int length)
    {
        var buf = new byte[Math.Min(length, Chunk)];
        int got = 0;
        while (got < length)
        {
            if (got == buf.Length)
                Array.Resize(ref buf, (int)Math.Min((long)buf.Length * 2, length));
            int n = stream.Read(buf, got, buf.Length - got);
            if (n == 0) throw new EndOfStreamException();
            got += n;
        }
        return buf;
    }

    /// <summary>A CPU's section: "hartN" (RISC-V) or "cpuN" (Arm).</summary>
    private static bool IsHart(string name) =>
        (name.Length > 4 && name.StartsWith("hart", StringComparison.Ordinal) && name.AsSpan(4).IndexOfAnyExceptInRange('0', '9') < 0)
        || (name.Length > 3 && name.StartsWith("cpu", StringComparison.Ordinal) && name.AsSpan(3).IndexOfAnyExceptInRange('0', '9') < 0);

    /// <summary>Format 1's state: the parts of <see cref="StateLayout.FormatV1"/> back to back, each at version 1.</summary>
    private static StateLoadReport LoadFormatV1(Machine machine, byte[] state)
    {
        var layout = StateLayout.FormatV1(machine);
        var parts = layout.Resolve(machine);
        using var sr = new BinaryReader(new MemoryStream(state));
        foreach (var (_, version, part) in parts) part.LoadState(sr, version);
        if (sr.BaseStream.Position != state.Length) throw new InvalidDataException("device state has extra bytes");
        var named = parts.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = machine.StatefulParts.Select(p => p.Name).Where(n => !named.Contains(n)).ToList();
        return new StateLoadReport(null, missing);
    }
}
