namespace Rewind.Devices.Block;

/// <summary>
/// A disk image as a block device sees it: a length in bytes and reads at any offset. Formats (raw,
/// later qcow2) implement it; the machine never writes to it except when the user asked for write-through
/// (a live run without -snapshot), see <see cref="BlockDisk"/>.
/// </summary>
public interface IBlockImage : IDisposable
{
    long Length { get; }
    bool ReadOnly { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; bytes past the end read as zero.</summary>
    void Read(long offset, Span<byte> destination);

    /// <summary>Writes through to the image file (write-through runs only); throws when <see cref="ReadOnly"/>.</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Makes written data durable (the guest's flush, write-through runs only).</summary>
    void Flush();
}

/// <summary>A disk image that cannot be opened or used, as one line.</summary>
public sealed class BlockImageException(string message) : Exception(message);
