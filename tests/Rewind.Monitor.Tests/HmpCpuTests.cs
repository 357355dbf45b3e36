using Rewind.Board;
using Rewind.Core.Input;
using Rewind.Monitor.Hmp;
using Rewind.Session;

namespace Rewind.Monitor.Tests;

/// <summary>HMP on a two-hart machine: `info cpus`, `cpu N`, `info registers [-a]`, as in QEMU.</summary>
public sealed class HmpCpuTests
{
    private readonly VirtBoard _board;
    private readonly HmpCommands _hmp;

    public HmpCpuTests()
    {
        _board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("smp"), Input = new LiveInput(), Smp = 2 });
        _hmp = new HmpCommands(new MonitorContext(_board.Machine, null, RunMode.None, null, new FakeVm()));
        // Hart 1 has gone to wait for its software interrupt; hart 0 is busy counting arrivals.
        _board.Machine.Run(200_000);
    }

    [Fact]
    public void Info_cpus_lists_every_hart_with_its_pc_marks_the_default_and_a_waiting_one_as_halted()
    {
        var lines = _hmp.Execute("info cpus").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"* CPU #0: pc=0x{_board.Harts[0].Pc:x16}", lines[0]);
        Assert.Equal($"  CPU #1: pc=0x{_board.Harts[1].Pc:x16} (halted)", lines[1]);
    }

    [Fact]
    public void Cpu_selects_the_hart_info_registers_shows_and_a_bad_index_is_refused()
    {
        Assert.StartsWith($"pc       {_board.Harts[0].Pc:x16}", _hmp.Execute("info registers"));
        Assert.Equal("", _hmp.Execute("cpu 1"));
        Assert.StartsWith($"pc       {_board.Harts[1].Pc:x16}", _hmp.Execute("info registers"));
        Assert.StartsWith("  CPU #0", _hmp.Execute("info cpus"));
        Assert.Equal("invalid CPU index\n", _hmp.Execute("cpu 2"));
        Assert.Equal("cpu: invalid number\n", _hmp.Execute("cpu x"));
        Assert.StartsWith($"pc       {_board.Harts[1].Pc:x16}", _hmp.Execute("info registers"));
    }

    [Fact]
    public void Info_registers_a_shows_every_hart_in_order()
    {
        string all = _hmp.Execute("info registers -a");
        int h0 = all.IndexOf("CPU#0\npc       " + _board.Harts[0].Pc.ToString("x16"), StringComparison.Ordinal);
        int h1 = all.IndexOf("CPU#1\npc       " + _board.Harts[1].Pc.ToString("x16"), StringComparison.Ordinal);
        Assert.True(h0 >= 0 && h1 > h0, all);
    }
}
