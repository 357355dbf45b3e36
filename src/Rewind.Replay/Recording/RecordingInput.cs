using Rewind.Core.Execution;
using Rewind.Core.Input;
using Rewind.Replay.Log;

namespace Rewind.Replay.Recording;

/// <summary>
/// Host input that is also written to the recording, stamped with the instruction count at which it
/// reached the guest. Also logs a state digest every <see cref="DigestInterval"/> instructions, which
/// doubles as a progress mark: a recording cut short by a crash still replays up to its last mark.
/// <para>
/// Durability: an input record is handed to the operating system (written to the file) before the guest
/// sees the input, so a recorder killed at any moment (SIGKILL) loses no input the guest acted on. Once
/// a second, and at the end, the file is also synced to the disk (fsync), so a power loss loses at
/// most about a second. Clock reads and digests go out with the next input, the buffer's own flushes
/// or the timer.
/// </para>
/// </summary>
public sealed class RecordingInput : LiveInput, IDisposable
{
    public const ulong DigestInterval = 1UL << 24;

    private readonly ReplayLogWriter _writer;
    private readonly Timer _flushTimer;
    private readonly object _lock = new();
    private ulong _nextDigest = DigestInterval;

    public RecordingInput(ReplayLogWriter writer, Func<ulong>? hostClock = null) : base(hostClock)
    {
        _writer = writer;
        // A power loss loses at most about a second of events (a killed recorder loses no input).
        _flushTimer = new Timer(_ => FlushToDisk(), null, 1000, 1000);
    }

    /// <summary>
    /// The machine whose state the digests cover. Setting it the first time logs its state layout (the
    /// sections and versions that every digest of this recording hashes), before any digest.
    /// </summary>
    public Machine? Machine
    {
        get => _machine;
        set
        {
            _machine = value;
            if (value == null || _layout != null) return;
            _layout = StateLayout.Of(value);
            lock (_lock) _writer.WriteStateLayout(value.Icount, _layout.Format());
        }
    }

    private Machine? _machine;
    private StateLayout? _layout;

    public override ulong NextDueIcount => _nextDigest;

    public override void DeliverDue(ulong icount)
    {
        base.DeliverDue(icount);
        if (icount >= _nextDigest && _machine != null && _layout != null)
        {
            lock (_lock) _writer.WriteDigest(icount, MachineDigest.Compute(_machine, _layout));
            _nextDigest = (icount / DigestInterval + 1) * DigestInterval;
        }
    }

    protected override void OnDeliver(ulong icount, InputChannel channel, byte[] data)
    {
        lock (_lock)
        {
            _writer.WriteInput(icount, channel, data);
            // Into the file before the guest acts on it: a SIGKILL from now on cannot lose it.
            _writer.Flush();
        }
    }

    protected override void OnClockRead(ulong icount, ulong value)
    {
        lock (_lock) _writer.WriteClockRead(icount, value);
    }

    protected override void OnEntropyRead(ulong icount, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _writer.WriteInput(icount, InputChannel.Entropy, data);
            // As for any input: in the file before the guest sees the bytes.
            _writer.Flush();
        }
    }

    public override bool ChecksDiskReads => true;

    /// <summary>What a disk read from its image: a check for the replay, not an input, so it needs no flush of its own.</summary>
    public override void CheckDiskRead(ulong icount, ReadOnlySpan<byte> fingerprint)
    {
        lock (_lock) _writer.WriteInput(icount, InputChannel.DiskRead, fingerprint);
    }

    // Console output waiting for the end of its line: one Output record per line keeps the count of the
    // newline exact and costs a few bytes per line.
    private readonly byte[] _line = new byte[1024];
    private int _lineLength;
    private ulong _lineLastIcount;

    /// <summary>
    /// The guest wrote <paramref name="b"/> to the console at <paramref name="icount"/> (run-loop thread).
    /// Each line goes into the recording as an Output record when its newline is written.
    /// </summary>
    public void NoteOutput(ulong icount, byte b)
    {
        _line[_lineLength++] = b;
        _lineLastIcount = icount;
        // Stamped just after the writing instruction: a replay that reaches the record (the last one of
        // a killed recording, say) has written the whole line.
        if (b == '\n' || _lineLength == _line.Length) FlushOutput(icount + 1);
    }

    private void FlushOutput(ulong recordIcount)
    {
        if (_lineLength == 0) return;
        lock (_lock) _writer.WriteOutput(Math.Max(recordIcount, _writer.LastIcount), _lineLastIcount, _line.AsSpan(0, _lineLength));
        _lineLength = 0;
    }

    public void WriteSnapshot(ulong icount, string name, ReadOnlySpan<byte> payload)
    {
        lock (_lock) _writer.WriteSnapshot(icount, name, payload);
    }

    public void Finish(ulong icount, string reason)
    {
        _flushTimer.Dispose();
        FlushOutput(icount);
        lock (_lock)
        {
            _writer.WriteEnd(icount, reason);
            _writer.Flush();
        }
    }

    private void FlushToDisk()
    {
        lock (_lock) _writer.FlushToDisk();
    }

    public void Dispose()
    {
        _flushTimer.Dispose();
        lock (_lock) _writer.Dispose();
    }
}
