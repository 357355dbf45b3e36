using System.Buffers.Binary;
using Rewind.Board.Arm;
using Rewind.Board.DeviceTree;

namespace Rewind.Board.Tests.Arm;

/// <summary>
/// -kernel with an arm64 Linux Image on the aarch64 virt board, as qemu-system-aarch64 7.2 boots it:
/// the image at its text_offset from RAM + 2 MiB, -initrd at half the RAM (at most 128 MiB) with its
/// range in /chosen, the device tree after it on a 2 MiB boundary, x0 pointing at the tree.
/// </summary>
public sealed class ArmLinuxBootTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-armlinux").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>An Image header: "b ." as code, text_offset, image_size, flags, the magic at 0x38.</summary>
    private static byte[] Image(ulong textOffset, ulong imageSize, int length = 0x1000)
    {
        byte[] image = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(image, 0x1400_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(8), textOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(16), imageSize);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), 0xa);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(0x38), ArmLinuxImage.Magic);
        return image;
    }

    private ArmVirtBoard Boot(byte[] kernel, byte[]? initrd = null, ulong ram = 128UL << 20) => ArmVirtBoard.Create(new BoardOptions
    {
        Arch = GuestArch.Aarch64,
        Bios = "none",
        RamSize = ram,
        Kernel = File("Image", kernel),
        Initrd = initrd == null ? null : File("initrd", initrd),
        Append = "console=ttyAMA0",
    });

    private static FdtNode Chosen(ArmVirtBoard board)
    {
        byte[] tree = new byte[64 * 1024];
        board.Bus.ReadBytes(board.FdtAddress, tree);
        return FdtReader.Parse(tree).Find("/chosen")!;
    }

    [Theory]
    [InlineData(0UL, 0x4020_0000UL)]          // text_offset 0 (Linux since 5.8): RAM + 2 MiB, past QEMU's boot stub
    [InlineData(0x80000UL, 0x4008_0000UL)]    // the old 512 KiB text_offset is used as it is
    public void Image_goes_to_its_text_offset_and_starts_at_el1_with_the_tree_in_x0(ulong textOffset, ulong entry)
    {
        var board = Boot(Image(textOffset, 0x20000));
        Assert.Equal(entry, board.Entry);
        Assert.Equal(entry, board.Cpu.Pc);
        Assert.Equal(1, board.Cpu.El);
        Assert.Equal(board.FdtAddress, board.Cpu.GetX(0));
        Assert.Equal(0UL, board.Cpu.GetX(1));
        Assert.True(board.Bus.TryRead(entry + 0x38, 4, out ulong magic));
        Assert.Equal(ArmLinuxImage.Magic, (uint)magic);
        Assert.Equal(0UL, board.FdtAddress & 0x1f_ffff);
    }

    [Fact]
    public void Flat_binary_without_an_image_size_goes_to_0x80000()
    {
        var board = Boot([0x00, 0x00, 0x00, 0x14]);
        Assert.Equal(0x4008_0000UL, board.Entry);
    }

    [Theory]
    [InlineData(128UL << 20, 0x4400_0000UL)]  // half of 128 MiB, as qemu-system-aarch64 -m 128M's dumpdtb shows
    [InlineData(1UL << 30, 0x4800_0000UL)]    // at most 128 MiB
    public void Initrd_goes_to_half_the_ram_and_chosen_lists_its_range(ulong ram, ulong start)
    {
        byte[] disk = [.. Enumerable.Range(0, 5120).Select(i => (byte)i)];
        var board = Boot(Image(0, 0x20000), disk, ram);
        byte[] loaded = new byte[disk.Length];
        board.Bus.ReadBytes(start, loaded);
        Assert.Equal(disk, loaded);
        var chosen = Chosen(board);
        Assert.Equal([(uint)start], chosen.GetCells("linux,initrd-start"));
        Assert.Equal([(uint)start + 5120u], chosen.GetCells("linux,initrd-end"));
        Assert.Equal("console=ttyAMA0", chosen.GetString("bootargs"));
        // The tree follows the RAM disk on the next 2 MiB boundary.
        Assert.Equal(start + 0x20_0000, board.FdtAddress);
    }

    [Fact]
    public void Initrd_that_does_not_fit_is_a_one_line_error()
    {
        var e = Assert.Throws<BoardConfigException>(() => Boot(Image(0, 0x20000), new byte[40 << 20], 64UL << 20));
        Assert.Matches(@"^could not load ramdisk '.*initrd': 41943040 bytes do not fit in RAM at 0x42000000 \(-m 64M\)$", e.Message);
    }

    [Fact]
    public void Initrd_with_an_elf_kernel_is_refused()
    {
        byte[] elf = System.IO.File.ReadAllBytes(Path.Combine(RepoRoot(), "guests/aarch64/bin/hello.elf"));
        var e = Assert.Throws<BoardConfigException>(() => Boot(elf, [1, 2, 3]));
        Assert.Equal("-initrd: only with an arm64 Linux Image as -kernel (this kernel is an ELF file)", e.Message);
    }

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !System.IO.File.Exists(Path.Combine(d.FullName, "Rewind.slnx"))) d = d.Parent;
        return d!.FullName;
    }
}
