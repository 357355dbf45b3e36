using Rewind.Board.DeviceTree;

namespace Rewind.Board.Tests;

/// <summary>-initrd: the RAM disk where QEMU 7.2 puts it, and its range in /chosen.</summary>
public sealed class InitrdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-initrd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Pattern(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7 + 1))];

    /// <summary>/chosen of the tree in guest RAM (it is far smaller than the 64 KiB read).</summary>
    private static FdtNode Chosen(VirtBoard board) => FdtReader.Parse(Read(board, board.FdtAddress, 64 * 1024)).Find("/chosen")!;

    private static byte[] Read(VirtBoard board, ulong address, int size)
    {
        byte[] bytes = new byte[size];
        board.Bus.ReadBytes(address, bytes);
        return bytes;
    }

    [Theory]
    [InlineData(128UL << 20, 0x8000_0000UL + (64UL << 20))]   // below 256 MiB: half the RAM past the kernel
    [InlineData(512UL << 20, 0x8000_0000UL + (128UL << 20))]  // from 256 MiB: 128 MiB past the kernel
    public void Initrd_lies_past_the_kernel_entry_and_chosen_lists_its_range(ulong ram, ulong start)
    {
        byte[] disk = Pattern(5000);
        var board = VirtBoard.Create(new BoardOptions
        {
            RamSize = ram,
            Bios = "none",
            Kernel = File("kernel.bin", new byte[0x100]),
            Initrd = File("initrd.cpio.gz", disk),
        });
        Assert.Equal(disk, Read(board, start, disk.Length));
        var chosen = Chosen(board);
        Assert.Equal([(uint)start], chosen.GetCells("linux,initrd-start"));
        Assert.Equal([(uint)start + 5000u], chosen.GetCells("linux,initrd-end"));
        Assert.Contains(board.Files, f => f.Role == "initrd" && f.Contents.SequenceEqual(disk));
    }

    [Fact]
    public void Initrd_behind_firmware_counts_from_the_kernel_at_2_MiB()
    {
        // With firmware, the kernel goes to the next 2 MiB boundary after it (0x80200000 here).
        var board = VirtBoard.Create(new BoardOptions
        {
            Bios = File("fw.bin", new byte[0x1000]),
            Kernel = File("kernel.bin", new byte[0x100]),
            Initrd = File("initrd", Pattern(64)),
        });
        Assert.Equal([0x8020_0000u + (64u << 20)], Chosen(board).GetCells("linux,initrd-start"));
    }

    [Fact]
    public void Without_initrd_chosen_has_no_initrd_properties() =>
        Assert.Null(Chosen(VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = File("k", new byte[16]) })).Get("linux,initrd-start"));

    [Fact]
    public void Initrd_without_kernel_is_refused_as_qemu_does()
    {
        var e = Assert.Throws<BoardConfigException>(() => VirtBoard.Create(new BoardOptions
        {
            Bios = File("fw.bin", new byte[0x1000]),
            Initrd = File("initrd", new byte[16]),
        }));
        Assert.Equal("-initrd only allowed with -kernel option", e.Message);
    }

    [Fact]
    public void Missing_initrd_is_a_one_line_error()
    {
        string missing = Path.Combine(_dir, "absent.cpio");
        var e = Assert.Throws<BoardConfigException>(() => VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = File("k", new byte[16]),
            Initrd = missing,
        }));
        Assert.Equal($"could not load initrd '{missing}': no such file", e.Message);
    }

    [Fact]
    public void Initrd_larger_than_the_ram_past_its_start_says_so()
    {
        // 8 MiB of RAM: the disk starts 4 MiB in and has 4 MiB, less the device tree's megabyte.
        string big = File("big", new byte[5 << 20]);
        var e = Assert.Throws<BoardConfigException>(() => VirtBoard.Create(new BoardOptions
        {
            RamSize = 8UL << 20,
            Bios = "none",
            Kernel = File("k", new byte[16]),
            Initrd = big,
        }));
        Assert.Equal($"could not load ramdisk '{big}': 5242880 bytes do not fit in RAM at 0x80400000 (-m 8M)", e.Message);
    }

    [Fact]
    public void Initrd_over_the_device_tree_is_refused_as_overlapping()
    {
        string disk = File("disk", new byte[3 << 20]);
        var e = Assert.Throws<BoardConfigException>(() => VirtBoard.Create(new BoardOptions
        {
            RamSize = 8UL << 20,
            Bios = "none",
            Kernel = File("k", new byte[16]),
            Initrd = disk,
        }));
        Assert.StartsWith($"Some ROM regions are overlapping: initrd '{disk}' (0x80400000-0x80700000) and device tree", e.Message);
    }
}
