using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Replay.Tests.Log;

internal static class LogTestData
{
    public static byte[] Hash(byte seed)
    {
        var h = new byte[32];
        for (int i = 0; i < h.Length; i++)
            h[i] = (byte)(seed * 31 + i);
        return h;
    }

    public static RecordingHeader Header() => new(
        [
            new("machine", "virt"),
            new("ram", "134217728"),
            new("smp", "1"),
            new("icount_shift", "3"),
            new("bios", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"),
            new("kernel", "hello.elf"),
            new("append", "console=ttyS0"),
        ],
        [
            new ImageHash("bios", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf", Hash(1)),
            new ImageHash("kernel", "hello.elf", Hash(2)),
        ]);

    /// <summary>A small recording with every record kind.</summary>
    public static byte[] SmallRecording()
    {
        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, Header(), leaveOpen: true))
        {
            w.WriteSnapshot(0, "init", [1, 2, 3, 4, 5]);
            w.WriteClockRead(10, 1_700_000_000_000_000_000);
            w.WriteInput(1000, InputChannel.Serial0, "ls\r"u8);
            w.WriteDigest(5000, Hash(9));
            w.WriteMonitor(6000, "info registers");
            w.WriteInput(7000, InputChannel.Power, [1]);
            w.WriteEnd(7001, "poweroff");
        }
        return ms.ToArray();
    }

    public const int SmallRecordingRecords = 7;

    /// <summary>Reads everything; returns the records and the reader (for its status).</summary>
    public static (List<LogRecord> Records, ReplayLogReader Reader) ReadAll(byte[] file)
    {
        var reader = new ReplayLogReader(new MemoryStream(file));
        var records = new List<LogRecord>();
        int guard = 0;
        while (reader.TryReadNext(out var r))
        {
            records.Add(r);
            Assert.True(++guard < 1_000_000, "reader loops");
        }
        return (records, reader);
    }

    /// <summary>A stream that hides its length, like a pipe.</summary>
    public sealed class NonSeekableStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
