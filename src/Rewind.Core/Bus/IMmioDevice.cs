namespace Rewind.Core.Bus;

/// <summary>
/// A device register window. Accesses arrive with the offset inside the window and a size of 1, 2, 4
/// or 8 bytes; a device that does not decode an access returns 0 and ignores writes, as the virt
/// board's devices do.
/// </summary>
public interface IMmioDevice
{
    string Name { get; }
    ulong Read(ulong offset, int size);
    void Write(ulong offset, int size, ulong value);
}
