using System.IO.Pipelines;

namespace Rewind.Fuzz.Tests;

/// <summary>
/// An in-memory connection: two pipes, one each way, so a server's session and the fuzzer talk
/// in-process exactly as over a socket (including end of stream when one side closes).
/// </summary>
public sealed class DuplexStream : Stream
{
    private readonly Stream _in;
    private readonly Stream _out;

    private DuplexStream(Stream input, Stream output)
    {
        _in = input;
        _out = output;
    }

    /// <summary>A connected pair: what one side writes, the other reads.</summary>
    public static (DuplexStream Server, DuplexStream Client) Pair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream()),
                new DuplexStream(toClient.Reader.AsStream(), toServer.Writer.AsStream()));
    }

    /// <summary>Ends this side's output: the other side reads end of stream, as after a socket's shutdown.</summary>
    public void CloseOutput() => _out.Dispose();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => _out.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _out.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => _in.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _in.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _in.ReadAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => _out.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _out.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _out.WriteAsync(buffer, offset, count, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _out.Dispose();
            _in.Dispose();
        }
        base.Dispose(disposing);
    }
}
