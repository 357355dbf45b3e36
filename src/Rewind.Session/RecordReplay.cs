using Rewind.Board;
using Rewind.Core.Execution;
using Rewind.Replay.Log;
using Rewind.Replay.Recording;
using Rewind.Replay.TimeTravel;

namespace Rewind.Session;

/// <summary>Builds the recording header for a machine's configuration and opens recordings for replay.</summary>
public static class RecordReplay
{
    public static RecordingHeader HeaderFor(string machine, BoardOptions board)
    {
        var config = new OrderedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["machine"] = machine,
            ["ram"] = board.RamSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["smp"] = board.Smp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["icount_shift"] = board.IcountShift.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["bios"] = board.Bios,
            ["kernel"] = board.Kernel ?? "",
            ["append"] = board.Append ?? "",
        };
        // Only an aarch64 machine names its architecture, so RISC-V headers stay as they always were.
        if (board.Arch == GuestArch.Aarch64)
        {
            config["arch"] = "aarch64";
            config["cpu"] = board.ArmCpu.ToString();
            config["semihosting"] = board.Semihosting ? "on" : "off";
        }
        // Only when given, so recordings made before -initrd existed still match.
        if (board.Initrd != null) config["initrd"] = board.Initrd;
        // Only machines with virtio devices have the key, so older recordings still match machines without.
        if (VirtioSlots.Describe(board) is string virtio) config["virtio"] = virtio;
        var images = Boards.ImagesFor(board)
            .Select(i => ImageHash.Of(i.Role, i.Path))
            .ToList();
        return new RecordingHeader { Config = config, Images = images };
    }

    public static ReplayLogWriter CreateWriter(string path, RecordingHeader header)
    {
        try
        {
            return ReplayLogWriter.Create(path, header);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = Directory.Exists(path) ? "Is a directory"
                : e is DirectoryNotFoundException ? "No such file or directory"
                : e is UnauthorizedAccessException ? "Permission denied"
                : e.Message;
            throw new SessionException($"rrfile={path}: cannot create the recording: {reason}");
        }
    }

    public static ReplayInput OpenForReplay(string path, RecordingHeader expected)
    {
        if (Directory.Exists(path)) throw new SessionException($"rrfile={path}: is a directory, not a recording");
        if (!File.Exists(path)) throw new SessionException($"rrfile={path}: no such recording");
        ReplayInput input;
        try
        {
            input = ReplayInput.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SessionException($"rrfile={path}: {e.Message}");
        }
        var differences = input.Header.Differences(expected).ToList();
        if (differences.Count > 0)
            throw new SessionException($"replay refused, the machine differs from the recording: {string.Join("; ", differences)}");
        return input;
    }

    /// <summary>rrsnapshot=NAME while recording: the starting machine goes into the recording itself.</summary>
    public static void SaveStartSnapshot(RecordingInput recorder, Machine machine, string name) =>
        recorder.WriteSnapshot(machine.Icount, name, MachineImage.Save(machine));

    /// <summary>rrsnapshot=NAME while replaying: start from that snapshot of the recording.</summary>
    public static void LoadStartSnapshot(ReplayInput replay, Machine machine, string name, string path)
    {
        var named = replay.Snapshots.Where(s => s.Name == name).ToList();
        if (named.Count == 0)
        {
            var names = replay.Snapshots.Select(s => s.Name).Where(n => !string.IsNullOrEmpty(n)).Distinct().ToList();
            throw new SessionException($"rrsnapshot={name}: {path} has no snapshot of that name " +
                (names.Count == 0 ? "(it has none; record with rrsnapshot=NAME to keep one)" : $"(it has: {string.Join(", ", names)})"));
        }
        var snap = named[0];
        if (snap.Icount != 0)
            throw new SessionException($"rrsnapshot={name}: the snapshot is at instruction {snap.Icount}; only a snapshot at the start can begin a replay");
        try
        {
            MachineImage.Load(machine, snap.Data);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or OverflowException)
        {
            throw new SessionException($"rrsnapshot={name}: the snapshot in {path} (record {snap.Index} at byte offset {snap.Offset}) is damaged: {e.Message}");
        }
    }
}
