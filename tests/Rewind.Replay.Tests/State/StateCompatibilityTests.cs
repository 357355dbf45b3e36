using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Core.State;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.Tests.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Replay.Tests.State;

/// <summary>
/// Named, versioned state: the format-1 recordings committed under Data/v1 (state saved by position)
/// keep replaying, images and digests survive an added device or a part's newer version, and new
/// recordings cover only the sections they list.
/// </summary>
public class StateCompatibilityTests
{
    private sealed class Collect : ISerialBackend
    {
        private readonly MemoryStream _bytes = new();
        public void Write(byte b) => _bytes.WriteByte(b);
        public string Text => Encoding.Latin1.GetString(_bytes.ToArray());
    }

    private static string DataFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rewind.slnx")))
                return Path.Combine(dir.FullName, "tests", "Rewind.Replay.Tests", "Data", "v1", name);
        throw new InvalidOperationException($"no Rewind.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>The committed recordings: file, guest, harts, rrsnapshot name.</summary>
    public static TheoryData<string, string, int, string?, bool> FormatV1Recordings()
    {
        var data = new TheoryData<string, string, int, string?, bool>();
        foreach (bool dummy in new[] { false, true })
        {
            data.Add("bench.rr", "bench", 1, null, dummy);
            data.Add("bench-rrsnapshot-init.rr", "bench", 1, "init", dummy);
            data.Add("bench-smp2-rrsnapshot-init.rr", "bench", 2, "init", dummy);
            data.Add("input_timing-typed-abc.rr", "input_timing", 1, null, dummy);
        }
        return data;
    }

    private sealed record Replayed(string Output, MachineStop Stop, ulong Icount, int DigestsChecked, int DigestRecords, ulong EndIcount);

    /// <summary>Replays a recording as ./rewind does: rrsnapshot image first, then the events, digests checked.</summary>
    private static Replayed Replay(byte[] recording, string guest, int smp, string? snapshot, params (string Name, IStateful Part)[] extras)
    {
        using var reader = new ReplayLogReader(new MemoryStream(recording));
        var replay = new ReplayInput(reader);
        var serial = new Collect();
        var board = VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = RepoPaths.Guest(guest),
            IcountShift = 3,
            Smp = smp,
            Serial = serial,
            Input = replay,
        });
        foreach (var (name, part) in extras) board.Machine.AddState(name, part);
        replay.Machine = board.Machine;
        if (snapshot != null)
            MachineImage.Load(board.Machine, replay.Snapshots.Single(s => s.Name == snapshot).Data);
        MachineStop stop;
        do stop = board.Machine.Run(1_000_000_000);
        while (stop.Kind == StopKind.Reached);
        return new Replayed(serial.Text, stop, board.Machine.Icount, replay.DigestsChecked, CountDigests(recording), replay.EndIcount);
    }

    [Theory]
    [MemberData(nameof(FormatV1Recordings))]
    public void A_format_1_recording_replays_to_its_recorded_output_with_every_digest_verified(
        string file, string guest, int smp, string? snapshot, bool withAddedDevice)
    {
        byte[] recording = File.ReadAllBytes(DataFile(file));
        using (var reader = new ReplayLogReader(new MemoryStream(recording)))
            Assert.Equal(1, reader.Header.Version);
        var dummy = withAddedDevice ? new VersionedPart(1, 0x1234) : null;
        var r = dummy == null ? Replay(recording, guest, smp, snapshot) : Replay(recording, guest, smp, snapshot, ("dummy", dummy));
        Assert.Equal(File.ReadAllText(DataFile(file + ".stdout")), r.Output);
        Assert.Equal(StopKind.Exited, r.Stop.Kind);
        Assert.Equal(0, r.Stop.ExitCode);
        Assert.Equal(r.EndIcount, r.Icount);
        Assert.True(r.DigestRecords > 0);
        Assert.Equal(r.DigestRecords, r.DigestsChecked);
        if (dummy != null) Assert.Equal(0x1234UL, dummy.A); // not in the old state: keeps its reset value
    }

    [Theory]
    [InlineData("bench-rrsnapshot-init.rr", 1)]
    [InlineData("bench-smp2-rrsnapshot-init.rr", 2)]
    public void The_rrsnapshot_image_of_a_format_1_recording_loads_by_position_into_named_parts(string file, int smp)
    {
        using var reader = new ReplayLogReader(new MemoryStream(File.ReadAllBytes(DataFile(file))));
        var replay = new ReplayInput(reader);
        var image = replay.Snapshots.Single(s => s.Name == "init").Data;
        var fresh = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("bench"), IcountShift = 3, Smp = smp });
        var loaded = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = RepoPaths.Guest("bench"), IcountShift = 3, Smp = smp });
        var dummy = new VersionedPart(1, 0x1234) { A = 0x55 };
        loaded.Machine.AddState("dummy", dummy);
        var report = MachineImage.Load(loaded.Machine, image);
        Assert.Empty(report.Skipped);
        Assert.Equal(["dummy"], report.Missing);
        Assert.Equal(0x55UL, dummy.A);
        // The image was taken at icount 0 of the same program: the same state as a fresh machine.
        Assert.Equal(MachineDigest.Compute(fresh.Machine, StateLayout.FormatV1(fresh.Machine)),
                     MachineDigest.Compute(loaded.Machine, StateLayout.FormatV1(loaded.Machine)));
        Assert.Equal(0x1000UL, loaded.Machine.Cpus[0].Pc);
    }

    private static VirtBoard Board(string guest, IInputBoundary? input = null, ISerialBackend? serial = null) =>
        VirtBoard.Create(new BoardOptions
        {
            Bios = "none",
            Kernel = RepoPaths.Guest(guest),
            IcountShift = 3,
            Input = input,
            Serial = serial ?? new Collect(),
        });

    [Fact]
    public void An_image_with_a_section_this_machine_lacks_loads_and_skips_it()
    {
        var a = Board("revdebug").Machine;
        a.AddState("newdev", new VersionedPart(2, 0x1234) { A = 9 });
        a.Run(2000);
        byte[] image = MachineImage.Save(a);
        byte[] digest = MachineDigest.Compute(a, StateLayout.FormatV1(a));

        var b = Board("count_loop").Machine;
        var report = MachineImage.Load(b, image);
        Assert.Equal(["newdev"], report.Skipped);
        Assert.Empty(report.Missing);
        Assert.Equal(2000UL, b.Icount);
        Assert.Equal(digest, MachineDigest.Compute(b, StateLayout.FormatV1(b)));
    }

    [Fact]
    public void An_image_holding_a_part_at_an_older_version_loads_it_forward()
    {
        var a = Board("revdebug").Machine;
        a.AddState("dev", new VersionedPart(1, 0x1234) { A = 77 });
        byte[] image = MachineImage.Save(a);
        var b = Board("revdebug").Machine;
        var now = new VersionedPart(2, 0x1234) { A = 1, B = 1 };
        b.AddState("dev", now);
        MachineImage.Load(b, image);
        Assert.Equal((77UL, 7U), (now.A, now.B));
    }

    [Fact]
    public void A_new_image_names_every_part_the_virt_board_registers()
    {
        var m = Board("revdebug").Machine;
        Assert.Equal(["hart0", "clint", "plic", "uart0", "rtc", "test", "rom"], m.StatefulParts.Select(p => p.Name));
        Assert.Equal("hart0:1 clint:1 plic:1 uart0:1 rtc:1 test:1 rom:1", StateLayout.Of(m).Format());
    }

    [Fact]
    public void A_format_1_digest_is_the_old_positional_hash_of_the_parts_of_then()
    {
        var m = Board("revdebug").Machine;
        m.Run(3000);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
            foreach (var (_, part) in m.StatefulParts) part.SaveState(w);
        byte[] expected = [.. BitConverter.GetBytes(m.Cpus[0].Pc), .. System.Security.Cryptography.SHA256.HashData(ms.ToArray())];
        Assert.Equal(expected, MachineDigest.Compute(m, StateLayout.FormatV1(m)));
        m.AddState("dummy", new VersionedPart(1, 0x1234));
        Assert.Equal(expected, MachineDigest.Compute(m, StateLayout.FormatV1(m)));
        Assert.NotEqual(expected, MachineDigest.Compute(m));
    }

    /// <summary>Records bench with the extra parts given, through the library API.</summary>
    private static (byte[] Recording, string Output) RecordBench(params (string Name, IStateful Part)[] extra)
    {
        var ms = new MemoryStream();
        string kernel = RepoPaths.Guest("bench");
        var header = new RecordingHeader([new("machine", "virt"), new("smp", "1"), new("kernel", kernel)], [ImageHash.Of("kernel", kernel)]);
        var rec = new RecordingInput(new ReplayLogWriter(ms, header, leaveOpen: true), () => 1);
        var serial = new Collect();
        var board = Board("bench", rec, serial);
        foreach (var (name, part) in extra) board.Machine.AddState(name, part);
        rec.Machine = board.Machine;
        MachineStop stop;
        do stop = board.Machine.Run(1_000_000_000);
        while (stop.Kind == StopKind.Reached);
        rec.Finish(board.Machine.Icount, "poweroff");
        rec.Dispose();
        return (ms.ToArray(), serial.Text);
    }

    [Fact]
    public void A_new_recording_lists_its_sections_and_keeps_verifying_after_a_device_is_added_or_a_part_gains_a_field()
    {
        var (recording, output) = RecordBench(("dev", new VersionedPart(1, 0x1234)));
        using (var reader = new ReplayLogReader(new MemoryStream(recording)))
        {
            Assert.Equal(RecordingHeader.CurrentVersion, reader.Header.Version);
            Assert.True(reader.TryReadNext(out var first));
            Assert.Equal(RecordKind.StateLayout, first.Kind);
            Assert.Equal(0UL, first.Icount);
            Assert.Equal("hart0:1 clint:1 plic:1 uart0:1 rtc:1 test:1 rom:1 dev:1", first.Text);
        }

        var same = Replay(recording, "bench", 1, null, ("dev", new VersionedPart(1, 0x1234)));
        Assert.Equal(output, same.Output);
        Assert.True(same.DigestRecords > 0);
        Assert.Equal(same.DigestRecords, same.DigestsChecked);

        // A later build: "dev" gained a field (version 2, written back as version 1 for the digest) and
        // a new device "extra" exists. Neither changes what the recorded digests cover.
        var later = Replay(recording, "bench", 1, null, ("extra", new VersionedPart(1, 0x1234) { A = 0xfeed }), ("dev", new VersionedPart(2, 0x1234) { B = 0xdead }));
        Assert.Equal(output, later.Output);
        Assert.Equal(later.DigestRecords, later.DigestsChecked);
    }

    private static int CountDigests(byte[] recording)
    {
        int n = 0;
        using var reader = new ReplayLogReader(new MemoryStream(recording));
        while (reader.TryReadNext(out var r))
            if (r.Kind == RecordKind.Digest) n++;
        return n;
    }

    [Fact]
    public void A_new_recording_whose_listed_part_is_gone_reports_why_its_digest_cannot_be_checked()
    {
        var (recording, _) = RecordBench(("dev", new VersionedPart(1, 0x1234)));
        var e = Assert.Throws<ReplayDivergenceException>(() => Replay(recording, "bench", 1, null));
        Assert.Contains("'dev'", e.Message);
    }

    [Fact]
    public void Rewind_info_shows_the_format_version_and_the_state_layout()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rewind-state-{Guid.NewGuid():N}.rr");
        try
        {
            File.WriteAllBytes(path, RecordBench().Recording);
            string info = RecordingSummary.Read(path).Format();
            Assert.Contains($"format version {RecordingHeader.CurrentVersion}", info);
            Assert.Contains("state sections (name:version)\n  hart0:1 clint:1 plic:1 uart0:1 rtc:1 test:1 rom:1\n", info);
            Assert.Contains("format version 1", RecordingSummary.Read(DataFile("bench.rr")).Format());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
