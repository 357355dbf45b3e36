using Rewind.Devices.Block;

namespace Rewind.Devices.Tests;

/// <summary>
/// Writing qcow2 images in place (a live run without -snapshot), judged by the real qemu-img: after
/// Rewind's writes `qemu-img check` finds no errors and no leaks, and `qemu-img convert -O raw` gives
/// exactly the bytes a plain byte-array model of the disk holds.
/// </summary>
public sealed class Qcow2WriteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-qcow2w-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static string Run(string tool, params string[] args) => HostTool.Run(tool, args);

    private string Made(string name, string options, string size = "4M", string? backing = null)
    {
        string image = P(name);
        if (backing == null) Run("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, image, size);
        else Run("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, "-b", backing, "-F", "raw", image, size);
        // Allocated data, a zero cluster over old data, data at the very end.
        Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", "-c", "write -P 0x77 2M 128k", "-c", "write -z 2162688 8k",
            "-c", "write -P 0xc1 4186112 8k", image);
        return image;
    }

    private byte[] AsRaw(string image, params string[] extra)
    {
        string raw = P(Path.GetFileName(image) + "." + Guid.NewGuid().ToString("n") + ".raw");
        Run("qemu-img", ["convert", .. extra, "-O", "raw", image, raw]);
        return File.ReadAllBytes(raw);
    }

    private static void AssertCheckedClean(string image)
    {
        string check = Run("qemu-img", "check", image);
        Assert.Contains("No errors were found on the image.", check);
        Assert.DoesNotContain("leaked", check);
    }

    /// <summary>Random writes of random lengths (some straddling clusters and tables) into the image and a model.</summary>
    private static void WriteRandomly(Qcow2Image image, byte[] model, int seed, int count)
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            int length = rng.Next(4) == 0 ? rng.Next(60_000, 200_000) : rng.Next(1, 5000);
            int at = rng.Next(model.Length - length);
            var data = new byte[length];
            rng.NextBytes(data);
            image.Write(at, data);
            data.CopyTo(model, at);
        }
    }

    [Theory]
    [InlineData("compat=1.1")]                                    // version 3, 64 KiB clusters, 16-bit refcounts
    [InlineData("compat=0.10,cluster_size=512")]                  // version 2: many L2 tables and refcount blocks made
    [InlineData("compat=1.1,cluster_size=4096,refcount_bits=1")]  // packed sub-byte refcounts
    [InlineData("compat=1.1,cluster_size=4096,refcount_bits=64")]
    public void RandomWrites_ReadBackAsAModel_AndQemuImgChecksTheImageClean(string options)
    {
        string image = Made("w.qcow2", options);
        byte[] model = AsRaw(image);
        using (var q = Qcow2Image.Open(image, writable: true))
        {
            Assert.False(q.ReadOnly);
            WriteRandomly(q, model, seed: options.Length, count: 120);
            var back = new byte[model.Length];
            q.Read(0, back);
            Assert.Equal(model, back);
            q.Flush();
        }
        AssertCheckedClean(image);
        Assert.Equal(model, AsRaw(image));
    }

    [Fact]
    public void AnInternalSnapshot_KeepsItsData_WhileWritesCopyTheSharedClusters()
    {
        string image = Made("snap.qcow2", "compat=1.1,cluster_size=4096");
        byte[] before = AsRaw(image);
        Run("qemu-img", "snapshot", "-c", "before", image);
        byte[] model = (byte[])before.Clone();
        using (var q = Qcow2Image.Open(image, writable: true))
            WriteRandomly(q, model, seed: 5, count: 60);
        AssertCheckedClean(image);
        Assert.Equal(model, AsRaw(image));
        Assert.Equal(before, AsRaw(image, "-l", "snapshot.name=before"));
    }

    [Fact]
    public void WritesOverABackingFile_GoToTheOverlay_AndTheBackingFileStaysAsItWas()
    {
        string baseImage = P("base.raw");
        var baseBytes = new byte[4 << 20];
        new Random(3).NextBytes(baseBytes);
        File.WriteAllBytes(baseImage, baseBytes);
        string image = Made("over.qcow2", "compat=1.1", backing: baseImage);
        byte[] model = AsRaw(image);
        using (var q = Qcow2Image.Open(image, writable: true))
            WriteRandomly(q, model, seed: 9, count: 60);
        AssertCheckedClean(image);
        Assert.Equal(model, AsRaw(image));
        Assert.Equal(baseBytes, File.ReadAllBytes(baseImage));
    }

    [Fact]
    public void ADirtyImage_IsNotWritten_ButStillReads()
    {
        string image = Made("dirty.qcow2", "compat=1.1,lazy_refcounts=on");
        var bytes = File.ReadAllBytes(image);
        bytes[79] |= 0x01; // incompatible feature bit 0: dirty, refcounts may be stale
        File.WriteAllBytes(image, bytes);
        var e = Assert.Throws<BlockImageException>(() => Qcow2Image.Open(image, writable: true));
        Assert.Contains("marked dirty", e.Message);
        Assert.Contains("qemu-img check -r all", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        using var q = Qcow2Image.Open(image);
        Assert.True(q.ReadOnly);
    }

    [Fact]
    public void AWritePastTheEndOfTheDisk_IsAnIoErrorNotAGrowth()
    {
        string image = Made("end.qcow2", "compat=1.1");
        long length = new FileInfo(image).Length;
        using var q = Qcow2Image.Open(image, writable: true);
        Assert.Throws<IOException>(() => q.Write(q.Length - 2, new byte[4]));
        Assert.Equal(length, new FileInfo(image).Length);
    }
}
