namespace Rewind.Board.Loading;

/// <summary>A flat binary (such as u-boot.bin) that goes to a given address and starts at its first byte.</summary>
public sealed record RawImage(byte[] Bytes, ulong LoadAddress)
{
    public ulong Entry => LoadAddress;
    public ulong End => LoadAddress + (ulong)Bytes.Length;
}
