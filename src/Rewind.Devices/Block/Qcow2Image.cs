using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Rewind.Devices.Block;

/// <summary>
/// A qcow2 image (QEMU's docs/interop/qcow2.txt), versions 2 and 3. Recorded, replayed and -snapshot
/// runs open it read only and the guest's writes go to the <see cref="BlockDisk"/> overlay; a live run
/// without -snapshot writes to it (Qcow2Image.Writing.cs). Guest cluster N is found through the L1 table (one entry per L2
/// table) and an L2 table (one entry per cluster); an unallocated cluster reads from the backing file or
/// as zeros. Every table is read and checked when the image is opened, so a truncated or corrupt image
/// is refused with one line before the guest runs, never halfway through a recording. Compressed
/// clusters, encryption, external data files, extended L2 entries and unknown incompatible features are
/// refused; refcounts are not needed to read and are looked at only when the image is opened for writing.
/// </summary>
public sealed partial class Qcow2Image : IBlockImage
{
    // "QFI" and 0xfb (a u8 string literal would encode \xfb as two UTF-8 bytes).
    public static ReadOnlySpan<byte> Magic => [0x51, 0x46, 0x49, 0xfb];
    private const int MaxBackingDepth = 16;
    private const int MinClusterBits = 9, MaxClusterBits = 21; // 512 B to 2 MiB, QEMU's limits
    private const ulong OffsetMask = 0x00ff_ffff_ffff_fe00; // bits 9-55
    private const ulong L1Reserved = 0x7f00_0000_0000_01ff; // bits 0-8 and 56-62
    private const ulong L2Copied = 1UL << 63, L2Compressed = 1UL << 62, L2ZeroFlag = 1;
    private const ulong L2Reserved = 0x3f00_0000_0000_01fe; // bits 1-8 and 56-61
    private const uint ExtensionEnd = 0, ExtensionBackingFormat = 0xe2792aca, ExtensionFeatureNames = 0x6803f857;
    private const uint ExtensionDataFile = 0x44415441;

    /// <summary>Incompatible feature bits: 0 dirty, 1 corrupt, 2 external data file, 3 compression type, 4 extended L2.</summary>
    private const ulong FeatureDirty = 1, FeatureCorrupt = 2, FeatureExternalData = 4, FeatureCompressionType = 8;
    private const ulong KnownIncompatible = FeatureDirty | FeatureCorrupt | FeatureExternalData | FeatureCompressionType | 16;

    private readonly SafeFileHandle _file;
    private long _fileLength;
    private readonly int _clusterBits;
    private readonly int _l2Bits;
    private readonly ulong[] _l1; // raw L1 entries (L2 table offset and the COPIED bit)
    private readonly long _l1Offset;
    private readonly ulong[]?[] _l2; // per L1 entry: its L2 table (raw entries), or null when unallocated
    private readonly IBlockImage? _backing;
    private readonly Qcow2Refcounts? _refcounts; // only when open for writing

    private Qcow2Image(SafeFileHandle file, long fileLength, int clusterBits, long size, ulong[] l1, long l1Offset, ulong[]?[] l2,
        IBlockImage? backing, int version, Qcow2Refcounts? refcounts)
    {
        _file = file;
        _fileLength = fileLength;
        _clusterBits = clusterBits;
        _l2Bits = clusterBits - 3;
        Length = size;
        _l1 = l1;
        _l1Offset = l1Offset;
        _l2 = l2;
        _backing = backing;
        Version = version;
        _refcounts = refcounts;
    }

    public long Length { get; }
    public bool ReadOnly => _refcounts == null;
    /// <summary>2 or 3.</summary>
    public int Version { get; }
    public int ClusterSize => 1 << _clusterBits;
    /// <summary>The backing image unallocated clusters read from, or null.</summary>
    public IBlockImage? Backing => _backing;

    /// <summary>True when the file starts with the qcow2 magic (how QEMU probes a format).</summary>
    public static bool HasMagic(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual(Magic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The virtual disk size in the header (-1 when the file is not a readable qcow2 header), without checking the tables.</summary>
    public static long VirtualSize(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            Span<byte> header = stackalloc byte[32];
            if (f.ReadAtLeast(header, 32, throwOnEndOfStream: false) < 32 || !header[..4].SequenceEqual(Magic)) return -1;
            ulong size = BinaryPrimitives.ReadUInt64BigEndian(header[24..]);
            return size > long.MaxValue ? -1 : (long)size;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Opens and checks <paramref name="path"/>; every problem is a <see cref="BlockImageException"/> of one
    /// line. <paramref name="writable"/> only for write-through runs; a backing file is never written.
    /// </summary>
    public static Qcow2Image Open(string path, bool writable = false) => Open(path, 0, writable);

    private static Qcow2Image Open(string path, int depth, bool writable = false)
    {
        if (Directory.Exists(path)) throw new BlockImageException($"'{path}': is a directory, not a disk image");
        if (!File.Exists(path)) throw new BlockImageException($"'{path}': no such file");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BlockImageException($"'{path}': {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}");
        }
        try
        {
            return Parse(path, handle, depth, writable);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static Qcow2Image Parse(string path, SafeFileHandle file, int depth, bool writable)
    {
        long fileLength = RandomAccess.GetLength(file);
        Exception Bad(string why) => new BlockImageException($"'{path}': not a usable qcow2 image: {why}");

        var header = new byte[Math.Min(fileLength, 64 * 1024)];
        ReadExactly(path, file, header, 0);
        if (header.Length < 72 || !header.AsSpan(0, 4).SequenceEqual(Magic)) throw Bad("no qcow2 header (the file is too short or lacks the magic)");
        uint version = BE32(header, 4);
        if (version is not (2 or 3)) throw Bad($"version {version} (versions 2 and 3 are supported)");
        ulong backingOffset = BE64(header, 8);
        uint backingSize = BE32(header, 16);
        uint clusterBits = BE32(header, 20);
        ulong size = BE64(header, 24);
        uint cryptMethod = BE32(header, 32);
        uint l1Size = BE32(header, 36);
        ulong l1Offset = BE64(header, 40);
        if (clusterBits is < MinClusterBits or > MaxClusterBits) throw Bad($"cluster_bits {clusterBits} (9 to 21 are valid)");
        if (cryptMethod != 0) throw Bad($"it is encrypted ({(cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : $"method {cryptMethod}")}); decrypt it first (qemu-img convert)");
        if (size > long.MaxValue / 2) throw Bad($"impossible virtual size {size}");

        int headerLength = 72;
        ulong incompatible = 0, autoclear = 0;
        int refcountOrder = 4;
        if (version == 3)
        {
            if (header.Length < 104) throw Bad("the version 3 header is truncated");
            incompatible = BE64(header, 72);
            autoclear = BE64(header, 88);
            uint order = BE32(header, 96);
            headerLength = (int)Math.Min(BE32(header, 100), int.MaxValue);
            if (headerLength < 104 || headerLength % 8 != 0 || headerLength > header.Length) throw Bad($"header_length {headerLength}");
            if (order > 6) throw Bad($"refcount_order {order} (at most 6)");
            refcountOrder = (int)order;
        }

        // Header extensions: a backing format, feature names for messages, an external data file.
        string? backingFormat = null;
        var featureNames = new Dictionary<int, string>();
        int at = headerLength;
        while (true)
        {
            if (at + 8 > header.Length) throw Bad("the header extensions run past the header cluster");
            uint type = BE32(header, at);
            uint length = BE32(header, at + 4);
            if (type == ExtensionEnd) break;
            if (length > header.Length - at - 8) throw Bad($"header extension 0x{type:x8} is longer than the header cluster");
            var data = header.AsSpan(at + 8, (int)length);
            if (type == ExtensionBackingFormat) backingFormat = Encoding.UTF8.GetString(data);
            else if (type == ExtensionDataFile) throw Bad("it stores its data in an external data file (not supported)");
            else if (type == ExtensionFeatureNames)
            {
                for (int i = 0; i + 48 <= data.Length; i += 48)
                    if (data[i] == 0) featureNames[data[i + 1]] = Encoding.ASCII.GetString(data.Slice(i + 2, 46)).TrimEnd('\0');
            }
            at += 8 + (int)((length + 7) & ~7u);
        }

        if ((incompatible & FeatureExternalData) != 0) throw Bad("it stores its data in an external data file (not supported)");
        if ((incompatible & 16) != 0) throw Bad("it uses extended L2 entries (subclusters; not supported)");
        if ((incompatible & FeatureCorrupt) != 0) throw Bad("it is marked corrupt (repair it with: qemu-img check -r all)");
        ulong unknown = incompatible & ~KnownIncompatible;
        if (unknown != 0)
        {
            int bit = System.Numerics.BitOperations.TrailingZeroCount(unknown);
            string name = featureNames.TryGetValue(bit, out var n) && n.Length > 0 ? $" '{n}'" : "";
            throw Bad($"unknown incompatible feature bit {bit}{name}");
        }
        // The dirty bit (bit 0) says refcounts may be stale; a reader does not use them.

        int clusterSize = 1 << (int)clusterBits;
        int l2Bits = (int)clusterBits - 3;
        ulong clusters = (size + (ulong)clusterSize - 1) >> (int)clusterBits;
        ulong l1Needed = (clusters + (1UL << l2Bits) - 1) >> l2Bits;
        if (l1Size < l1Needed) throw Bad($"the L1 table has {l1Size} entries where a {size}-byte disk needs {l1Needed}");
        if (l1Needed > 32 * 1024 * 1024 / 8) throw Bad($"the L1 table would need {l1Needed} entries (more than QEMU's 32 MiB limit)");
        if (l1Needed > 0 && (l1Offset % (ulong)clusterSize != 0 || l1Offset > (ulong)fileLength || l1Needed * 8 > (ulong)fileLength - l1Offset))
            throw Bad($"the L1 table at byte {l1Offset} is misaligned or lies outside the {fileLength}-byte file (truncated?)");

        var l1 = new byte[l1Needed * 8];
        ReadExactly(path, file, l1, (long)l1Offset);
        var l2 = new ulong[]?[l1Needed];
        var l2Bytes = new byte[clusterSize];
        bool v3 = version == 3;
        for (ulong i = 0; i < l1Needed; i++)
        {
            ulong entry = BE64(l1, (int)(i * 8));
            if ((entry & L1Reserved) != 0) throw Bad($"L1 entry {i} has reserved bits set (0x{entry:x16})");
            ulong l2Offset = entry & OffsetMask;
            if (l2Offset == 0) continue;
            if (l2Offset % (ulong)clusterSize != 0 || l2Offset > (ulong)fileLength || (ulong)clusterSize > (ulong)fileLength - l2Offset)
                throw Bad($"L1 entry {i} points to an L2 table at byte {l2Offset}, misaligned or past the end of the {fileLength}-byte file (truncated?)");
            ReadExactly(path, file, l2Bytes, (long)l2Offset);
            var table = new ulong[1 << l2Bits];
            for (int j = 0; j < table.Length; j++)
            {
                ulong e = BE64(l2Bytes, j * 8);
                ulong guestCluster = (i << l2Bits) + (ulong)j;
                if ((e & L2Compressed) != 0)
                {
                    if (guestCluster >= clusters) continue;
                    throw Bad($"guest cluster {guestCluster} is compressed (not supported; rewrite it uncompressed with: qemu-img convert -O qcow2 {path} new.qcow2)");
                }
                if ((e & L2Reserved) != 0) throw Bad($"the L2 entry of guest cluster {guestCluster} has reserved bits set (0x{e:x16})");
                if ((e & L2ZeroFlag) != 0 && !v3) throw Bad($"the L2 entry of guest cluster {guestCluster} has the zero flag, which version 2 lacks");
                ulong host = e & OffsetMask;
                if (host != 0 && (host % (ulong)clusterSize != 0 || host >= (ulong)fileLength))
                    throw Bad($"guest cluster {guestCluster} maps to byte {host}, misaligned or past the end of the {fileLength}-byte file (truncated?)");
                if (host == 0 && (e & L2Copied) != 0 && (e & L2ZeroFlag) == 0)
                    throw Bad($"guest cluster {guestCluster} maps to host offset 0 (only valid with an external data file)");
                table[j] = e;
            }
            l2[i] = table;
        }

        IBlockImage? backing = null;
        if (backingOffset != 0)
        {
            if (backingSize == 0 || backingSize > 1023 || backingOffset > (ulong)fileLength || backingSize > (ulong)fileLength - backingOffset)
                throw Bad($"the backing file name (at byte {backingOffset}, {backingSize} bytes) is malformed or outside the file");
            var nameBytes = new byte[backingSize];
            ReadExactly(path, file, nameBytes, (long)backingOffset);
            string name = Encoding.UTF8.GetString(nameBytes);
            backing = OpenBacking(path, name, backingFormat, depth);
        }
        var l1Entries = new ulong[l1Needed];
        for (ulong i = 0; i < l1Needed; i++) l1Entries[i] = BE64(l1, (int)(i * 8));
        Qcow2Refcounts? refcounts = null;
        if (writable)
        {
            if ((incompatible & FeatureDirty) != 0)
                throw new BlockImageException($"'{path}': cannot write to this qcow2 image: it is marked dirty, its refcounts may be stale (repair it with: qemu-img check -r all {path}, or add -snapshot)");
            refcounts = Qcow2Refcounts.Load(path, file, (int)clusterBits, refcountOrder, BE64(header, 48), BE32(header, 56), fileLength);
            // The spec lets a writer that does not keep auto-clear features (dirty bitmaps) up to date
            // write only after it has cleared them.
            if (autoclear != 0) RandomAccess.Write(file, new byte[8], 88);
        }
        return new Qcow2Image(file, fileLength, (int)clusterBits, (long)size, l1Entries, (long)l1Offset, l2, backing, (int)version, refcounts);
    }

    /// <summary>Opens a backing file, relative to the image's directory as QEMU resolves it; raw or qcow2 (probed when the header names no format).</summary>
    private static IBlockImage OpenBacking(string path, string name, string? format, int depth)
    {
        if (name.Contains(':', StringComparison.Ordinal) && !File.Exists(name))
            throw new BlockImageException($"'{path}': backing file '{name}' is not a local file (protocols are not supported)");
        string full = Path.IsPathRooted(name) ? name : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", name);
        if (depth + 1 >= MaxBackingDepth) throw new BlockImageException($"'{path}': backing chain deeper than {MaxBackingDepth} images (a loop?)");
        if (!File.Exists(full)) throw new BlockImageException($"'{path}': its backing file '{name}' does not exist");
        format ??= HasMagic(full) ? "qcow2" : "raw";
        return format switch
        {
            "qcow2" => Open(full, depth + 1),
            "raw" => RawFileImage.Open(full, writable: false),
            _ => throw new BlockImageException($"'{path}': backing file '{name}' has format '{format}' (raw and qcow2 are supported)"),
        };
    }

    public void Read(long offset, Span<byte> destination)
    {
        int clusterSize = ClusterSize;
        while (destination.Length > 0)
        {
            if (offset >= Length)
            {
                destination.Clear();
                return;
            }
            long cluster = offset >> _clusterBits;
            int at = (int)(offset & (clusterSize - 1));
            int n = (int)Math.Min(Math.Min(clusterSize - at, destination.Length), Length - offset);
            var part = destination[..n];
            ulong entry = _l2[cluster >> _l2Bits] is ulong[] table ? table[cluster & ((1L << _l2Bits) - 1)] : 0;
            ulong host = entry & OffsetMask;
            if ((entry & L2ZeroFlag) != 0) part.Clear();
            else if (host != 0) ReadFile((long)host + at, part);
            else if (_backing != null) _backing.Read(offset, part);
            else part.Clear();
            offset += n;
            destination = destination[n..];
        }
    }

    /// <summary>Reads file bytes; a data cluster cut short by the end of the file reads as zeros past it.</summary>
    private void ReadFile(long position, Span<byte> destination)
    {
        int got = 0;
        while (got < destination.Length)
        {
            int n = position + got >= _fileLength ? 0 : RandomAccess.Read(_file, destination[got..], position + got);
            if (n <= 0)
            {
                destination[got..].Clear();
                return;
            }
            got += n;
        }
    }

    public void Dispose()
    {
        try
        {
            if (_refcounts != null) RandomAccess.FlushToDisk(_file);
        }
        catch (IOException)
        {
            // Closing anyway: the guest's own flushes were the durability points it asked for.
        }
        _file.Dispose();
        _backing?.Dispose();
    }

    private static void ReadExactly(string path, SafeFileHandle file, Span<byte> destination, long offset)
    {
        int got = 0;
        while (got < destination.Length)
        {
            int n = RandomAccess.Read(file, destination[got..], offset + got);
            if (n <= 0) throw new BlockImageException($"'{path}': not a usable qcow2 image: it ends at byte {offset + got}, inside its own tables (truncated?)");
            got += n;
        }
    }

    private static uint BE32(byte[] b, int at) => BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
    private static ulong BE64(byte[] b, int at) => BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(at));
}
