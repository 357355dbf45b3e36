using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rewind.Replay.Log;

/// <summary>A file the machine was started with, identified by content.</summary>
/// <param name="Role">What the file is for: bios, kernel, initrd, dtb, drive0, ...</param>
/// <param name="FileName">The name as given on the command line (informational; not compared).</param>
/// <param name="Sha256">32 bytes.</param>
public sealed record ImageHash(string Role, string FileName, byte[] Sha256)
{
    /// <summary>Hashes the file at <paramref name="path"/>.</summary>
    public static ImageHash Of(string role, string path)
    {
        using var stream = File.OpenRead(path);
        return new ImageHash(role, path, SHA256.HashData(stream));
    }

    public string Sha256Hex => Convert.ToHexStringLower(Sha256);

    /// <summary>The first 8 hex digits and an ellipsis, for messages.</summary>
    public string ShortHash => Sha256Hex[..Math.Min(8, Sha256Hex.Length)] + "…";

    public bool SameContent(ImageHash other) => Sha256.AsSpan().SequenceEqual(other.Sha256);

    public bool Equals(ImageHash? other) =>
        other is not null && Role == other.Role && FileName == other.FileName && SameContent(other);

    public override int GetHashCode() => HashCode.Combine(Role, FileName, Sha256.Length > 0 ? Sha256[0] : 0);

    public override string ToString() => $"{Role} {FileName} (sha256 {Sha256Hex})";
}

/// <summary>
/// What a recording was made with: the machine configuration as ordered key/value strings (machine,
/// ram, smp, icount_shift, bios, kernel, append, ...) and the content hashes of the loaded images. A
/// replay compares its own header with the recorded one (<see cref="Differences"/>) before starting.
/// </summary>
public sealed record RecordingHeader
{
    /// <summary>The format version this build writes (it also reads every version from <see cref="OldestReadableVersion"/>).</summary>
    /// <remarks>
    /// 2: state is saved as named, versioned sections, and a StateLayout record says which ones the digests cover.
    /// 3: each record's CRC chains the previous record's, so records cannot be removed, duplicated or reordered unnoticed.
    /// 4: Output records hold the guest's console output with the instruction counts at which it was written.
    /// 5: disk devices log a fingerprint of what they read from their images (channel DiskRead), checked by replays;
    ///    the header record's CRC also covers the magic, version and flags, so a damaged version is caught.
    /// </remarks>
    public const ushort CurrentVersion = 5;

    /// <summary>The first format version whose recordings hold disk read checks (older ones replay without them).</summary>
    public const ushort DiskReadVersion = 5;

    /// <summary>
    /// The first format version whose header CRC covers the 12 bytes before the header record (magic,
    /// version, flags). Without that, a flipped bit could turn one readable version into another.
    /// </summary>
    public const ushort PreambleCrcVersion = 5;

    /// <summary>The first format version that may hold Output records.</summary>
    public const ushort OutputVersion = 4;

    /// <summary>The first format version whose record CRCs chain (see <see cref="CurrentVersion"/>).</summary>
    public const ushort ChainedCrcVersion = 3;

    /// <summary>The oldest format version this build reads: 1, where state was saved by position.</summary>
    public const ushort OldestReadableVersion = 1;

    /// <summary>The format version of the file (the writer always writes <see cref="CurrentVersion"/>).</summary>
    public ushort Version { get; init; } = CurrentVersion;

    /// <summary>Header flags; none are defined in version 1 and a reader refuses unknown ones.</summary>
    public ushort Flags { get; init; }

    public OrderedDictionary<string, string> Config { get; init; } = new(StringComparer.Ordinal);

    public IReadOnlyList<ImageHash> Images { get; init; } = [];

    public RecordingHeader() { }

    public RecordingHeader(IEnumerable<KeyValuePair<string, string>> config, IEnumerable<ImageHash>? images = null)
    {
        Config = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in config)
            Config[k] = v;
        Images = images?.ToArray() ?? [];
    }

    /// <summary>
    /// Human-readable lines describing how <paramref name="other"/> (the machine given now) differs from
    /// this header (the recorded one). Empty when a replay can proceed. Images are compared by content;
    /// a configuration key that names an image role (bios=..., kernel=...) is compared through the image
    /// hash, so the same file under another path is not a difference.
    /// </summary>
    public IEnumerable<string> Differences(RecordingHeader other)
    {
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in Images)
            roles.Add(image.Role);
        foreach (var image in other.Images)
            roles.Add(image.Role);

        var keys = new List<string>(Config.Keys);
        foreach (var key in other.Config.Keys)
            if (!Config.ContainsKey(key))
                keys.Add(key);
        foreach (var key in keys)
        {
            if (roles.Contains(key))
                continue;
            Config.TryGetValue(key, out var recorded);
            other.Config.TryGetValue(key, out var given);
            if (recorded != given)
                yield return $"{key} differs: recorded {DescribeValue(key, recorded)}, given {DescribeValue(key, given)}";
        }

        // Pair images by role, in order of appearance within a role.
        var orderedRoles = new List<string>();
        foreach (var image in Images.Concat(other.Images))
            if (!orderedRoles.Contains(image.Role))
                orderedRoles.Add(image.Role);
        foreach (var role in orderedRoles)
        {
            var mine = Images.Where(i => i.Role == role).ToList();
            var theirs = other.Images.Where(i => i.Role == role).ToList();
            for (int i = 0; i < Math.Max(mine.Count, theirs.Count); i++)
            {
                ImageHash? r = i < mine.Count ? mine[i] : null;
                ImageHash? g = i < theirs.Count ? theirs[i] : null;
                if (r is not null && g is not null && r.SameContent(g))
                    continue;
                yield return $"{role} differs: recorded {DescribeImage(r)}, given {DescribeImage(g)}";
            }
        }
    }

    private static string DescribeImage(ImageHash? image) =>
        image is null ? "none" : $"{Path.GetFileName(image.FileName)} (sha256 {image.ShortHash})";

    /// <summary>Formats a configuration value for people: ram in MiB/GiB, missing values as "(not set)".</summary>
    public static string DescribeValue(string key, string? value)
    {
        if (value is null)
            return "(not set)";
        if (value.Length == 0)
            return "(empty)";
        if (key == "ram" && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong bytes))
            return FormatBytes(bytes);
        return value;
    }

    internal static string FormatBytes(ulong bytes)
    {
        const ulong MiB = 1024 * 1024, GiB = 1024 * MiB;
        if (bytes != 0 && bytes % GiB == 0)
            return $"{bytes / GiB} GiB";
        if (bytes != 0 && bytes % MiB == 0)
            return $"{bytes / MiB} MiB";
        if (bytes != 0 && bytes % 1024 == 0)
            return $"{bytes / 1024} KiB";
        return $"{bytes} bytes";
    }

    public bool Equals(RecordingHeader? other) =>
        other is not null && Version == other.Version && Flags == other.Flags &&
        Config.SequenceEqual(other.Config) && Images.SequenceEqual(other.Images);

    public override int GetHashCode() => HashCode.Combine(Version, Flags, Config.Count, Images.Count);

    // ---- encoding of the header record's payload ----

    internal byte[] EncodePayload()
    {
        var buf = new List<byte>(256);
        var tmp = new byte[Varint.MaxLength64];
        void Var(ulong v)
        {
            int n = Varint.Write(tmp, v);
            for (int i = 0; i < n; i++)
                buf.Add(tmp[i]);
        }
        void Str(string s)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(s);
            Var((ulong)bytes.Length);
            buf.AddRange(bytes);
        }
        Var((ulong)Config.Count);
        foreach (var (k, v) in Config)
        {
            Str(k);
            Str(v);
        }
        Var((ulong)Images.Count);
        foreach (var image in Images)
        {
            if (image.Sha256.Length != 32)
                throw new ArgumentException($"image {image.Role} has a {image.Sha256.Length}-byte hash; SHA-256 is 32 bytes");
            Str(image.Role);
            Str(image.FileName);
            buf.AddRange(image.Sha256);
        }
        return buf.ToArray();
    }

    /// <summary>Decodes a header payload; returns null and a reason when it is malformed.</summary>
    internal static RecordingHeader? DecodePayload(ReadOnlySpan<byte> p, ushort version, ushort flags, out string? error)
    {
        var reader = new SpanReader(p);
        error = null;
        if (!reader.Var(out ulong count) || count > (ulong)p.Length)
            return Fail("bad configuration count", out error);
        var config = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        for (ulong i = 0; i < count; i++)
        {
            if (!reader.Str(out string? key) || !reader.Str(out string? value))
                return Fail("bad configuration entry", out error);
            if (!config.TryAdd(key!, value!))
                return Fail($"configuration key '{key}' appears twice", out error);
        }
        if (!reader.Var(out count) || count > (ulong)p.Length)
            return Fail("bad image count", out error);
        var images = new List<ImageHash>();
        for (ulong i = 0; i < count; i++)
        {
            if (!reader.Str(out string? role) || !reader.Str(out string? name) || !reader.Bytes(32, out byte[]? hash))
                return Fail("bad image entry", out error);
            images.Add(new ImageHash(role!, name!, hash!));
        }
        if (!reader.AtEnd)
            return Fail("unexpected bytes after the image list", out error);
        return new RecordingHeader { Version = version, Flags = flags, Config = config, Images = images };
    }

    private static RecordingHeader? Fail(string reason, out string? error)
    {
        error = reason;
        return null;
    }
}

/// <summary>Bounds-checked reads from a payload; every method returns false instead of throwing.</summary>
internal ref struct SpanReader(ReadOnlySpan<byte> span)
{
    private readonly ReadOnlySpan<byte> _span = span;
    private int _pos;

    public readonly int Position => _pos;
    public readonly bool AtEnd => _pos == _span.Length;
    public readonly ReadOnlySpan<byte> Rest => _span[_pos..];

    public bool Var(out ulong value)
    {
        int n = Varint.TryRead(_span[_pos..], out value);
        if (n <= 0)
            return false;
        _pos += n;
        return true;
    }

    public bool U8(out byte value)
    {
        value = 0;
        if (_pos >= _span.Length)
            return false;
        value = _span[_pos++];
        return true;
    }

    public bool Span(int length, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (length < 0 || length > _span.Length - _pos)
            return false;
        value = _span.Slice(_pos, length);
        _pos += length;
        return true;
    }

    public bool Bytes(int length, out byte[]? value)
    {
        value = null;
        if (!Span(length, out var s))
            return false;
        value = s.ToArray();
        return true;
    }

    public bool Str(out string? value)
    {
        value = null;
        if (!Var(out ulong len) || len > (ulong)(_span.Length - _pos))
            return false;
        if (!Span((int)len, out var s))
            return false;
        try
        {
            value = Utf8Strict.GetString(s);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        return true;
    }

    public static readonly UTF8Encoding Utf8Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
