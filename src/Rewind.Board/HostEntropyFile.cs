namespace Rewind.Board;

/// <summary>rng-random's entropy file (/dev/urandom by default), read only by live runs through the input boundary.</summary>
internal sealed class HostEntropyFile
{
    private readonly FileStream _stream;

    private HostEntropyFile(FileStream stream) => _stream = stream;

    public static HostEntropyFile Open(string path)
    {
        try
        {
            return new HostEntropyFile(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BoardConfigException($"rng-random: cannot open '{path}': {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
        }
    }

    public void Fill(Span<byte> destination)
    {
        int got = 0;
        while (got < destination.Length)
        {
            int n = _stream.Read(destination[got..]);
            if (n <= 0)
            {
                // A file that ends (not a device) starts over, so the guest is never starved.
                _stream.Position = 0;
                if (_stream.Length == 0) throw new IOException("the entropy file is empty");
                continue;
            }
            got += n;
        }
    }
}
