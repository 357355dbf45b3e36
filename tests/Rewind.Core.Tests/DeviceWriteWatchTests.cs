using Rewind.Core.Cpu;
using Rewind.Core.Memory;

namespace Rewind.Core.Tests;

public class DeviceWriteWatchTests
{
    private static readonly Watchpoint Status = new(0xffff_ffe0_0000_1007, 1, WatchKind.Write);

    private static DeviceWriteWatch Watching(Watchpoint w, ulong physical)
    {
        var watch = new DeviceWriteWatch();
        watch.Add(w, [new DeviceWriteWatch.Piece(physical, w.Length, w.Address)]);
        return watch;
    }

    [Fact]
    public void A_device_write_over_a_watched_byte_is_a_hit_at_its_virtual_address()
    {
        var watch = Watching(Status, 0x8000_1007);
        int calls = 0;
        watch.Hit = () => calls++;
        watch.Note(0x8000_1000, 16);
        Assert.Equal(new WatchHit(WatchKind.Write, 0xffff_ffe0_0000_1007, ByDevice: true), watch.TakeHit());
        Assert.Equal(1, calls);
        Assert.Null(watch.TakeHit());
    }

    [Fact]
    public void Writes_beside_the_range_and_read_watchpoints_do_not_hit()
    {
        var watch = Watching(Status, 0x8000_1007);
        watch.Note(0x8000_1000, 7);
        watch.Note(0x8000_1008, 8);
        Assert.Null(watch.TakeHit());
        var reads = Watching(Status with { Kind = WatchKind.Read }, 0x8000_1007);
        reads.Note(0x8000_1007, 1);
        Assert.Null(reads.TakeHit());
    }

    [Fact]
    public void An_access_watchpoint_hears_device_writes_and_removal_forgets_it()
    {
        var access = Status with { Kind = WatchKind.Access };
        var watch = Watching(access, 0x8000_1007);
        watch.Note(0x8000_1007, 1);
        Assert.Equal(WatchKind.Access, watch.TakeHit()?.Kind);
        watch.Remove(access);
        watch.Note(0x8000_1007, 1);
        Assert.Null(watch.TakeHit());
    }

    [Fact]
    public void A_copy_watches_the_originals_physical_pieces_and_forgets_its_own()
    {
        var original = Watching(Status, 0x8000_1007);
        var clone = Watching(Status with { Address = 0x9000 }, 0x8000_2000);
        clone.CopyFrom(original);
        clone.Note(0x8000_2000, 1);
        Assert.Null(clone.TakeHit());
        clone.Note(0x8000_1007, 1);
        Assert.Equal(new WatchHit(WatchKind.Write, 0xffff_ffe0_0000_1007, ByDevice: true), clone.TakeHit());
        clone.CopyFrom(new DeviceWriteWatch());
        clone.Note(0x8000_1007, 1);
        Assert.Null(clone.TakeHit());
    }
}
