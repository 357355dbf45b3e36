using Microsoft.Win32.SafeHandles;

namespace Rewind.Devices.Block;

/// <summary>A raw disk image file: byte N of the disk is byte N of the file.</summary>
public sealed class RawFileImage : IBlockImage
{
    private readonly SafeFileHandle _file;

    private RawFileImage(SafeFileHandle file, long length, bool readOnly)
    {
        _file = file;
        Length = length;
        ReadOnly = readOnly;
    }

    /// <summary>Opens <paramref name="path"/>; <paramref name="writable"/> only for write-through runs.</summary>
    public static RawFileImage Open(string path, bool writable)
    {
        if (Directory.Exists(path)) throw new BlockImageException($"'{path}': is a directory, not a disk image");
        if (!File.Exists(path)) throw new BlockImageException($"'{path}': no such file");
        try
        {
            var handle = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
            return new RawFileImage(handle, RandomAccess.GetLength(handle), !writable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BlockImageException($"'{path}': {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}");
        }
    }

    public long Length { get; }
    public bool ReadOnly { get; }

    public void Read(long offset, Span<byte> destination)
    {
        int got = 0;
        while (got < destination.Length)
        {
            int n = offset + got >= Length ? 0 : RandomAccess.Read(_file, destination[got..], offset + got);
            if (n <= 0)
            {
                destination[got..].Clear();
                return;
            }
            got += n;
        }
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        if (ReadOnly) throw new InvalidOperationException("the image is open read-only");
        RandomAccess.Write(_file, data, offset);
    }

    public void Flush()
    {
        if (!ReadOnly) RandomAccess.FlushToDisk(_file);
    }

    public void Dispose() => _file.Dispose();
}
