using Rewind.Board.Devices;

namespace Rewind.Cli.Host;

/// <summary>
/// Serial output to a host stream. Buffered so a chatty guest does not pay a system call per byte;
/// flushed at line ends, when the machine stops, and by a host timer so that output without a
/// newline (a shell prompt, an echoed keystroke) still appears promptly. The timer only touches the
/// host stream, never guest state, so it cannot affect determinism.
/// </summary>
public sealed class StreamSerial : ISerialBackend, IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(20);

    private readonly BufferedStream _out;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private bool _pending;
    private bool _disposed;

    public StreamSerial(Stream stream)
    {
        _out = new BufferedStream(stream, 8192);
        _timer = new Timer(_ => FlushIfPending(), null, FlushInterval, FlushInterval);
    }

    public void Write(byte b)
    {
        lock (_gate)
        {
            if (_disposed) return;
            _out.WriteByte(b);
            if (b == (byte)'\n') { _out.Flush(); _pending = false; }
            else _pending = true;
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _out.Flush();
            _pending = false;
        }
    }

    private void FlushIfPending()
    {
        lock (_gate)
        {
            if (!_pending || _disposed) return;
            try { _out.Flush(); }
            catch (IOException) { /* reader went away (closed pipe); the machine keeps running */ }
            _pending = false;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _out.Dispose();
        }
    }
}
