using Rewind.Board.Devices;

namespace Rewind.Cli.Host;

/// <summary>
/// Serial output to a host stream. Buffered so a chatty guest does not pay a system call per byte;
/// flushed at line ends, when the machine stops, and by a host timer so that output without a
/// newline (a shell prompt, an echoed keystroke) still appears promptly. The timer only touches the
/// host stream, never guest state, so it cannot affect determinism. A host write that fails (a full
/// disk, a closed pipe) never reaches the guest: output stops and <see cref="WriteFailed"/> is raised once.
/// </summary>
public sealed class StreamSerial : ISerialBackend, IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(20);

    private readonly BufferedStream _out;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private bool _pending;
    private bool _disposed;
    private bool _failed;
    private string? _failure;

    /// <summary>Raised once, on the thread that wrote, with the host's reason, when writing fails; later output is dropped.</summary>
    public event Action<string>? WriteFailed;

    public StreamSerial(Stream stream)
    {
        _out = new BufferedStream(stream, 8192);
        _timer = new Timer(_ => FlushIfPending(), null, FlushInterval, FlushInterval);
    }

    public void Write(byte b)
    {
        lock (_gate)
        {
            if (_disposed || _failed) return;
            try
            {
                _out.WriteByte(b);
                if (b == (byte)'\n') { _out.Flush(); _pending = false; }
                else _pending = true;
            }
            catch (IOException e)
            {
                Fail(e);
            }
        }
        ReportFailure();
    }

    private void Fail(IOException e)
    {
        _failed = true;
        _pending = false;
        _failure = HostFileError.Reason(e);
    }

    /// <summary>Raises <see cref="WriteFailed"/> once, outside the lock, after a write failed.</summary>
    private void ReportFailure()
    {
        string? failure = Interlocked.Exchange(ref _failure, null);
        if (failure != null) WriteFailed?.Invoke(failure);
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed || _failed) return;
            try
            {
                _out.Flush();
            }
            catch (IOException e)
            {
                Fail(e);
            }
            _pending = false;
        }
        ReportFailure();
    }

    private void FlushIfPending()
    {
        lock (_gate)
        {
            if (!_pending || _disposed || _failed) return;
            try { _out.Flush(); }
            catch (IOException e) { Fail(e); }
            _pending = false;
        }
        ReportFailure();
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _out.Dispose();
            }
            catch (IOException)
            {
                // Already reported through WriteFailed, or nothing was left to write.
            }
        }
    }
}
