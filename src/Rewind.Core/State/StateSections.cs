using System.Buffers.Binary;
using System.Text;

namespace Rewind.Core.State;

/// <summary>Where one section sits in a saved state (see <see cref="StateSections"/>).</summary>
public readonly record struct StateSectionInfo(string Name, int Version, int Offset, int Length);

/// <summary>What a load did besides loading: sections it did not know, and parts the state did not hold.</summary>
public readonly struct StateLoadReport(IReadOnlyList<string>? skipped, IReadOnlyList<string>? missing)
{
    /// <summary>Sections with no part of that name in this machine, skipped unread.</summary>
    public IReadOnlyList<string> Skipped { get; } = skipped ?? [];

    /// <summary>Parts with no section in the state; they kept the state they had (a new machine's reset state).</summary>
    public IReadOnlyList<string> Missing { get; } = missing ?? [];
}

/// <summary>
/// The container for the state of a machine's parts, each saved under its stable name and its
/// version:
/// <code>
/// i32 count
/// count × { u8 name_length, name (ASCII), i32 version, i32 length, length bytes (the part's SaveState) }
/// </code>
/// All integers are little-endian. A reader skips sections whose name it does not know, loads each
/// known one through <see cref="IStateful.LoadState(BinaryReader, int)"/> (which maps an old version
/// forward) and leaves parts the state does not name as they are. Names are never reused for other
/// state and versions are never renumbered; see docs/recording-format.md.
/// </summary>
public static class StateSections
{
    public const int MaxNameLength = 64;

    /// <summary>A lower-case letter, then lower-case letters, digits, '_', '-' or '.'; at most 64.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name[0] is < 'a' or > 'z') return false;
        foreach (char c in name)
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.')) return false;
        return true;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> unless every name is valid and used once.</summary>
    public static void CheckNames(IReadOnlyList<(string Name, IStateful State)> parts)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in parts)
        {
            if (!IsValidName(name)) throw new InvalidOperationException($"'{name}' is not a valid state section name");
            if (!seen.Add(name)) throw new InvalidOperationException($"two stateful parts are named '{name}'");
        }
    }

    /// <summary>Writes every part at its current version. The writer's stream must be seekable (lengths are patched in).</summary>
    public static void Write(BinaryWriter writer, IReadOnlyList<(string Name, IStateful State)> parts)
    {
        writer.Write(parts.Count);
        for (int i = 0; i < parts.Count; i++)
        {
            var (name, part) = parts[i];
            WriteSection(writer, name, part.StateVersion, part);
        }
    }

    /// <summary>Writes one section: name, version, length and the part's bytes at <paramref name="version"/>.</summary>
    public static void WriteSection(BinaryWriter writer, string name, int version, IStateful part)
    {
        if (!IsValidName(name)) throw new InvalidOperationException($"'{name}' is not a valid state section name");
        var stream = writer.BaseStream;
        if (!stream.CanSeek) throw new ArgumentException("state sections need a seekable stream", nameof(writer));
        Span<byte> ascii = stackalloc byte[MaxNameLength];
        for (int i = 0; i < name.Length; i++) ascii[i] = (byte)name[i];
        writer.Write((byte)name.Length);
        writer.Write(ascii[..name.Length]);
        writer.Write(version);
        writer.Flush();
        long lengthAt = stream.Position;
        writer.Write(0);
        if (version == part.StateVersion) part.SaveState(writer);
        else part.SaveState(writer, version);
        writer.Flush();
        long end = stream.Position;
        long length = end - lengthAt - 4;
        if (length > int.MaxValue) throw new InvalidOperationException($"state section '{name}' is larger than 2 GiB");
        stream.Position = lengthAt;
        writer.Write((int)length);
        writer.Flush();
        stream.Position = end;
    }

    /// <summary>The sections of <paramref name="data"/>, in order; a malformed container throws <see cref="InvalidDataException"/>.</summary>
    public static IReadOnlyList<StateSectionInfo> ReadDirectory(ReadOnlySpan<byte> data)
    {
        var list = new List<StateSectionInfo>();
        int count = ReadCount(data);
        int pos = 4;
        for (int i = 0; i < count; i++)
        {
            var name = ReadSectionHeader(data, ref pos, out int version, out int length);
            list.Add(new StateSectionInfo(Encoding.ASCII.GetString(name), version, pos, length));
            pos += length;
        }
        if (pos != data.Length) throw new InvalidDataException($"{data.Length - pos} bytes follow the last state section");
        return list;
    }

    /// <summary>
    /// Loads the parts named in <paramref name="data"/> (a whole container). Unknown sections are
    /// skipped; parts without a section keep their state. Damage, a version newer than the part reads,
    /// or a loader that does not read exactly its section throws <see cref="InvalidDataException"/>.
    /// </summary>
    /// <param name="captures">The captures of a state written by a <see cref="CapturingStateWriter"/> (in-memory snapshots).</param>
    public static StateLoadReport Load(byte[] data, IReadOnlyList<(string Name, IStateful State)> parts, IReadOnlyList<object>? captures = null)
    {
        int count = ReadCount(data);
        Span<bool> loaded = parts.Count <= 1024 ? stackalloc bool[parts.Count] : new bool[parts.Count];
        List<string>? skipped = null;
        using var stream = new MemoryStream(data, writable: false);
        using var reader = captures == null ? new BinaryReader(stream) : new CapturingStateReader(stream, captures);
        int pos = 4;
        for (int i = 0; i < count; i++)
        {
            var name = ReadSectionHeader(data, ref pos, out int version, out int length);
            int at = Find(parts, name, i);
            if (at < 0)
            {
                (skipped ??= []).Add(Encoding.ASCII.GetString(name));
                pos += length;
                continue;
            }
            var (partName, part) = parts[at];
            if (loaded[at]) throw new InvalidDataException($"state section '{partName}' appears twice");
            loaded[at] = true;
            if (version > part.StateVersion)
                throw new InvalidDataException($"state section '{partName}' is version {version}; this build reads up to version {part.StateVersion}");
            stream.Position = pos;
            try
            {
                part.LoadState(reader, version);
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"state section '{partName}' (version {version}) is truncated");
            }
            if (stream.Position != pos + length)
                throw new InvalidDataException($"state section '{partName}' (version {version}) holds {length} bytes but its loader read {stream.Position - pos}");
            pos += length;
        }
        if (pos != data.Length) throw new InvalidDataException($"{data.Length - pos} bytes follow the last state section");
        List<string>? missing = null;
        for (int i = 0; i < parts.Count; i++)
            if (!loaded[i]) (missing ??= []).Add(parts[i].Name);
        return new StateLoadReport(skipped, missing);
    }

    private static int ReadCount(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4) throw new InvalidDataException("the state sections are truncated");
        int count = BinaryPrimitives.ReadInt32LittleEndian(data);
        // The smallest section (one-letter name, no bytes) takes 10 bytes.
        if (count < 0 || count > (data.Length - 4) / 10) throw new InvalidDataException($"impossible state section count {count}");
        return count;
    }

    private static ReadOnlySpan<byte> ReadSectionHeader(ReadOnlySpan<byte> data, ref int pos, out int version, out int length)
    {
        if (pos >= data.Length) throw new InvalidDataException("the state sections are truncated");
        int nameLength = data[pos];
        if (nameLength == 0 || nameLength > MaxNameLength || data.Length - pos < 1 + nameLength + 8)
            throw new InvalidDataException($"malformed state section at byte {pos}");
        var name = data.Slice(pos + 1, nameLength);
        foreach (byte b in name)
            if (b is < 0x21 or > 0x7e) throw new InvalidDataException($"malformed state section name at byte {pos}");
        pos += 1 + nameLength;
        version = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
        length = BinaryPrimitives.ReadInt32LittleEndian(data[(pos + 4)..]);
        pos += 8;
        if (version < 1) throw new InvalidDataException($"state section '{Encoding.ASCII.GetString(name)}' has version {version}");
        if (length < 0 || length > data.Length - pos)
            throw new InvalidDataException($"state section '{Encoding.ASCII.GetString(name)}' claims {length} bytes, {data.Length - pos} are left");
        return name;
    }

    /// <summary>The part named <paramref name="name"/>: first the one at the section's own position (the usual case), then any.</summary>
    private static int Find(IReadOnlyList<(string Name, IStateful State)> parts, ReadOnlySpan<byte> name, int guess)
    {
        if (guess < parts.Count && SameName(parts[guess].Name, name)) return guess;
        for (int i = 0; i < parts.Count; i++)
            if (i != guess && SameName(parts[i].Name, name)) return i;
        return -1;
    }

    private static bool SameName(string s, ReadOnlySpan<byte> ascii)
    {
        if (s.Length != ascii.Length) return false;
        for (int i = 0; i < s.Length; i++)
            if (s[i] != ascii[i]) return false;
        return true;
    }
}
