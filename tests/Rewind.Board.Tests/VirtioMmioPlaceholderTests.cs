using Rewind.Board.Devices;

namespace Rewind.Board.Tests;

public class VirtioMmioPlaceholderTests
{
    [Fact]
    public void VirtioPlaceholder_ReportsEmptySlotLikeQemu()
    {
        var dev = new VirtioMmioPlaceholder(0);
        Assert.Equal(0x74726976UL, dev.Read(0, 4));
        Assert.Equal(1UL, dev.Read(4, 4));
        Assert.Equal(0UL, dev.Read(8, 4));
        Assert.Equal(0x554d4551UL, dev.Read(0xc, 4));
        Assert.Equal(0UL, dev.Read(0x70, 4));
        dev.Write(0x70, 4, 0xf);
        Assert.Equal(0UL, dev.Read(0x70, 4));
        Assert.Equal("virtio_mmio@10001000", dev.Name);
    }

    [Fact]
    public void VirtioPlaceholder_ModernVersion_IsSelectable()
    {
        var dev = new VirtioMmioPlaceholder(7, VirtioMmioPlaceholder.ModernVersion);
        Assert.Equal(2UL, dev.Read(4, 4));
        Assert.Equal("virtio_mmio@10008000", dev.Name);
    }
}
