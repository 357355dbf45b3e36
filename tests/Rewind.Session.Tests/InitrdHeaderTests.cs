using Rewind.Board;

namespace Rewind.Session.Tests;

/// <summary>A recording names its -initrd like the other images, so a replay with another RAM disk is refused.</summary>
public sealed class InitrdHeaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-initrd-header-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private BoardOptions Board(string? initrd) => new() { Bios = "none", Kernel = File("kernel", "k"), Initrd = initrd };

    [Fact]
    public void Header_holds_the_initrd_and_its_hash()
    {
        string disk = File("disk.cpio", "one");
        var header = RecordReplay.HeaderFor("virt", Board(disk));
        Assert.Equal(disk, header.Config["initrd"]);
        Assert.Contains(header.Images, i => i.Role == "initrd" && i.FileName == disk);
    }

    [Fact]
    public void Header_without_initrd_has_no_initrd_key_as_before_the_option_existed()
    {
        var header = RecordReplay.HeaderFor("virt", Board(null));
        Assert.False(header.Config.ContainsKey("initrd"));
        Assert.DoesNotContain(header.Images, i => i.Role == "initrd");
    }

    [Fact]
    public void Another_initrd_content_differs_from_the_recording()
    {
        string disk = File("disk.cpio", "one");
        var recorded = RecordReplay.HeaderFor("virt", Board(disk));
        File("disk.cpio", "two");
        var given = RecordReplay.HeaderFor("virt", Board(disk));
        Assert.Contains(recorded.Differences(given), d => d.StartsWith("initrd differs: recorded disk.cpio", StringComparison.Ordinal));
        Assert.Contains(recorded.Differences(RecordReplay.HeaderFor("virt", Board(null))), d => d.StartsWith("initrd differs", StringComparison.Ordinal));
    }
}
