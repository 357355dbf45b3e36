using Rewind.Board.Arm;

namespace Rewind.Board.Tests.Arm;

/// <summary>
/// The aarch64 virt board's 32 virtio-mmio slots: placed as qemu-system-aarch64 7.2 places `-device`s
/// (the first at 0x0a003e00, as U-Boot's `dm tree` shows there), mapped on the bus, and wired to the GIC.
/// </summary>
public sealed class ArmVirtioSlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rewind-armvirtio").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static RngDeviceSpec Rng(int? slot = null) => new() { Slot = slot, Origin = "-device virtio-rng-device" };

    [Fact]
    public void Unpinned_devices_fill_the_32_slots_from_the_highest_address_down()
    {
        var slots = VirtioSlots.Place([Rng(), Rng(), Rng()], VirtioLayout.Arm);
        Assert.Equal(32, slots.Length);
        Assert.NotNull(slots[31]);
        Assert.NotNull(slots[30]);
        Assert.NotNull(slots[29]);
        Assert.Equal(3, slots.Count(s => s != null));
        Assert.Equal(0x0a00_3e00UL, VirtioLayout.Arm.Address(31));
        Assert.Equal("virtio_mmio@a003e00", VirtioLayout.Arm.NodeName(31));
    }

    [Fact]
    public void Bus_31_is_the_last_slot_and_bus_32_is_not_found()
    {
        var slots = VirtioSlots.Place([Rng(31), Rng()], VirtioLayout.Arm);
        Assert.NotNull(slots[31]);
        Assert.NotNull(slots[30]); // the unpinned one takes the highest free slot
        var e = Assert.Throws<BoardConfigException>(() => VirtioSlots.Place([Rng(32)], VirtioLayout.Arm));
        Assert.Contains("virtio-mmio-bus.32 not found (the virt machine has virtio-mmio-bus.0 to .31)", e.Message);
    }

    [Fact]
    public void A_33rd_device_finds_every_bus_in_use()
    {
        var e = Assert.Throws<BoardConfigException>(() => VirtioSlots.Place([.. Enumerable.Range(0, 33).Select(_ => Rng())], VirtioLayout.Arm));
        Assert.Contains("all 32 virtio-mmio buses are in use", e.Message);
    }

    [Fact]
    public void Riscv_board_keeps_its_eight_slots()
    {
        var slots = VirtioSlots.Place([Rng()], VirtioLayout.Riscv);
        Assert.Equal(8, slots.Length);
        Assert.NotNull(slots[7]);
    }

    /// <summary>A board with a kernel that only waits (WFI, B .) and a 1 MiB raw disk.</summary>
    private ArmVirtBoard DiskBoard(bool legacy = true)
    {
        string kernel = Path.Combine(_dir, "wfi.bin"), disk = Path.Combine(_dir, "disk.raw");
        File.WriteAllBytes(kernel, [0x7f, 0x20, 0x03, 0xd5, 0xff, 0xff, 0xff, 0x17]);
        File.WriteAllBytes(disk, new byte[1 << 20]);
        return ArmVirtBoard.Create(new BoardOptions
        {
            Arch = GuestArch.Aarch64,
            Bios = "none",
            Kernel = kernel,
            VirtioLegacy = legacy,
            VirtioDevices = [new BlockDeviceSpec(disk) { Origin = "-device virtio-blk-device,drive=d" }],
        });
    }

    private static ulong Read(ArmVirtBoard board, ulong address)
    {
        Assert.True(board.Bus.TryRead(address, 4, out ulong value), $"nothing answers at 0x{address:x}");
        return value;
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public void Disk_answers_as_virtio_blk_at_the_last_slot_and_empty_slots_as_device_zero(bool legacy, uint version)
    {
        var board = DiskBoard(legacy);
        ulong last = VirtioLayout.Arm.Address(31);
        Assert.Equal(0x7472_6976UL, Read(board, last));          // "virt"
        Assert.Equal(version, Read(board, last + 0x004));
        Assert.Equal(2UL, Read(board, last + 0x008));            // virtio-blk
        Assert.Equal(0x554d_4551UL, Read(board, last + 0x00c));  // "QEMU"
        for (int i = 0; i < 31; i++)
        {
            Assert.Equal(version, Read(board, VirtioLayout.Arm.Address(i) + 0x004));
            Assert.Equal(0UL, Read(board, VirtioLayout.Arm.Address(i) + 0x008));
        }
        Assert.Equal("virtio_mmio@a003e00", Assert.Single(board.Virtio).Name);
    }

    [Fact]
    public void Slot_31_interrupt_is_spi_47_at_the_gic()
    {
        var board = DiskBoard();
        // GICD_ISPENDR2 holds interrupt IDs 64 to 95; SPI 47 is ID 79, bit 15.
        ulong pending = ArmVirtMap.GicDistBase + 0x200 + 4 * (79 / 32);
        Assert.Equal(0UL, Read(board, pending) & (1UL << 15));
        board.Virtio[0].Fail("a configuration interrupt for the test"); // raises the transport's line
        Assert.Equal(1UL << 15, Read(board, pending));
    }

    [Fact]
    public void A_system_reset_leaves_the_virtio_devices_as_at_power_on()
    {
        var board = DiskBoard(legacy: true);
        ulong slot = VirtioLayout.Arm.Address(31);
        Assert.True(board.Bus.TryWrite(slot + 0x028, 4, 4096)); // GuestPageSize
        Assert.True(board.Bus.TryWrite(slot + 0x030, 4, 0));    // QueueSel 0
        Assert.True(board.Bus.TryWrite(slot + 0x038, 4, 64));   // QueueNum
        Assert.True(board.Bus.TryWrite(slot + 0x040, 4, 0x40100)); // QueuePFN
        Assert.True(board.Bus.TryWrite(slot + 0x070, 4, 0xf));  // Status: ACK, DRIVER, DRIVER_OK, FEATURES_OK
        Assert.Equal(0xfUL, Read(board, slot + 0x070));
        Assert.Equal(0x40100UL, Read(board, slot + 0x040));

        board.Machine.OnReset!();

        Assert.Equal(0UL, Read(board, slot + 0x070));
        Assert.Equal(0UL, Read(board, slot + 0x040));
    }
}
