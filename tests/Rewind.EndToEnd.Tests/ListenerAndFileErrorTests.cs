using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// What a busy port, a socket path, a file the host cannot write or a machine that cannot be laid out
/// does to a run: one line and status 1, never an internal error, never a shared port.
/// </summary>
public class ListenerAndFileErrorTests
{
    private static void AssertOneLineError(ProcessResult r, string expected)
    {
        Assert.True(r.ExitCode == 1, r.ToString());
        var line = Assert.Single(r.StderrLines);
        Assert.Equal("rewind: " + expected, line);
        Assert.DoesNotContain("internal error", r.Stderr);
    }

    private static string[] Paused(params string[] extra) =>
        ["-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-display", "none", "-S", .. extra];

    private static void WaitForFile(string path, RewindRun run)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!File.Exists(path))
        {
            if (run.HasExited || DateTime.UtcNow > deadline) throw new TimeoutException($"no socket {path}\n{run}");
            Thread.Sleep(25);
        }
    }

    [Fact]
    public void Second_gdb_server_on_a_busy_port_is_one_line_and_the_first_still_serves()
    {
        int port = FreePort.Get();
        using var first = new RewindRun(Paused("-gdb", $"tcp::{port}"));
        first.WaitListening(port);
        AssertOneLineError(RewindProcess.Run(Paused("-gdb", $"tcp::{port}")), $"-gdb tcp::{port}: cannot listen: address already in use");
        AssertOneLineError(RewindProcess.Run(Paused("-qmp", $"tcp:127.0.0.1:{port},server=on,wait=off")),
            $"-qmp tcp:127.0.0.1:{port},server=on,wait=off: cannot listen: address already in use");
        Assert.StartsWith("+$T05", RspProbe.AskStopReason(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public void Qmp_on_a_host_name_that_does_not_resolve_is_one_line()
    {
        // .invalid never resolves (RFC 2606), on any host, with or without a network.
        AssertOneLineError(RewindProcess.Run(Paused("-qmp", "tcp:no-such-host.invalid:4444,server=on,wait=off")),
            "-qmp tcp:no-such-host.invalid:4444,server=on,wait=off: cannot listen: cannot resolve host 'no-such-host.invalid'");
    }

    [Fact]
    public void Gdb_on_a_unix_socket_accepts_a_client_and_replaces_a_stale_socket_file()
    {
        using var dir = new TempDir();
        string path = dir.File("gdb.sock");
        // Bound and never listening, as a dead run leaves it: connecting is refused. (Disposing it
        // would delete the file, so it stays open.)
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(path));
        using var run = new RewindRun(Paused("-gdb", "unix:" + path));
        // The stale file is replaced by the live socket: a client gets an answer.
        WaitForFile(path, run);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string reply = "";
        while (DateTime.UtcNow < deadline && !run.HasExited)
        {
            try
            {
                reply = RspProbe.AskStopReason(new UnixDomainSocketEndPoint(path));
                break;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        Assert.StartsWith("+$T05", reply);
    }

    [Fact]
    public void Busy_unix_socket_is_one_line_and_left_to_its_owner()
    {
        using var dir = new TempDir();
        string path = dir.File("qmp.sock");
        using var owner = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        owner.Bind(new UnixDomainSocketEndPoint(path));
        owner.Listen();
        AssertOneLineError(RewindProcess.Run(Paused("-gdb", "unix:" + path)), $"-gdb unix:{path}: cannot listen: address already in use");
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Qmp_unix_socket_file_is_removed_on_exit()
    {
        using var dir = new TempDir();
        string path = dir.File("qmp.sock");
        using var run = new RewindRun(Paused("-qmp", $"unix:{path},server=on,wait=off"));
        WaitForFile(path, run);
        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            client.Connect(new UnixDomainSocketEndPoint(path));
            var stream = new NetworkStream(client);
            var reader = new StreamReader(stream);
            Assert.Contains("\"QMP\"", reader.ReadLine());
            stream.Write("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n"u8);
            var r = run.WaitForExit();
            Assert.True(r.ExitCode == 0, r.ToString());
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Gdb_on_a_non_loopback_address_warns_in_one_line()
    {
        int port = FreePort.Get();
        using var run = new RewindRun(Paused("-gdb", $"tcp:0.0.0.0:{port}"));
        run.WaitListening(port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!run.Stderr.Contains('\n') && DateTime.UtcNow < deadline) Thread.Sleep(25);
        Assert.StartsWith($"rewind: warning: -gdb tcp:0.0.0.0:{port}: listening on 0.0.0.0:{port}, which is not a loopback address", run.Stderr);
    }

    [Theory]
    [InlineData("/nonexistent-dir/x.dtb", "No such file or directory")]
    [InlineData("/dev/full", "No space left on device")]
    [InlineData("/tmp", "Is a directory")]
    public void Dumpdtb_that_cannot_be_written_is_one_line(string path, string reason)
    {
        AssertOneLineError(RewindProcess.Run("-M", $"virt,dumpdtb={path}", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-display", "none"),
            $"-machine dumpdtb={path}: cannot write: {reason}");
    }

    [Fact]
    public void Dumpdtb_with_an_empty_path_is_one_line()
    {
        AssertOneLineError(RewindProcess.Run("-M", "virt,dumpdtb=", "-display", "none"), "-machine virt,dumpdtb=: dumpdtb needs a file name");
    }

    [Fact]
    public void Serial_file_that_fills_up_ends_the_run_with_one_line()
    {
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-display", "none", "-serial", "file:/dev/full"),
            "-serial file:/dev/full: cannot write: No space left on device");
    }

    [Fact]
    public void Serial_file_in_a_missing_directory_is_one_line()
    {
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-display", "none", "-serial", "file:/nonexistent-dir/out"),
            "-serial file:/nonexistent-dir/out: cannot open: No such file or directory");
    }

    [Fact]
    public void Huge_memory_size_is_one_line()
    {
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-m", "9223372036854775808", "-display", "none"),
            "-m 9223372036854775808: RAM size too large (the virt machine here takes at most 2047 MiB)");
    }

    [Fact]
    public void Recording_into_a_directory_is_one_line()
    {
        using var dir = new TempDir();
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-display", "none", "-icount", $"shift=0,rr=record,rrfile={dir.Path}"),
            $"rrfile={dir.Path}: cannot create the recording: Is a directory");
        AssertOneLineError(RewindProcess.Run("-M", "virt", "-bios", "none", "-kernel", RepoPaths.Guest("hello"), "-display", "none", "-icount", $"shift=0,rr=replay,rrfile={dir.Path}"),
            $"rrfile={dir.Path}: is a directory, not a recording");
    }

    [Fact]
    public void One_MiB_of_RAM_puts_the_device_tree_over_the_kernel_and_is_refused()
    {
        string kernel = RepoPaths.Guest("hello");
        var r = RewindProcess.Run("-M", "virt", "-m", "1", "-bios", "none", "-kernel", kernel, "-display", "none");
        Assert.True(r.ExitCode == 1, r.ToString());
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith($"rewind: Some ROM regions are overlapping: kernel '{kernel}' (0x80000000-", line);
        Assert.EndsWith("and device tree (0x80000000-0x80100000)", line);
    }

    [Fact]
    public void Default_firmware_and_a_kernel_linked_at_its_address_are_refused()
    {
        if (Rewind.Board.VirtBoard.FindDefaultBios() is not string bios) return; // no OpenSBI on this host
        string kernel = RepoPaths.Guest("hello");
        var r = RewindProcess.Run("-M", "virt", "-kernel", kernel, "-display", "none");
        Assert.True(r.ExitCode == 1, r.ToString());
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith($"rewind: Some ROM regions are overlapping: bios '{bios}' (0x80000000-", line);
        Assert.Contains($"and kernel '{kernel}' (0x80000000-", line);
    }
}
