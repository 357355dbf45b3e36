using System.Buffers.Binary;
using Rewind.Core.Bus;
using Rewind.Core.Memory;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// QEMU's firmware configuration device in its MMIO form (fw-cfg-mmio on the arm virt board): a
/// 64-bit data register at 0x0 that streams the selected item, a big-endian 16-bit selector at 0x8,
/// and the big-endian DMA address register at 0x10. The items are the ones QEMU's virt board gives a
/// firmware boot without -kernel: the signature, the interface ID (traditional and DMA), the UUID,
/// the CPU counts, and an empty file directory. Unregistered items read as zeros, as in QEMU. All of
/// it is a function of the command line, so nothing crosses the input boundary.
/// </summary>
public sealed class FwCfg : IMmioDevice, IStateful
{
    public const ulong Size = 0x18;
    public const ushort Signature = 0x00, Id = 0x01, Uuid = 0x02, NbCpus = 0x05, KernelSize = 0x08, MaxCpus = 0x0f, FileDir = 0x19;
    private const uint DmaError = 0x01, DmaRead = 0x02, DmaSkip = 0x04, DmaSelect = 0x08, DmaWrite = 0x10;
    /// <summary>"QEMU CFG", what a read of the DMA register returns (big-endian).</summary>
    private const ulong DmaSignature = 0x5145_4d55_2043_4647;

    private readonly Dictionary<ushort, byte[]> _items = [];
    private readonly PhysicalMemory _ram;
    private ushort _selector;
    private uint _offset;
    private uint _dmaHigh;

    public FwCfg(PhysicalMemory ram, int cpus)
    {
        _ram = ram;
        _items[Signature] = "QEMU"u8.ToArray();
        _items[Id] = [0x03, 0, 0, 0]; // traditional interface and DMA
        _items[Uuid] = new byte[16];
        _items[NbCpus] = [(byte)cpus, 0];
        _items[MaxCpus] = [(byte)cpus, 0];
        _items[FileDir] = new byte[4]; // a big-endian count of zero files
    }

    public string Name => "fw_cfg";

    public ushort Selector => _selector;

    private ReadOnlySpan<byte> Item => _items.TryGetValue(_selector, out byte[]? data) ? data : [];

    public ulong Read(ulong offset, int size)
    {
        if (offset < 8)
        {
            // The bytes of the item in order, the first at the lowest address.
            ulong value = 0;
            var item = Item;
            for (int i = 0; i < size; i++, _offset++)
                if (_offset < (uint)item.Length) value |= (ulong)item[(int)_offset] << (8 * i);
            return value;
        }
        if (offset == 0x10 && size == 8) return BinaryPrimitives.ReverseEndianness(DmaSignature);
        if (offset == 0x10 && size == 4) return BinaryPrimitives.ReverseEndianness((uint)(DmaSignature >> 32));
        if (offset == 0x14 && size == 4) return BinaryPrimitives.ReverseEndianness(unchecked((uint)DmaSignature));
        return 0;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        switch (offset, size)
        {
            case (0x8, 2):
                Select(BinaryPrimitives.ReverseEndianness((ushort)value));
                break;
            case (0x10, 8):
                RunDma(BinaryPrimitives.ReverseEndianness(value));
                break;
            case (0x10, 4):
                _dmaHigh = BinaryPrimitives.ReverseEndianness((uint)value);
                break;
            case (0x14, 4):
                RunDma((ulong)_dmaHigh << 32 | BinaryPrimitives.ReverseEndianness((uint)value));
                _dmaHigh = 0;
                break;
            default:
                // Writes to the data register are ignored (no item here is writable), as are odd widths.
                break;
        }
    }

    private void Select(ushort key)
    {
        _selector = key;
        _offset = 0;
    }

    /// <summary>One DMA request: {be32 control, be32 length, be64 address} at <paramref name="descriptor"/>.</summary>
    private void RunDma(ulong descriptor)
    {
        Span<byte> d = stackalloc byte[16];
        if (!TryRead(descriptor, d)) return; // QEMU ignores a descriptor it cannot read
        uint control = BinaryPrimitives.ReadUInt32BigEndian(d);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        ulong address = BinaryPrimitives.ReadUInt64BigEndian(d[8..]);
        if ((control & DmaSelect) != 0) Select((ushort)(control >> 16));
        uint result = 0;
        if ((control & DmaWrite) != 0) result = DmaError; // no writable items
        else if ((control & (DmaRead | DmaSkip)) != 0)
        {
            var item = Item;
            uint available = _offset < (uint)item.Length ? (uint)item.Length - _offset : 0;
            if ((control & DmaRead) != 0)
            {
                // Straight into RAM; past the item's end the transfer is zeros.
                if (!InRam(address, length)) result = DmaError;
                else
                {
                    ulong at = address - _ram.BaseAddress;
                    var window = _ram.Bytes.Slice((int)at, (int)length);
                    int n = (int)Math.Min(available, length);
                    item.Slice((int)Math.Min(_offset, (uint)item.Length), n).CopyTo(window);
                    window[n..].Clear();
                    _ram.NoteWriteRange(at, (int)length);
                }
            }
            _offset += Math.Min(available, length);
        }
        Span<byte> status = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(status, result);
        TryWrite(descriptor, status);
    }

    private bool InRam(ulong address, ulong length) =>
        address >= _ram.BaseAddress && length <= _ram.Size && address - _ram.BaseAddress <= _ram.Size - length;

    private bool TryRead(ulong address, Span<byte> destination)
    {
        if (!InRam(address, (ulong)destination.Length)) return false;
        _ram.Read(address - _ram.BaseAddress, destination);
        return true;
    }

    private bool TryWrite(ulong address, ReadOnlySpan<byte> data)
    {
        if (!InRam(address, (ulong)data.Length)) return false;
        _ram.Write(address - _ram.BaseAddress, data);
        return true;
    }

    public void Reset()
    {
        _selector = 0;
        _offset = 0;
        _dmaHigh = 0;
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_selector);
        writer.Write(_offset);
        writer.Write(_dmaHigh);
    }

    public void LoadState(BinaryReader reader)
    {
        _selector = reader.ReadUInt16();
        _offset = reader.ReadUInt32();
        _dmaHigh = reader.ReadUInt32();
    }
}
