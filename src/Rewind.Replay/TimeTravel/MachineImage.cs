using System.IO.Compression;
using Rewind.Core.Execution;
using Rewind.Core.Memory;

namespace Rewind.Replay.TimeTravel;

/// <summary>
/// A whole machine (harts, devices, every non-zero RAM page) as one compressed blob, for the named
/// snapshot that `rrsnapshot=NAME` keeps inside the recording: no disk image is needed, unlike QEMU.
/// Layout before compression: magic, RAM size, state length and bytes, page count, then (index, bytes)
/// for each non-zero page.
/// </summary>
public static class MachineImage
{
    private const uint Magic = 0x4d49_5752; // "RWIM"

    public static byte[] Save(Machine machine)
    {
        var ram = machine.Bus.Ram;
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(z))
        {
            w.Write(Magic);
            w.Write(ram.Size);
            using (var state = new MemoryStream())
            {
                using (var sw = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
                    foreach (var (_, part) in machine.StatefulParts) part.SaveState(sw);
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

    /// <summary>Replaces the machine's state with the image's; a damaged or foreign image throws <see cref="InvalidDataException"/>.</summary>
    public static void Load(Machine machine, ReadOnlyMemory<byte> image)
    {
        var ram = machine.Bus.Ram;
        try
        {
            using var z = new ZLibStream(new MemoryStream(image.ToArray()), CompressionMode.Decompress);
            using var r = new BinaryReader(z);
            if (r.ReadUInt32() != Magic) throw new InvalidDataException("not a machine image");
            ulong size = r.ReadUInt64();
            if (size != ram.Size) throw new InvalidDataException($"it is for {size} bytes of RAM, this machine has {ram.Size}");
            byte[] state = r.ReadBytes(r.ReadInt32());
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
            using var sr = new BinaryReader(new MemoryStream(state));
            foreach (var (_, part) in machine.StatefulParts) part.LoadState(sr);
            if (sr.BaseStream.Position != state.Length) throw new InvalidDataException("device state has extra bytes");
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the image is truncated");
        }
    }
}
