using System.Buffers.Binary;
using Rewind.Devices.Block;

namespace Rewind.Devices.Tests;

/// <summary>
/// The qcow2 reader against images made by the real qemu-img and written by qemu-io: every byte read
/// must equal what `qemu-img convert -O raw` gives, and what the reader refuses it refuses in one line.
/// </summary>
public sealed class Qcow2ImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-qcow2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static string Run(string tool, params string[] args) => HostTool.Run(tool, args);

    /// <summary>Writes with qemu-io: each command like "write -P 0x5a 0 64k".</summary>
    private static void QemuIo(string image, string format, params string[] commands)
    {
        var args = new List<string> { "-f", format };
        foreach (var c in commands)
        {
            args.Add("-c");
            args.Add(c);
        }
        args.Add(image);
        Run("qemu-io", [.. args]);
    }

    private byte[] AsRaw(string image)
    {
        string raw = P(Path.GetFileName(image) + ".raw");
        Run("qemu-img", "convert", "-O", "raw", image, raw);
        return File.ReadAllBytes(raw);
    }

    private static void AssertReadsLike(byte[] expected, Qcow2Image image)
    {
        Assert.Equal(expected.Length, image.Length);
        var all = new byte[expected.Length];
        image.Read(0, all);
        Assert.Equal(expected, all);
        // Odd offsets and lengths that straddle clusters read the same bytes.
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            int at = rng.Next(expected.Length), n = rng.Next(1, 70000);
            var part = new byte[n];
            image.Read(at, part);
            int inside = Math.Min(n, expected.Length - at);
            Assert.True(expected.AsSpan(at, inside).SequenceEqual(part.AsSpan(0, inside)), $"read of {n} bytes at {at}");
            Assert.All(part[inside..], b => Assert.Equal(0, b));
        }
    }

    private string MadeWithData(string name, string options, string size = "4M")
    {
        string image = P(name);
        Run("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, image, size);
        QemuIo(image, "qcow2", "write -P 0x5a 0 64k", "write -P 0x33 1049088 3k", "write -P 0x77 2M 128k",
            "write -z 2162688 8k", "write -P 0xc1 4186112 8k");
        return image;
    }

    [Fact]
    public void Version3_ReadsAsQemuImgConvertsIt()
    {
        string image = MadeWithData("v3.qcow2", "compat=1.1");
        using var q = Qcow2Image.Open(image);
        Assert.Equal(3, q.Version);
        AssertReadsLike(AsRaw(image), q);
    }

    [Fact]
    public void Version2_WithSmallClusters_ReadsAsQemuImgConvertsIt()
    {
        string image = MadeWithData("v2.qcow2", "compat=0.10,cluster_size=4096");
        using var q = Qcow2Image.Open(image);
        Assert.Equal(2, q.Version);
        Assert.Equal(4096, q.ClusterSize);
        AssertReadsLike(AsRaw(image), q);
    }

    [Fact]
    public void ZeroClusters_OverOldData_ReadAsZeros()
    {
        string image = MadeWithData("zero.qcow2", "compat=1.1,cluster_size=65536");
        QemuIo(image, "qcow2", "write -z 0 64k");
        using var q = Qcow2Image.Open(image);
        var first = new byte[65536];
        q.Read(0, first);
        Assert.All(first, b => Assert.Equal(0, b));
        AssertReadsLike(AsRaw(image), q);
    }

    [Fact]
    public void BackingFile_UnallocatedClustersReadFromIt()
    {
        string baseImage = P("base.raw");
        File.WriteAllBytes(baseImage, Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 7 + (i >> 12))).ToArray());
        string top = P("top.qcow2");
        Run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", top, "4M");
        QemuIo(top, "qcow2", "write -P 0x11 65536 4k", "write -z 131072 64k");
        using var q = Qcow2Image.Open(top);
        Assert.IsType<RawFileImage>(q.Backing);
        AssertReadsLike(AsRaw(top), q);
    }

    [Fact]
    public void QcowBackingChain_OfTwoImages_Reads()
    {
        string bottom = MadeWithData("bottom.qcow2", "compat=1.1");
        string top = P("chain.qcow2");
        Run("qemu-img", "create", "-q", "-f", "qcow2", "-b", bottom, "-F", "qcow2", top, "4M");
        QemuIo(top, "qcow2", "write -P 0xee 1M 4k");
        using var q = Qcow2Image.Open(top);
        AssertReadsLike(AsRaw(top), q);
    }

    [Fact]
    public void HasMagic_TellsQcow2FromRaw()
    {
        string image = MadeWithData("probe.qcow2", "compat=1.1");
        string raw = P("probe.raw");
        File.WriteAllBytes(raw, new byte[4096]);
        Assert.True(Qcow2Image.HasMagic(image));
        Assert.False(Qcow2Image.HasMagic(raw));
        Assert.Equal(4L << 20, Qcow2Image.VirtualSize(image));
    }

    private static string Refusal(string image) => Assert.Throws<BlockImageException>(() => Qcow2Image.Open(image)).Message;

    [Fact]
    public void CompressedClusters_AreRefused()
    {
        string plain = MadeWithData("plain.qcow2", "compat=1.1");
        string packed = P("packed.qcow2");
        Run("qemu-img", "convert", "-c", "-O", "qcow2", plain, packed);
        string message = Refusal(packed);
        Assert.Contains("is compressed (not supported", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Encryption_IsRefused()
    {
        string image = P("luks.qcow2");
        HostTool.RunRetrying("Unable to get accurate CPU usage", 5, "qemu-img", "create", "-q", "--object", "secret,id=sec0,data=password",
            "-f", "qcow2", "-o", "encrypt.format=luks,encrypt.key-secret=sec0", image, "1M");
        Assert.Contains("it is encrypted (LUKS)", Refusal(image));
    }

    [Fact]
    public void ExternalDataFile_IsRefused()
    {
        string image = P("ext.qcow2");
        Run("qemu-img", "create", "-q", "-f", "qcow2", "-o", $"data_file={P("ext.data")}", image, "1M");
        Assert.Contains("external data file", Refusal(image));
    }

    [Fact]
    public void ExtendedL2Entries_AreRefused()
    {
        string image = P("sub.qcow2");
        Run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on", image, "1M");
        Assert.Contains("extended L2 entries", Refusal(image));
    }

    [Fact]
    public void UnknownIncompatibleFeature_IsRefusedByBit()
    {
        string image = MadeWithData("feature.qcow2", "compat=1.1");
        var bytes = File.ReadAllBytes(image);
        bytes[72 + 7 - 5] |= 0x01; // bit 40 of incompatible_features (big-endian u64 at 72)
        File.WriteAllBytes(image, bytes);
        Assert.Contains("unknown incompatible feature bit 40", Refusal(image));
    }

    [Fact]
    public void CorruptBit_IsRefusedWithTheRepairCommand()
    {
        string image = MadeWithData("corrupt.qcow2", "compat=1.1");
        var bytes = File.ReadAllBytes(image);
        bytes[79] |= 0x02;
        File.WriteAllBytes(image, bytes);
        Assert.Contains("qemu-img check -r all", Refusal(image));
    }

    [Fact]
    public void TruncatedImage_IsRefusedBeforeAnyRead()
    {
        string image = MadeWithData("cut.qcow2", "compat=1.1");
        long l1 = (long)BinaryPrimitives.ReadUInt64BigEndian(File.ReadAllBytes(image).AsSpan(40));
        using (var f = File.OpenWrite(image)) f.SetLength(l1 + 8);
        string message = Refusal(image);
        Assert.Contains("truncated?", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void L1EntryPastTheEndOfTheFile_IsRefused()
    {
        string image = MadeWithData("l1.qcow2", "compat=1.1");
        var bytes = File.ReadAllBytes(image);
        int l1 = (int)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(40));
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(l1), 1UL << 40);
        File.WriteAllBytes(image, bytes);
        Assert.Contains("L1 entry 0 points to an L2 table at byte 1099511627776", Refusal(image));
    }

    [Fact]
    public void ShortOrForeignFile_IsRefused()
    {
        string image = P("short.qcow2");
        File.WriteAllBytes(image, Qcow2Image.Magic.ToArray());
        Assert.Contains("no qcow2 header", Refusal(image));
        File.WriteAllBytes(image, [.. Qcow2Image.Magic, 0, 0, 0, 9, .. new byte[100]]);
        Assert.Contains("version 9", Refusal(image));
    }

    [Fact]
    public void GuestWrites_GoToTheOverlay_AndTheImageStaysAsItWas()
    {
        string image = MadeWithData("cow.qcow2", "compat=1.1");
        byte[] before = File.ReadAllBytes(image);
        using var q = Qcow2Image.Open(image);
        var disk = new BlockDisk(q, readOnly: false, writeThrough: false);
        disk.Write(1000, [1, 2, 3]);
        var back = new byte[3];
        disk.Read(1000, back);
        Assert.Equal([1, 2, 3], back);
        Assert.Equal(before, File.ReadAllBytes(image));
    }
}
