using Rewind.Board;
using Rewind.Devices.Block;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>
/// The disk is machine state: time-travel snapshots put its copy-on-write overlay back exactly, and
/// each snapshot copies only the clusters written since the one before.
/// </summary>
public sealed class DiskSnapshotTests : IDisposable
{
    private readonly string _image = Path.GetTempFileName();

    public DiskSnapshotTests() => File.WriteAllBytes(_image, Enumerable.Range(0, 1 << 20).Select(i => (byte)(i >> 9)).ToArray());

    public void Dispose() => File.Delete(_image);

    private VirtBoard Board() => VirtBoard.Create(new BoardOptions
    {
        Bios = "none",
        Kernel = RepoPaths.Guest("count_loop"),
        IcountShift = 3,
        VirtioDevices = [new BlockDeviceSpec(_image) { Origin = "test" }],
    });

    private static BlockDisk DiskOf(VirtBoard board) => ((VirtioBlock)board.Virtio[0].Device).Disk;

    private static byte[] Read(BlockDisk disk, long offset, int n)
    {
        var b = new byte[n];
        disk.Read(offset, b);
        return b;
    }

    [Fact]
    public void WriteSnapshotWriteAgain_SeekBack_ReadsTheFirstWrite()
    {
        var board = Board();
        var disk = DiskOf(board);
        var store = new SnapshotStore(board.Machine);
        byte[] original = Read(disk, 0, 12288);
        store.Take();
        board.Machine.Run(10_000);
        disk.Write(0, Enumerable.Repeat((byte)0xa1, 100).ToArray());
        var first = store.Take();
        var firstDigest = MachineDigest.Compute(board.Machine);
        board.Machine.Run(20_000); // Run takes the count to reach
        disk.Write(0, Enumerable.Repeat((byte)0xb2, 100).ToArray());
        disk.Write(8192, [0xc3]);
        var second = store.Take();
        board.Machine.Run(30_000);
        disk.Write(50, [0xd4]); // after the last snapshot: must vanish on a seek back

        store.Restore(first);
        Assert.Equal(firstDigest, MachineDigest.Compute(board.Machine));
        Assert.All(Read(disk, 0, 100), b => Assert.Equal(0xa1, b));
        Assert.Equal(original[100..12288], Read(disk, 100, 12188));

        store.Restore(second);
        Assert.All(Read(disk, 0, 100), b => Assert.Equal(0xb2, b));
        Assert.Equal(0xc3, Read(disk, 8192, 1)[0]);
        Assert.Equal(original[8193..12288], Read(disk, 8193, 4095));

        // A write after a restore does not leak into the snapshot it came from.
        disk.Write(0, [0xee]);
        store.Restore(second);
        Assert.Equal(0xb2, Read(disk, 0, 1)[0]);
        store.Restore(store.All[0]);
        Assert.Equal(original, Read(disk, 0, 12288));
        Assert.Equal(0, disk.OverlayClusters);
    }

    [Fact]
    public void EachSnapshot_CopiesOnlyTheClustersWrittenSinceTheLast()
    {
        var board = Board();
        var disk = DiskOf(board);
        var store = new SnapshotStore(board.Machine);
        for (int c = 0; c < 200; c++) disk.Write(c * 4096L, [1, 2, 3]);
        var big = store.Take();
        Assert.True(big.Bytes >= 200 * 4096, $"{big.Bytes} bytes");
        board.Machine.Run(1000);
        disk.Write(7 * 4096, [9]);
        disk.Write(230 * 4096, [9]);
        var small = store.Take();
        // Two clusters copied; the other 198 are shared with the snapshot before.
        Assert.InRange(small.Bytes, 2 * 4096, 2 * 4096 + 256 * 1024); // plus the CPU and device state and a few RAM pages
        store.Restore(big);
        Assert.Equal(1, Read(disk, 7 * 4096, 1)[0]);
        Assert.Equal(unchecked((byte)(230 * 4096 >> 9)), Read(disk, 230 * 4096, 1)[0]); // the base image's byte again
        Assert.Equal(200, disk.OverlayClusters);
        store.Restore(small);
        Assert.Equal(9, Read(disk, 7 * 4096, 1)[0]);
        Assert.Equal(201, disk.OverlayClusters);
    }

    [Fact]
    public void MachineDigest_StillCoversTheWholeOverlay()
    {
        var a = Board();
        var b = Board();
        DiskOf(a).Write(4096, [1]);
        DiskOf(b).Write(4096, [2]);
        Assert.NotEqual(MachineDigest.Compute(a.Machine), MachineDigest.Compute(b.Machine));
    }
}
