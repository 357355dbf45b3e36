using Rewind.Board;
using Rewind.Replay.TimeTravel;
using Rewind.Riscv.Decode;

namespace Rewind.Replay.Tests.TimeTravel;

/// <summary>A snapshot restore forgets the decoded code of the pages it rewrites, and of no other.</summary>
public class CodeCacheRestoreTests
{
    // Page 0 calls page 1's function in a loop; the function adds to s0 (the test rewrites how much).
    private static readonly uint[] Caller =
    [
        0x00001297, // 0: auipc t0, 1          t0 = page 1
        0x000280e7, // 4: jalr ra, 0(t0)
        0x00148493, // 8: addi s1, s1, 1       calls made
        0xff5ff06f, // c: j 0
    ];
    private const uint AddOne = 0x00140413;  // addi s0, s0, 1
    private const uint AddTen = 0x00a40413;  // addi s0, s0, 10
    private const uint Ret = 0x00008067;     // jalr zero, 0(ra)
    private const ulong Page0 = 0x8000_0000, Page1 = 0x8000_1000;

    private static VirtBoard Board()
    {
        string raw = Path.Combine(Path.GetTempPath(), $"rewind-code-cache-{Guid.NewGuid():N}.bin");
        var image = new byte[0x1008];
        Caller.SelectMany(BitConverter.GetBytes).ToArray().CopyTo(image, 0);
        BitConverter.GetBytes(AddOne).CopyTo(image, 0x1000);
        BitConverter.GetBytes(Ret).CopyTo(image, 0x1004);
        File.WriteAllBytes(raw, image);
        try
        {
            return VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = raw, IcountShift = 3 });
        }
        finally
        {
            File.Delete(raw);
        }
    }

    private static int RamPage(ulong address) => (int)((address - Page0) >> 12);

    /// <summary>s0 grew by <paramref name="unit"/> per call since (s0, calls) were read, give or take the call in progress.</summary>
    private static void AssertAddedPerCall(VirtBoard board, long unit, ulong s0, ulong calls)
    {
        long added = (long)(board.Hart.GetX(8) - s0), made = (long)(board.Hart.GetX(9) - calls);
        Assert.True(made > 50, $"only {made} calls");
        Assert.InRange(added, unit * (made - 1), unit * (made + 1));
    }

    [Fact]
    public void A_restore_forgets_only_the_rewritten_pages_and_runs_the_code_they_held_then()
    {
        var board = Board();
        var m = board.Machine;
        var cache = board.CodeCache;
        var hart = board.Hart;
        m.Run(1000);                                   // through the boot ROM, into the loop
        var store = new SnapshotStore(m);
        var before = store.Take();
        ulong s0 = hart.GetX(8), calls = hart.GetX(9);
        m.Run(2000);
        AssertAddedPerCall(board, 1, s0, calls);

        // The debugger rewrites the function: page 1 changes, page 0 does not.
        Assert.Equal(4, board.Bus.WriteBytes(Page1, BitConverter.GetBytes(AddTen)));
        m.Run(3000);
        Assert.Equal(Op.Addi, cache.PageFor(RamPage(Page1))[0].Op);
        Assert.Equal(10L, cache.PageFor(RamPage(Page1))[0].Imm);
        var page0Slots = cache.PageFor(RamPage(Page0));
        Assert.Equal(Op.Auipc, page0Slots[0].Op);

        store.Restore(before);
        Assert.False(cache.Holds(RamPage(Page1)));     // rewritten by the restore: forgotten
        Assert.True(cache.Holds(RamPage(Page0)));      // untouched since the snapshot: kept, decoded
        Assert.Same(page0Slots, cache.PageFor(RamPage(Page0)));
        Assert.Equal(Op.Auipc, page0Slots[0].Op);
        Assert.Equal(Op.Jalr, page0Slots[2].Op);

        m.Run(2000);                                   // the restored function adds one again
        AssertAddedPerCall(board, 1, s0, calls);
        Assert.Equal(1L, cache.PageFor(RamPage(Page1))[0].Imm);
    }

    [Fact]
    public void A_restore_back_to_a_later_snapshot_runs_the_code_written_after_the_earlier_one()
    {
        var board = Board();
        var m = board.Machine;
        var hart = board.Hart;
        m.Run(1000);
        var store = new SnapshotStore(m);
        var early = store.Take();
        Assert.Equal(4, board.Bus.WriteBytes(Page1, BitConverter.GetBytes(AddTen)));
        m.Run(2000);
        var late = store.Take();
        ulong s0 = hart.GetX(8), calls = hart.GetX(9);

        store.Restore(early);
        m.Run(1500);                                   // decodes page 1's old code again
        store.Restore(late);
        m.Run(3000);
        AssertAddedPerCall(board, 10, s0, calls);
    }

    [Fact]
    public void Loading_a_machine_image_forgets_every_decoded_ram_page()
    {
        var board = Board();
        board.Machine.Run(1000);
        byte[] image = MachineImage.Save(board.Machine);
        board.Machine.Run(2000);
        Assert.True(board.CodeCache.Holds(RamPage(Page0)));
        Assert.True(board.CodeCache.Holds(RamPage(Page1)));

        MachineImage.Load(board.Machine, image);
        for (int p = 0; p < board.Ram.PageCount; p++) Assert.False(board.CodeCache.Holds(p));
        board.Machine.Run(2000);
        Assert.True(board.CodeCache.Holds(RamPage(Page0)));
    }
}
