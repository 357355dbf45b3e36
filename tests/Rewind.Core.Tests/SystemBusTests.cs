using Rewind.Core.Bus;
using Rewind.Core.Memory;

namespace Rewind.Core.Tests;

public class SystemBusTests
{
    private const ulong RamBase = 0x8000_0000;

    private sealed class RecordingDevice(string name, ulong readValue = 0) : IMmioDevice
    {
        public string Name => name;
        public List<(ulong Offset, int Size)> Reads { get; } = [];
        public List<(ulong Offset, int Size, ulong Value)> Writes { get; } = [];

        public ulong Read(ulong offset, int size)
        {
            Reads.Add((offset, size));
            return readValue;
        }

        public void Write(ulong offset, int size, ulong value) => Writes.Add((offset, size, value));
    }

    private static SystemBus NewBus(out PhysicalMemory ram)
    {
        ram = new PhysicalMemory(RamBase, 2 * PhysicalMemory.PageSize);
        ram.ClearDirty();
        return new SystemBus(ram);
    }

    [Theory]
    [InlineData(1, 0xefUL)]
    [InlineData(2, 0xbeefUL)]
    [InlineData(4, 0xdeadbeefUL)]
    [InlineData(8, 0x0123456789abcdefUL)]
    public void Ram_reads_back_what_was_written_at_each_size(int size, ulong value)
    {
        var bus = NewBus(out _);
        Assert.True(bus.TryWrite(RamBase + 0x40, size, value));
        Assert.True(bus.TryRead(RamBase + 0x40, size, out ulong back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void Ram_is_little_endian()
    {
        var bus = NewBus(out var ram);
        Assert.True(bus.TryWrite(RamBase, 4, 0x11223344));
        var bytes = new byte[4];
        ram.Read(0, bytes);
        Assert.Equal(new byte[] { 0x44, 0x33, 0x22, 0x11 }, bytes);
    }

    [Fact]
    public void Ram_write_marks_the_page_dirty_and_a_straddling_write_marks_both()
    {
        var bus = NewBus(out var ram);
        bus.TryWrite(RamBase + 8, 4, 1);
        Assert.True(ram.IsDirty(0));
        Assert.False(ram.IsDirty(1));
        ram.ClearDirty();
        bus.TryWrite(RamBase + PhysicalMemory.PageSize - 2, 4, 0xffffffff);
        Assert.True(ram.IsDirty(0));
        Assert.True(ram.IsDirty(1));
    }

    [Fact]
    public void Ram_write_to_a_watched_page_calls_back()
    {
        var bus = NewBus(out var ram);
        int? page = null;
        ram.WatchedPageWritten = (p, _, _) => page = p;
        ram.WatchPage(1);
        bus.TryWrite(RamBase + PhysicalMemory.PageSize + 4, 8, 7);
        Assert.Equal(1, page);
    }

    [Fact]
    public void Mmio_accesses_reach_the_device_with_offset_size_and_value()
    {
        var bus = NewBus(out _);
        var dev = new RecordingDevice("dev", readValue: 0x5a);
        bus.Map(0x1000_0000, 0x100, dev);

        Assert.True(bus.TryRead(0x1000_0005, 1, out ulong v));
        Assert.Equal(0x5aUL, v);
        Assert.True(bus.TryWrite(0x1000_0010, 4, 0xcafe));

        Assert.Equal([(0x5UL, 1)], dev.Reads);
        Assert.Equal([(0x10UL, 4, 0xcafeUL)], dev.Writes);
    }

    [Fact]
    public void Accesses_are_routed_to_the_window_that_contains_them()
    {
        var bus = NewBus(out _);
        var a = new RecordingDevice("a", 1);
        var b = new RecordingDevice("b", 2);
        bus.Map(0x1000, 0x1000, a);
        bus.Map(0x2000, 0x1000, b);

        Assert.True(bus.TryRead(0x1fff, 1, out ulong va));
        Assert.True(bus.TryRead(0x2000, 1, out ulong vb));
        Assert.Equal(1UL, va);
        Assert.Equal(2UL, vb);
        Assert.Equal(0xfffUL, a.Reads.Single().Offset);
        Assert.Equal(0UL, b.Reads.Single().Offset);
    }

    [Fact]
    public void Unmapped_addresses_return_false_for_reads_and_writes()
    {
        var bus = NewBus(out _);
        bus.Map(0x1000, 0x1000, new RecordingDevice("a"));
        Assert.False(bus.TryRead(0x0, 4, out ulong v));
        Assert.Equal(0UL, v);
        Assert.False(bus.TryWrite(0x2000, 4, 1));
        Assert.False(bus.TryRead(RamBase + 2 * PhysicalMemory.PageSize, 1, out _));
        Assert.False(bus.TryRead(RamBase - 8, 8, out _));
    }

    [Theory]
    [InlineData(0x1000UL, 0x1000UL)] // identical
    [InlineData(0x1800UL, 0x100UL)]  // inside
    [InlineData(0x0800UL, 0x1000UL)] // overlaps the start
    [InlineData(0x1fffUL, 0x10UL)]   // overlaps the end
    [InlineData(0x0000UL, 0x10000UL)] // covers it
    public void Overlapping_windows_are_rejected(ulong baseAddress, ulong size)
    {
        var bus = NewBus(out _);
        bus.Map(0x1000, 0x1000, new RecordingDevice("first"));
        var e = Assert.Throws<InvalidOperationException>(() => bus.Map(baseAddress, size, new RecordingDevice("second")));
        Assert.Contains("first", e.Message);
    }

    [Fact]
    public void Adjacent_windows_are_allowed()
    {
        var bus = NewBus(out _);
        bus.Map(0x1000, 0x1000, new RecordingDevice("a"));
        bus.Map(0x2000, 0x1000, new RecordingDevice("b"));
        bus.Map(0x0, 0x1000, new RecordingDevice("c"));
        Assert.Equal(3, bus.Windows.Count());
    }

    [Fact]
    public void ReadBytes_skips_side_effecting_devices_unless_allowed()
    {
        var bus = NewBus(out _);
        var dev = new RecordingDevice("uart", 0x41);
        bus.Map(0x1000, 0x100, dev);
        var buf = new byte[2];
        Assert.Equal(0, bus.ReadBytes(0x1000, buf));
        Assert.Empty(dev.Reads);
        Assert.Equal(2, bus.ReadBytes(0x1000, buf, allowDevices: true));
        Assert.Equal(new byte[] { 0x41, 0x41 }, buf);
    }

    [Fact]
    public void WriteBytes_and_ReadBytes_cover_ram_and_stop_at_its_end()
    {
        var bus = NewBus(out _);
        ulong end = RamBase + 2 * PhysicalMemory.PageSize;
        Assert.Equal(4, bus.WriteBytes(end - 4, new byte[] { 1, 2, 3, 4, 5, 6 }));
        var buf = new byte[6];
        Assert.Equal(4, bus.ReadBytes(end - 4, buf));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 0, 0 }, buf);
    }
}
