using System.Globalization;
using System.Text.RegularExpressions;

namespace Rewind.EndToEnd.Tests;

/// <summary>
/// A recording of Linux (scripts/build-linux.sh) booting with a virtio-blk disk made here, its init
/// reading the disk with `dd` twice before powering off, all from `-append`, so nothing is typed.
/// </summary>
public sealed class LinuxDiskRecording : IDisposable
{
    private readonly TempDir _dir = new();

    /// <summary>What init runs: 64 KiB in 4 KiB reads, then 1 MiB (the first 64 KiB from the page cache).</summary>
    public const string Commands = "dd /dev/vda 64K 4K; dd /dev/vda 1M; poweroff";

    public LinuxDiskRecording()
    {
        var linux = LinuxWorkload.Require();
        Vmlinux = linux.Vmlinux;
        Disk = _dir.File("disk.raw");
        var bytes = new byte[2 << 20];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 + (i >> 9));
        System.IO.File.WriteAllBytes(Disk, bytes);
        File = _dir.File("linux-disk.rr");
        Args = ["-M", "virt", "-bios", "default", "-kernel", linux.Image, "-initrd", linux.Initramfs,
                "-append", "console=ttyS0 -- " + Commands, "-nographic",
                "-drive", $"file={Disk},format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0"];
        Recorded = RewindProcess.Run([.. Args, "-icount", $"shift=3,rr=record,rrfile={File}"], null, TimeSpan.FromMinutes(15));
        if (Recorded.ExitCode != 0 || !Recorded.Stdout.Contains("reboot: Power down", StringComparison.Ordinal))
            throw new InvalidOperationException($"recording Linux with a disk failed: {Recorded}");
        // init's dd prints the FNV-1a hash of what it read: the guest read the disk made here.
        foreach (int length in new[] { 64 << 10, 1 << 20 })
        {
            string line = $"dd: {length} bytes fnv1a {Fnv1a(bytes.AsSpan(0, length)):x8}";
            if (!Recorded.Stdout.Contains(line, StringComparison.Ordinal))
                throw new InvalidOperationException($"the recorded guest did not print '{line}': {Recorded}");
        }
    }

    public string File { get; }
    public string Disk { get; }
    public string Vmlinux { get; }
    public string[] Args { get; }
    public ProcessResult Recorded { get; }

    private static uint Fnv1a(ReadOnlySpan<byte> data)
    {
        uint hash = 2166136261;
        foreach (byte b in data) hash = (hash ^ b) * 16777619;
        return hash;
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// Reverse debugging Linux's virtio-blk driver with the real gdb-multiarch, on the kernel's vmlinux
/// (symbols, no DWARF): in a replay of <see cref="LinuxDiskRecording"/>, reverse-continue from one
/// request to the one before, reverse-stepi out of the disk's completion interrupt back to the
/// instruction it interrupted, and a reverse watchpoint on the used ring's index, which only the device
/// writes (DMA), stopping at the count of the device's write.
/// </summary>
public class LinuxDriverReverseDebuggingTests(LinuxDiskRecording recording) : IClassFixture<LinuxDiskRecording>
{
    /// <summary>A hang guard for moves through a Linux replay on a loaded machine, never a timing assertion.</summary>
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(10);

    /// <summary>scause of a supervisor external interrupt (the PLIC's, raised by the virtio-mmio device).</summary>
    private const ulong SupervisorExternalInterrupt = 0x8000_0000_0000_0009;
    private const ulong SstatusSie = 1 << 1, SstatusSpie = 1 << 5;

    /// <summary>A replay of the recording under `-S`, with gdb-multiarch attached on vmlinux and scripts/rewind.py loaded.</summary>
    private sealed class Session : IDisposable
    {
        private readonly TempDir _dir = new();
        private readonly RewindRun _replay;

        public Session(LinuxDiskRecording recording)
        {
            // Each session its own copy: bookmarks and nothing else would be written beside it.
            string rr = _dir.File("linux-disk.rr");
            System.IO.File.Copy(recording.File, rr);
            int port = FreePort.Get();
            _replay = new RewindRun([.. recording.Args, "-icount", $"shift=3,rr=replay,rrfile={rr}", "-gdb", $"tcp::{port}", "-S"]);
            _replay.WaitListening(port);
            Gdb = new GdbConsole(recording.Vmlinux, port);
            Gdb.Run("set remotetimeout 30");
        }

        public GdbConsole Gdb { get; }

        /// <summary>Runs a command, failing the test with the whole exchange if GDB reports an error.</summary>
        public string Run(string command, TimeSpan? timeout = null)
        {
            string o;
            try
            {
                o = Gdb.Run(command, timeout ?? Slow);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException(e.Message + "\n" + _replay, e);
            }
            return o;
        }

        /// <summary>The instruction count the replay is at (scripts/rewind.py's `rewind when`).</summary>
        public ulong When()
        {
            string o = Run("rewind when");
            var m = Regex.Match(o, @"instruction (\d+) of \d+");
            Assert.True(m.Success, $"no instruction count in 'rewind when': {o}\n{Context}");
            return ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        /// <summary>The value of an expression, printed in hex (GDB's prompt may come first on the line).</summary>
        public ulong Hex(string expression)
        {
            string o = Run("p/x " + expression);
            var m = Regex.Match(o, @"^(?:\(gdb\) )*\$\d+ = (?:\([^)]*\) )?0x([0-9a-f]+)", RegexOptions.Multiline);
            Assert.True(m.Success, $"p/x {expression} printed: {o}\n{Context}");
            return ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        /// <summary>The function the symbols name for an address (`info symbol`), e.g. "virtio_queue_rq".</summary>
        public string Function(string address)
        {
            string o = Run("info symbol " + address);
            var m = Regex.Match(o, @"^(?:\(gdb\) )*(\w+)(?: \+ \d+)? in section", RegexOptions.Multiline);
            return m.Success ? m.Groups[1].Value : "(" + o.Trim() + ")";
        }

        public string Context => "\n--- gdb ---\n" + Gdb.Output + "\n" + _replay;

        public void Dispose()
        {
            Gdb.Dispose();
            _replay.Dispose();
            Assert.DoesNotContain("   at ", _replay.Stderr);
            Assert.DoesNotContain("internal error", _replay.Stderr);
            _dir.Dispose();
        }
    }

    private static string Hex(ulong v) => $"0x{v:x}";

    [Fact]
    public void Reverse_continue_from_a_disk_request_stops_at_the_previous_one_in_virtio_queue_rq()
    {
        using var s = new Session(recording);
        Assert.Contains("Breakpoint 1 at", s.Run("break virtio_queue_rq"));
        // Four requests forwards, each with its count and the arguments it was called with.
        var forward = new List<(ulong Count, ulong Hctx, ulong Bd, ulong Sp, ulong Ra)>();
        for (int i = 0; i < 4; i++)
        {
            string hit = s.Run("continue");
            Assert.True(Regex.IsMatch(hit, @"Breakpoint 1, 0x[0-9a-f]+ in virtio_queue_rq \(\)"), $"continue #{i + 1}: {hit}" + s.Context);
            forward.Add((s.When(), s.Hex("$a0"), s.Hex("$a1"), s.Hex("$sp"), s.Hex("$ra")));
        }
        Assert.True(forward.Select(f => f.Count).Distinct().Count() == 4, "the four hits are not at four counts" + s.Context);

        // Back to the request before, twice: the same counts and the same arguments as forwards.
        for (int back = 2; back >= 1; back--)
        {
            string hit = s.Run("reverse-continue");
            Assert.True(Regex.IsMatch(hit, @"Breakpoint 1, 0x[0-9a-f]+ in virtio_queue_rq \(\)"), $"reverse-continue: {hit}" + s.Context);
            var f = forward[back];
            ulong at = s.When();
            Assert.True(at == f.Count, $"reverse-continue stopped at instruction {at}, expected the earlier request's {f.Count}" + s.Context);
            Assert.Equal((f.Hctx, f.Bd, f.Sp, f.Ra), (s.Hex("$a0"), s.Hex("$a1"), s.Hex("$sp"), s.Hex("$ra")));
            Assert.Equal("virtio_queue_rq", s.Function("$pc"));
        }
        // And forwards again to the next request, as the first time.
        s.Run("continue");
        Assert.Equal(forward[2].Count, s.When());
    }

    [Fact]
    public void Reverse_stepi_from_the_completion_interrupts_trap_entry_goes_back_to_the_interrupted_instruction()
    {
        using var s = new Session(recording);
        // The virtio-mmio interrupt handler, on a completion of one of dd's reads (the first is the
        // boot's partition scan).
        s.Run("break vm_interrupt");
        string hit = "";
        for (int i = 0; i < 3; i++) hit = s.Run("continue");
        Assert.True(Regex.IsMatch(hit, @"Breakpoint 1, 0x[0-9a-f]+ in vm_interrupt \(\)"), hit + s.Context);
        ulong handler = s.When();
        s.Run("delete");

        // Back to the trap entry (Linux's stvec, handle_exception) of this interrupt.
        ulong stvec = s.Hex("$stvec");
        Assert.Equal("handle_exception", s.Function(Hex(stvec)));
        s.Run($"break *{Hex(stvec)} if $scause == {Hex(SupervisorExternalInterrupt)}");
        hit = s.Run("reverse-continue");
        Assert.True(Regex.IsMatch(hit, @"Breakpoint 2, 0x[0-9a-f]+ in handle_exception \(\)"), hit + s.Context);
        ulong trap = s.When();
        Assert.True(trap < handler, $"the trap entry at {trap} is not before the handler at {handler}" + s.Context);
        Assert.Equal(stvec, s.Hex("$pc"));
        Assert.Equal(SupervisorExternalInterrupt, s.Hex("$scause"));
        ulong sepc = s.Hex("$sepc"), sstatus = s.Hex("$sstatus");
        Assert.True((sstatus & SstatusSie) == 0 && (sstatus & SstatusSpie) != 0,
            $"sstatus {Hex(sstatus)} at the trap entry: interrupts were not enabled before it, or are still" + s.Context);
        s.Run("delete");

        // One instruction back, across the trap entry: the interrupted instruction, interrupts enabled,
        // at the privilege the trap saved in sstatus.SPP.
        s.Run("reverse-stepi");
        Assert.Equal(trap - 1, s.When());
        ulong pc = s.Hex("$pc");
        Assert.True(pc == sepc, $"reverse-stepi from the trap entry went to {Hex(pc)}, expected sepc {Hex(sepc)}" + s.Context);
        Assert.True((s.Hex("$sstatus") & SstatusSie) != 0, "interrupts are disabled at the interrupted instruction" + s.Context);
        Assert.Equal((sstatus >> 8) & 1, s.Hex("$priv"));
        Assert.Matches($@"=> 0x0*{pc:x} <\w+(?:\+\d+)?>:\t\w+", s.Run("x/i $pc"));

        // Forwards again (GDB steps RISC-V in software, so a breakpoint catches the trap): the same entry.
        s.Run($"break *{Hex(stvec)}");
        hit = s.Run("continue");
        Assert.True(Regex.IsMatch(hit, @"Breakpoint 3, 0x[0-9a-f]+ in handle_exception \(\)"), hit + s.Context);
        Assert.Equal(trap, s.When());
        Assert.Equal((SupervisorExternalInterrupt, sepc), (s.Hex("$scause"), s.Hex("$sepc")));
    }

    [Fact]
    public void Reverse_watchpoint_on_the_used_ring_index_stops_at_the_devices_write()
    {
        using var s = new Session(recording);
        // A completion of the dd reads: virtblk_done(struct virtqueue *vq).
        s.Run("break virtblk_done");
        string hit = "";
        for (int i = 0; i < 3; i++) hit = s.Run("continue");
        Assert.True(Regex.IsMatch(hit, @"Breakpoint 1, 0x[0-9a-f]+ in virtblk_done \(\)"), hit + s.Context);
        ulong done = s.When();
        s.Run("delete");

        // Without DWARF, the split ring is found in the virtqueue by its shape: num, then the
        // descriptor table, the available ring right after it, the used ring at the next page.
        ulong used = UsedRing(s, s.Hex("$a0"));
        string index = $"*(unsigned short *){Hex(used + 2)}";
        ulong now = s.Hex(index);

        // The extension's search names the device as the writer.
        string last = s.Run($"rewind last-write {index}");
        var lw = Regex.Match(last, @"written at instruction (\d+) by a device \(DMA\), while hart 0 was at pc 0x[0-9a-f]+ in \w+");
        Assert.True(lw.Success, "rewind last-write did not find the device's write: " + last + s.Context);
        Assert.Contains($"{index}: {(now - 1) & 0xffff} -> {now}", last);
        ulong written = ulong.Parse(lw.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Contains($"rewind: at instruction {done}", s.Run($"rewind goto {done}"));

        // GDB's own reverse watchpoint: stops at that count, the index as it was before the device wrote it.
        Assert.Contains("Hardware watchpoint 2", s.Run($"watch {index}"));
        hit = s.Run("reverse-continue");
        Assert.True(Regex.IsMatch(hit, $@"Hardware watchpoint 2: {Regex.Escape(index)}\s+Old value = {now}\s+New value = {(now - 1) & 0xffff}\s"),
            "reverse-continue on the watchpoint: " + hit + s.Context);
        Assert.Equal(written, s.When());
        Assert.Equal((now - 1) & 0xffff, s.Hex(index));

        // The completion before, further back.
        hit = s.Run("reverse-continue");
        Assert.True(Regex.IsMatch(hit, $@"Hardware watchpoint 2: {Regex.Escape(index)}\s+Old value = {(now - 1) & 0xffff}\s+New value = {(now - 2) & 0xffff}\s"),
            "the second reverse-continue: " + hit + s.Context);
        ulong before = s.When();
        Assert.True(before < written, $"the earlier write at {before} is not before {written}" + s.Context);

        // Forwards, the same write again, reported with its new value. GDB first steps off the stop in
        // software (a breakpoint on the next instruction), which may run an interrupt handler first.
        hit = s.Run("continue");
        Assert.True(Regex.IsMatch(hit, $@"Hardware watchpoint 2: {Regex.Escape(index)}\s+Old value = {(now - 2) & 0xffff}\s+New value = {(now - 1) & 0xffff}\s"),
            "continue on the watchpoint: " + hit + s.Context);
        Assert.InRange(s.When(), before, written - 1);

        // Back over the whole boot before the disk's first completion: a search long enough to be split
        // among clones of the machine (disk and watched RAM included). It finds the allocation's writes or
        // the start of history, without an error.
        s.Run($"rewind goto {before}");
        hit = s.Run("reverse-continue");
        Assert.True(Regex.IsMatch(hit, @"Hardware watchpoint 2: |No more reverse-execution history\.") && !hit.Contains("Remote failure", StringComparison.Ordinal),
            "reverse-continue over the boot: " + hit + s.Context);
        Assert.True(s.When() < before, s.Context);
    }

    /// <summary>
    /// The used ring of the split virtqueue at <paramref name="vq"/>: Linux's vring_virtqueue holds a
    /// struct vring {num, desc, avail, used}; legacy virtio-mmio lays the ring out as the spec says,
    /// the available ring right after num descriptors and the used ring at the next 4 KiB boundary.
    /// </summary>
    private static ulong UsedRing(Session s, ulong vq)
    {
        string o = s.Run($"x/48gx {Hex(vq)}");
        var words = Regex.Matches(o, @"\t0x([0-9a-f]{16})").Select(m => ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToList();
        Assert.True(words.Count == 48, "x/48gx printed: " + o + s.Context);
        for (int i = 0; i + 3 < words.Count; i++)
        {
            ulong num = words[i] & 0xffff_ffff, desc = words[i + 1], avail = words[i + 2], used = words[i + 3];
            if (num == 0 || (num & (num - 1)) != 0 || num > 32768) continue;
            if (avail != desc + 16 * num) continue;
            if (used != ((avail + 6 + 2 * num + 4095) & ~4095UL)) continue;
            return used;
        }
        Assert.Fail($"no split ring (num, desc, avail, used) in the virtqueue at {Hex(vq)}: {o}" + s.Context);
        return 0;
    }
}
