using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Rewind.Core.Input;

/// <summary>
/// Host input with no recording. Host threads enqueue; the run loop delivers at slice boundaries, so
/// bytes land between instructions and never while a hart is mid-instruction.
/// </summary>
public class LiveInput : IInputBoundary
{
    private readonly ConcurrentQueue<(InputChannel Channel, byte[] Data)> _pending = new();
    private readonly Dictionary<InputChannel, IInputSink> _sinks = [];
    private readonly Func<ulong> _hostClock;

    public LiveInput(Func<ulong>? hostClock = null) =>
        _hostClock = hostClock ?? (() => (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);

    public virtual ulong NextDueIcount => ulong.MaxValue;

    public bool HasPending => !_pending.IsEmpty;

    public ulong? HistoryEnd => null;

    /// <summary>Thread-safe: called by host reader threads.</summary>
    public void Enqueue(InputChannel channel, byte[] data) => _pending.Enqueue((channel, data));

    public void Attach(InputChannel channel, IInputSink sink) => _sinks[channel] = sink;

    public virtual void DeliverDue(ulong icount)
    {
        while (_pending.TryDequeue(out var item))
        {
            OnDeliver(icount, item.Channel, item.Data);
            if (_sinks.TryGetValue(item.Channel, out var sink))
                sink.Receive(item.Data);
        }
    }

    /// <summary>
    /// Delivers (and, when recording, logs) an input at once, at <paramref name="icount"/>. Only for
    /// callers that hold the machine stopped there, such as a debugger that must read its write back.
    /// </summary>
    public void DeliverNow(ulong icount, InputChannel channel, byte[] data)
    {
        OnDeliver(icount, channel, data);
        if (_sinks.TryGetValue(channel, out var sink)) sink.Receive(data);
    }

    public ulong ReadHostClock(ulong icount)
    {
        ulong value = _hostClock();
        OnClockRead(icount, value);
        return value;
    }

    /// <summary>Hook for a recorder: an input is about to reach the guest at <paramref name="icount"/>.</summary>
    protected virtual void OnDeliver(ulong icount, InputChannel channel, byte[] data) { }

    protected virtual void OnClockRead(ulong icount, ulong value) { }

    /// <summary>Where live entropy comes from: the operating system's generator unless set (rng-random,filename=F).</summary>
    public Action<Span<byte>> EntropySource { get; set; } = RandomNumberGenerator.Fill;

    public void ReadEntropy(ulong icount, Span<byte> destination)
    {
        EntropySource(destination);
        OnEntropyRead(icount, destination);
    }

    /// <summary>Hook for a recorder: entropy handed to the guest at <paramref name="icount"/>.</summary>
    protected virtual void OnEntropyRead(ulong icount, ReadOnlySpan<byte> data) { }

    /// <summary>A live run checks nothing; a recorder logs the fingerprints.</summary>
    public virtual bool ChecksDiskReads => false;

    public virtual void CheckDiskRead(ulong icount, ReadOnlySpan<byte> fingerprint) { }
}
