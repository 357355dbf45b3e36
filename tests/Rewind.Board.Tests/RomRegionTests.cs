using Rewind.Board.Loading;

namespace Rewind.Board.Tests;

/// <summary>QEMU's refusal of images that land on each other ("Some ROM regions are overlapping").</summary>
public class RomRegionTests
{
    [Fact]
    public void Regions_side_by_side_are_accepted()
    {
        RomRegions.CheckNoOverlap([
            new RomRegion("bios 'fw.bin'", 0x8000_0000, 0x8004_0000),
            new RomRegion("kernel 'k.elf'", 0x8020_0000, 0x8030_0000),
            new RomRegion("device tree", 0x87e0_0000, 0x87f0_0000),
            new RomRegion("touching", 0x8030_0000, 0x8031_0000),
        ]);
    }

    [Fact]
    public void Overlapping_regions_are_refused_naming_both_and_their_ranges()
    {
        var e = Assert.Throws<BoardConfigException>(() => RomRegions.CheckNoOverlap([
            new RomRegion("bios 'fw.bin'", 0x8000_0000, 0x8004_0000),
            new RomRegion("kernel 'k.elf'", 0x8000_0000, 0x8001_0000),
        ]));
        Assert.Equal("Some ROM regions are overlapping: bios 'fw.bin' (0x80000000-0x80040000) and kernel 'k.elf' (0x80000000-0x80010000)", e.Message);
    }

    [Fact]
    public void Raw_image_region_is_its_bytes_at_its_load_address()
    {
        var region = Assert.Single(RomRegions.Of("bios", new RawImage(new byte[0x100], 0x8000_0000)));
        Assert.Equal(new RomRegion("bios", 0x8000_0000, 0x8000_0100), region);
        Assert.Empty(RomRegions.Of("bios", new RawImage([], 0x8000_0000)));
    }

    private static string TempImage(int size)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rewind-rom-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, new byte[size]);
        return path;
    }

    [Fact]
    public void Board_with_1_MiB_of_RAM_refuses_the_device_tree_over_the_kernel()
    {
        string kernel = TempImage(0x1000);
        try
        {
            var e = Assert.Throws<BoardConfigException>(() => VirtBoard.Create(new BoardOptions { RamSize = 1UL << 20, Bios = "none", Kernel = kernel }));
            Assert.Equal($"Some ROM regions are overlapping: kernel '{kernel}' (0x80000000-0x80001000) and device tree (0x80000000-0x80100000)", e.Message);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [Fact]
    public void Board_with_less_RAM_than_the_device_tree_says_so()
    {
        string kernel = TempImage(0x1000);
        try
        {
            var e = Assert.Throws<BoardConfigException>(() => VirtBoard.Create(new BoardOptions { RamSize = 512UL << 10, Bios = "none", Kernel = kernel }));
            Assert.Equal("-m 512K: too little RAM for the device tree (at least 1 MiB)", e.Message);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [Fact]
    public void Board_places_firmware_kernel_and_device_tree_apart()
    {
        string bios = TempImage(0x40000), kernel = TempImage(0x1000);
        try
        {
            var board = VirtBoard.Create(new BoardOptions { Bios = bios, Kernel = kernel });
            Assert.Equal(0x87e0_0000UL, board.FdtAddress);
        }
        finally
        {
            File.Delete(bios);
            File.Delete(kernel);
        }
    }
}
