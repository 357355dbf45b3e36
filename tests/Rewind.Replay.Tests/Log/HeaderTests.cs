using System.Security.Cryptography;
using Rewind.Replay.Log;

namespace Rewind.Replay.Tests.Log;

public class HeaderTests
{
    [Fact]
    public void Identical_headers_have_no_differences()
    {
        Assert.Empty(LogTestData.Header().Differences(LogTestData.Header()));
    }

    [Fact]
    public void A_different_kernel_names_both_files_and_short_hashes()
    {
        var recorded = LogTestData.Header();
        var given = LogTestData.Header() with
        {
            Images = [recorded.Images[0], new ImageHash("kernel", "/tmp/other.elf", LogTestData.Hash(7))],
        };
        given.Config["kernel"] = "/tmp/other.elf";

        string line = Assert.Single(recorded.Differences(given));
        string r = Convert.ToHexStringLower(LogTestData.Hash(2))[..8];
        string g = Convert.ToHexStringLower(LogTestData.Hash(7))[..8];
        Assert.Equal($"kernel differs: recorded hello.elf (sha256 {r}…), given other.elf (sha256 {g}…)", line);
    }

    [Fact]
    public void The_same_image_under_another_path_is_not_a_difference()
    {
        var recorded = LogTestData.Header();
        var given = LogTestData.Header() with
        {
            Images = [recorded.Images[0], new ImageHash("kernel", "/home/me/build/hello.elf", LogTestData.Hash(2))],
        };
        given.Config["kernel"] = "/home/me/build/hello.elf";
        Assert.Empty(recorded.Differences(given));
    }

    [Fact]
    public void Ram_size_differences_are_given_in_mebibytes()
    {
        var given = LogTestData.Header();
        given.Config["ram"] = "268435456";
        Assert.Equal(["ram differs: recorded 128 MiB, given 256 MiB"], LogTestData.Header().Differences(given));
    }

    [Fact]
    public void Missing_settings_and_images_are_reported_on_either_side()
    {
        var recorded = LogTestData.Header();
        var given = LogTestData.Header() with
        {
            Images = [.. recorded.Images, new ImageHash("initrd", "rootfs.cpio", LogTestData.Hash(5))],
        };
        given.Config.Remove("append");
        given.Config["smp"] = "2";
        given.Config["icount_shift"] = "3";

        var lines = recorded.Differences(given).ToList();
        Assert.Equal(
        [
            "smp differs: recorded 1, given 2",
            "append differs: recorded console=ttyS0, given (not set)",
            $"initrd differs: recorded none, given rootfs.cpio (sha256 {Convert.ToHexStringLower(LogTestData.Hash(5))[..8]}…)",
        ], lines);
    }

    [Fact]
    public void ImageHash_Of_hashes_the_file_contents()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, "kernel bytes"u8.ToArray());
            var image = ImageHash.Of("kernel", path);
            Assert.Equal("kernel", image.Role);
            Assert.Equal(path, image.FileName);
            Assert.Equal(SHA256.HashData("kernel bytes"u8), image.Sha256);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Writer_refuses_an_image_hash_that_is_not_32_bytes()
    {
        var header = new RecordingHeader([], [new ImageHash("kernel", "k", [1, 2, 3])]);
        Assert.Throws<ArgumentException>(() => new ReplayLogWriter(new MemoryStream(), header));
    }

    [Fact]
    public void Unicode_configuration_values_round_trip()
    {
        var header = new RecordingHeader([new("append", "console=ttyS0 greeting=héllo→世界")]);
        var ms = new MemoryStream();
        using (new ReplayLogWriter(ms, header, leaveOpen: true)) { }
        using var reader = new ReplayLogReader(new MemoryStream(ms.ToArray()));
        Assert.Equal("console=ttyS0 greeting=héllo→世界", reader.Header.Config["append"]);
    }
}
