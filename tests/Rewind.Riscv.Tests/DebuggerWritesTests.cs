using Rewind.Core.Cpu;
using Rewind.Riscv.Debug;

namespace Rewind.Riscv.Tests;

public class DebuggerWritesTests
{
    [Fact]
    public void A_memory_write_payload_applies_the_bytes_and_reports_the_count()
    {
        var rig = new HartRig();
        var writes = new DebuggerWrites([rig.Hart]);
        writes.Receive(DebuggerWrites.Memory(HartRig.RamBase + 8, [1, 2, 3, 4, 5, 6, 7, 8]));
        Assert.Equal(8, writes.LastResult);
        Assert.Equal(0x0807060504030201UL, rig.Read64(HartRig.RamBase + 8));
    }

    [Fact]
    public void A_register_write_payload_sets_the_register_by_gdb_number()
    {
        var rig = new HartRig();
        var writes = new DebuggerWrites([rig.Hart]);
        writes.Receive(DebuggerWrites.Register(10, BitConverter.GetBytes(0x1234UL)));
        Assert.Equal(1, writes.LastResult);
        Assert.Equal(0x1234UL, rig.X(10));
    }

    [Fact]
    public void A_short_or_unknown_payload_changes_nothing()
    {
        var rig = new HartRig();
        var writes = new DebuggerWrites([rig.Hart]);
        writes.Receive([0, 1, 2]);
        Assert.Equal(0, writes.LastResult);
        byte[] bogus = DebuggerWrites.Register(10, BitConverter.GetBytes(5UL));
        bogus[0] = 9;
        writes.Receive(bogus);
        Assert.Equal(0, writes.LastResult);
        Assert.Equal(0UL, rig.X(10));
    }

    [Fact]
    public void A_register_or_memory_write_for_hart_1_reaches_hart_1_and_an_unknown_hart_changes_nothing()
    {
        var rig = new HartRig();
        var second = new Hart(1, rig.Bus);
        var writes = new DebuggerWrites([rig.Hart, second]);
        writes.Receive(DebuggerWrites.Register(10, BitConverter.GetBytes(0x77UL), hart: 1));
        Assert.Equal(1, writes.LastResult);
        Assert.Equal(0x77UL, second.GetX(10));
        Assert.Equal(0UL, rig.X(10));
        writes.Receive(DebuggerWrites.Memory(HartRig.RamBase + 16, [0xaa, 0xbb], hart: 1));
        Assert.Equal(2, writes.LastResult);
        Assert.Equal(0xbbaaUL, rig.Read64(HartRig.RamBase + 16));
        writes.Receive(DebuggerWrites.Register(10, BitConverter.GetBytes(5UL), hart: 2));
        Assert.Equal(0, writes.LastResult);
        writes.Receive(DebuggerWrites.Memory(HartRig.RamBase, [1], hart: 2));
        Assert.Equal(0, writes.LastResult);
        Assert.Equal(0x77UL, second.GetX(10));
    }
}
