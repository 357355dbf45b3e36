using Rewind.Board;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>The snapshot store on its own: a restore gives back the exact machine, thinning keeps the start.</summary>
public class SnapshotStoreTests
{
    private static VirtBoard Board() => VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("count_loop"), IcountShift = 3 });

    [Fact]
    public void Restoring_a_snapshot_gives_back_the_machine_and_its_memory()
    {
        var board = Board();
        var store = new SnapshotStore(board.Machine);
        board.Machine.Run(50_000);
        var snap = store.Take();
        var digest = MachineDigest.Compute(board.Machine);
        byte[] ram = board.Ram.Page(0).ToArray();
        board.Machine.Run(2_000_000);
        Assert.NotEqual(digest, MachineDigest.Compute(board.Machine));
        store.Restore(snap);
        Assert.Equal(50_000UL, board.Machine.Icount);
        Assert.Equal(digest, MachineDigest.Compute(board.Machine));
        Assert.Equal(ram, board.Ram.Page(0).ToArray());
        // And it runs on identically.
        var again = Board();
        again.Machine.Run(1_000_000);
        board.Machine.Run(1_000_000);
        Assert.Equal(MachineDigest.Compute(again.Machine), MachineDigest.Compute(board.Machine));
    }

    [Fact]
    public void At_or_before_finds_the_nearest_earlier_snapshot()
    {
        var board = Board();
        var store = new SnapshotStore(board.Machine);
        store.Take();
        board.Machine.Run(1000);
        store.Take();
        board.Machine.Run(5000);
        store.Take();
        Assert.Equal(1000UL, store.AtOrBefore(4999)!.Icount);
        Assert.Equal(5000UL, store.AtOrBefore(5000)!.Icount);
        Assert.True(store.Has(1000));
        Assert.False(store.Has(1001));
    }

    [Fact]
    public void Thinning_keeps_the_first_snapshot_and_the_recent_ones()
    {
        var board = Board();
        var store = new SnapshotStore(board.Machine);
        for (ulong i = 0; i < 40; i++)
        {
            if (i > 0) board.Machine.Run(i * 1000);
            store.Take();
        }
        int before = store.All.Count;
        store.Thin(board.Machine.Icount, 1000);
        Assert.True(store.All.Count < before);
        Assert.Equal(0UL, store.All[0].Icount);
        Assert.True(store.Has(39_000));
    }
}
