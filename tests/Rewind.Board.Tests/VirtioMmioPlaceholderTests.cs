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

/// <summary>The RISC-V virt board's reset (system_reset, an SBI reboot) resets its virtio devices, as QEMU's does.</summary>
public class VirtioSystemResetTests
{
    [Fact]
    public void A_system_reset_leaves_the_virtio_devices_as_at_power_on()
    {
        string kernel = Path.Combine(Path.GetTempPath(), $"rewind-reset-{Guid.NewGuid():n}.bin");
        File.WriteAllBytes(kernel, [0x6f, 0x00, 0x00, 0x00]); // j .
        using var cleanup = new Cleanup(kernel);
        var board = VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = kernel,
            VirtioDevices = [new RngDeviceSpec { Origin = "-device virtio-rng-device" }],
        });
        ulong slot = VirtioLayout.Riscv.Address(7);
        Assert.True(board.Bus.TryWrite(slot + 0x030, 4, 0));       // QueueSel 0
        Assert.True(board.Bus.TryWrite(slot + 0x038, 4, 8));       // QueueNum
        Assert.True(board.Bus.TryWrite(slot + 0x040, 4, 0x80100)); // QueuePFN
        Assert.True(board.Bus.TryWrite(slot + 0x070, 4, 0x7));     // Status: ACK, DRIVER, DRIVER_OK
        Assert.True(board.Bus.TryRead(slot + 0x070, 4, out ulong status));
        Assert.Equal(0x7UL, status);

        board.Machine.OnReset!();

        Assert.True(board.Bus.TryRead(slot + 0x070, 4, out status));
        Assert.Equal(0UL, status);
        Assert.True(board.Bus.TryRead(slot + 0x040, 4, out ulong pfn));
        Assert.Equal(0UL, pfn);
    }
}

file sealed class Cleanup(string path) : IDisposable
{
    public void Dispose() => File.Delete(path);
}
