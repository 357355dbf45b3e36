using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.TimeTravel;

public class MachineImageTests
{
    private static VirtBoard Board(string guest) =>
        VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest(guest), IcountShift = 3 });

    [Fact]
    public void An_image_taken_mid_run_restores_a_fresh_machine_that_then_runs_identically()
    {
        var a = Board("revdebug").Machine;
        a.Run(2000);
        byte[] image = MachineImage.Save(a);
        byte[] digestAt2000 = MachineDigest.Compute(a);
        a.Run(4000);
        byte[] digestAt4000 = MachineDigest.Compute(a);

        var b = Board("count_loop").Machine; // another program in RAM: the image must replace all of it
        MachineImage.Load(b, image);
        Assert.Equal(2000UL, b.Icount);
        Assert.Equal(digestAt2000, MachineDigest.Compute(b));
        b.Run(4000);
        Assert.Equal(digestAt4000, MachineDigest.Compute(b));
    }

    [Fact]
    public void An_image_is_small_when_RAM_is_mostly_zero()
    {
        var m = Board("revdebug").Machine;
        Assert.True(MachineImage.Save(m).Length < 16 * 1024);
    }

    [Fact]
    public void A_damaged_image_or_one_for_another_RAM_size_is_refused_as_invalid_data()
    {
        var m = Board("revdebug").Machine;
        byte[] image = MachineImage.Save(m);
        Assert.Throws<InvalidDataException>(() => MachineImage.Load(m, image.AsMemory(0, image.Length / 2)));
        var bytes = (byte[])image.Clone();
        bytes[bytes.Length / 2] ^= 0xff;
        Assert.Throws<InvalidDataException>(() => MachineImage.Load(m, bytes));
        var small = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("revdebug"), RamSize = 64UL << 20 }).Machine;
        var e = Assert.Throws<InvalidDataException>(() => MachineImage.Load(small, image));
        Assert.Contains("RAM", e.Message);
    }

    [Theory]
    [InlineData(0x7fffffff)]
    [InlineData(-1)]
    [InlineData(0x10000000)]
    public void A_crafted_state_length_is_refused_as_invalid_data_before_allocating(int length)
    {
        var m = Board("revdebug").Machine;
        var raw = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(raw, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(z))
        {
            w.Write(0x3249_5752u); // RWI2
            w.Write(m.Bus.Ram.Size);
            w.Write(length);
            w.Write(new byte[100]);
        }
        var e = Assert.Throws<InvalidDataException>(() => MachineImage.Load(m, raw.ToArray()));
        Assert.True(e.Message.Contains("impossible state length", StringComparison.Ordinal) || e.Message.Contains("truncated", StringComparison.Ordinal), e.Message);
    }
}
