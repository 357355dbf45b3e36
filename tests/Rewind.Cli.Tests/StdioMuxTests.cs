using System.Text;
using Rewind.Board;
using Rewind.Cli.Host;
using Rewind.Core.Input;
using Rewind.Monitor.Hmp;
using Rewind.Session;

namespace Rewind.Cli.Tests;

/// <summary>The multiplexer's routing, fed bytes as a pipe or a terminal would, without a console.</summary>
public sealed class StdioMuxTests
{
    private sealed class Sink : IInputSink
    {
        public readonly List<byte> Received = [];
        public void Receive(ReadOnlySpan<byte> data) => Received.AddRange(data.ToArray());
    }

    private sealed class Rig
    {
        public readonly LiveInput Input = new();
        public readonly Sink Guest = new();
        public readonly MemoryStream Out = new();
        public int Quits;
        public int Flushes;
        public int MonitorOpened;
        public readonly StdioMux Mux;

        public Rig(bool monitor = true, bool escapes = true, bool replay = false)
        {
            Input.Attach(InputChannel.Serial0, Guest);
            Func<HmpCommands>? open = null;
            if (monitor)
            {
                open = () =>
                {
                    MonitorOpened++;
                    var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = HelloElf, RamSize = 16 << 20 });
                    return new HmpCommands(new MonitorContext(board.Machine, null, RunMode.None, null));
                };
            }
            Mux = new StdioMux(replay ? null : Input, escapes, Out, () => Quits++, () => Flushes++, open);
        }

        public void Feed(string s) => Mux.Feed(Encoding.Latin1.GetBytes(s));

        public string GuestGot()
        {
            Input.DeliverDue(0);
            return Encoding.Latin1.GetString(Guest.Received.ToArray());
        }

        public string Output => Encoding.UTF8.GetString(Out.ToArray());
    }

    private static string HelloElf => RepoPaths.Guest("hello");

    private const string Banner = "QEMU 7.2.0 monitor (Rewind) - type 'help' for more information\n";

    [Fact]
    public void Bytes_go_to_the_guest_until_ctrl_a_c_then_to_the_monitor_and_back()
    {
        var r = new Rig();
        r.Feed("ls\r");
        Assert.Equal("ls\r", r.GuestGot());
        Assert.Equal("", r.Output);

        r.Feed("\u0001c");
        Assert.True(r.Mux.MonitorFocus);
        Assert.Equal(Banner + "(qemu) ", r.Output);
        r.Feed("info status\nbogus\n");
        Assert.Equal(Banner + "(qemu) info status\nVM status: debug\n(qemu) bogus\nunknown command: 'bogus'\n(qemu) ", r.Output);

        r.Feed("\u0001cpwd\r");
        Assert.False(r.Mux.MonitorFocus);
        Assert.Equal("ls\rpwd\r", r.GuestGot());
        Assert.EndsWith("(qemu) \n", r.Output);

        // Back again: a prompt, but the banner only the first time, and the same monitor.
        int length = r.Output.Length;
        r.Feed("\u0001c");
        Assert.Equal("(qemu) ", r.Output[length..]);
        Assert.Equal(1, r.MonitorOpened);
        Assert.Equal(0, r.Quits);
    }

    [Fact]
    public void A_partial_monitor_line_is_dropped_when_leaving_the_monitor()
    {
        var r = new Rig();
        r.Feed("\u0001cinfo sta\u0001c\u0001c");
        r.Feed("help\n");
        Assert.Contains("(qemu) help\nhelp [cmd] -- show the help\n", r.Output);
        Assert.DoesNotContain("unknown command", r.Output);
        Assert.Equal("", r.GuestGot());
    }

    [Fact]
    public void Ctrl_a_x_says_terminated_and_quits_and_ignores_what_follows()
    {
        var r = new Rig();
        r.Feed("ab\u0001xcd");
        r.Feed("ef");
        Assert.Equal(1, r.Quits);
        Assert.Equal("ab", r.GuestGot());
        Assert.Equal("rewind: terminated\n", r.Output);
        Assert.True(r.Flushes > 0); // the guest's pending output first
    }

    [Fact]
    public void Ctrl_a_x_works_from_the_monitor_too()
    {
        var r = new Rig();
        r.Feed("\u0001cinfo\u0001x");
        Assert.Equal(1, r.Quits);
        Assert.EndsWith("(qemu) inforewind: terminated\n", r.Output);
    }

    [Fact]
    public void Ctrl_a_h_prints_help_in_either_focus_and_ctrl_a_ctrl_a_sends_ctrl_a()
    {
        var r = new Rig();
        r.Feed("\u0001h");
        Assert.Equal(new EscapeDecoder(true).HelpText, r.Output);
        r.Feed("a\u0001\u0001b");
        Assert.Equal("a\u0001b", r.GuestGot());
        r.Feed("\u0001c\u0001h");
        Assert.EndsWith("(qemu) " + new EscapeDecoder(true).HelpText, r.Output);
    }

    [Fact]
    public void Replaying_the_guest_gets_nothing_but_the_monitor_works()
    {
        var r = new Rig(replay: true);
        r.Feed("typed\r\u0001cinfo status\n");
        Assert.Equal("", r.GuestGot());
        Assert.Contains("VM status: debug", r.Output);
    }

    [Fact]
    public void A_plain_console_on_a_terminal_has_escapes_but_no_monitor()
    {
        var r = new Rig(monitor: false);
        r.Feed("a\u0001cb\u0001\u0001\u0001x");
        Assert.Equal("ab\u0001", r.GuestGot());
        Assert.Equal(1, r.Quits);
        Assert.Equal(0, r.MonitorOpened);
    }

    [Fact]
    public void A_plain_console_on_a_pipe_passes_every_byte()
    {
        var r = new Rig(monitor: false, escapes: false);
        r.Feed("a\u0001cb\u0001x");
        Assert.Equal("a\u0001cb\u0001x", r.GuestGot());
        Assert.Equal(0, r.Quits);
        Assert.Equal("", r.Output);
    }
}
