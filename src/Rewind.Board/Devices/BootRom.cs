using System.Buffers.Binary;
using Rewind.Core.Bus;
using Rewind.Core.State;

namespace Rewind.Board.Devices;

/// <summary>
/// The mask ROM at 0x1000 holding QEMU virt's reset vector: it hands the firmware a0 = mhartid,
/// a1 = device tree address and a2 = OpenSBI's fw_dynamic_info, then jumps to the firmware entry.
/// The debugger and the loader may patch it; patches are guest state and are saved.
/// </summary>
public sealed class BootRom : IReadOnlyMemoryDevice, IStateful
{
    public const uint FwDynamicMagic = 0x4942534f; // "OSBI"
    public const uint FwDynamicVersion = 2;
    public const uint NextModeSupervisor = 1;
    /// <summary>Six instructions and two doublewords; fw_dynamic_info follows at this offset.</summary>
    public const int ResetVectorSize = 40;
    private const int EntrySlot = 24, FdtSlot = 32;

    private readonly byte[] _original;
    private readonly byte[] _bytes;
    private bool _patched;

    public BootRom(ulong baseAddress, ReadOnlySpan<byte> contents, ulong size = VirtMemoryMap.BootRomSize)
    {
        if ((ulong)contents.Length > size) throw new ArgumentException($"ROM image of {contents.Length} bytes exceeds the ROM size 0x{size:x}");
        BaseAddress = baseAddress;
        _bytes = new byte[size];
        contents.CopyTo(_bytes);
        _original = (byte[])_bytes.Clone();
    }

    /// <summary>Builds QEMU virt's reset vector for a firmware at <paramref name="entry"/>; <paramref name="nextAddr"/> is the payload OpenSBI jumps to (0 if none).</summary>
    public static BootRom Create(ulong entry, ulong fdtAddress, ulong nextAddr) =>
        new(VirtMemoryMap.BootRomBase, BuildImage(entry, fdtAddress, nextAddr));

    public static byte[] BuildImage(ulong entry, ulong fdtAddress, ulong nextAddr)
    {
        uint[] code =
        [
            RiscvEncoder.Auipc(RiscvEncoder.T0, 0),                          // t0 = ROM base
            RiscvEncoder.Addi(RiscvEncoder.A2, RiscvEncoder.T0, ResetVectorSize), // a2 = &fw_dynamic_info
            RiscvEncoder.Csrr(RiscvEncoder.A0, RiscvEncoder.CsrMhartid),      // a0 = hart id
            RiscvEncoder.Ld(RiscvEncoder.A1, RiscvEncoder.T0, FdtSlot),       // a1 = device tree
            RiscvEncoder.Ld(RiscvEncoder.T0, RiscvEncoder.T0, EntrySlot),     // t0 = firmware entry
            RiscvEncoder.Jalr(0, RiscvEncoder.T0, 0),                        // jr t0
        ];
        var image = new byte[ResetVectorSize + 6 * 8];
        var span = image.AsSpan();
        for (int i = 0; i < code.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(span[(4 * i)..], code[i]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[EntrySlot..], entry);
        BinaryPrimitives.WriteUInt64LittleEndian(span[FdtSlot..], fdtAddress);
        var info = span[ResetVectorSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(info[0..], FwDynamicMagic);
        BinaryPrimitives.WriteUInt64LittleEndian(info[8..], FwDynamicVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(info[16..], nextAddr);
        BinaryPrimitives.WriteUInt64LittleEndian(info[24..], NextModeSupervisor);
        BinaryPrimitives.WriteUInt64LittleEndian(info[32..], 0); // options
        BinaryPrimitives.WriteUInt64LittleEndian(info[40..], 0); // boot hart, as QEMU sets it
        return image;
    }

    public string Name => "mrom";

    public ulong BaseAddress { get; }

    public ulong Size => (ulong)_bytes.Length;

    public ReadOnlySpan<byte> Contents => _bytes;

    public ulong Read(ulong offset, int size)
    {
        if (offset + (ulong)size > (ulong)_bytes.Length) return 0;
        var s = _bytes.AsSpan((int)offset, size);
        return size switch
        {
            1 => s[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(s),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(s),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(s),
        };
    }

    /// <summary>The guest cannot write a ROM.</summary>
    public void Write(ulong offset, int size, ulong value) { }

    public bool TryPatch(ulong address, byte value)
    {
        ulong offset = address - BaseAddress;
        if (offset >= (ulong)_bytes.Length) return false;
        _bytes[offset] = value;
        _patched = true;
        return true;
    }

    public void SaveState(BinaryWriter writer)
    {
        // An unpatched ROM equals the one a fresh machine builds, so it costs one byte per snapshot.
        writer.Write(_patched);
        if (_patched) writer.Write(_bytes);
    }

    public void LoadState(BinaryReader reader)
    {
        _patched = reader.ReadBoolean();
        if (_patched)
        {
            int n = reader.Read(_bytes, 0, _bytes.Length);
            if (n != _bytes.Length) throw new EndOfStreamException("boot ROM snapshot is truncated");
        }
        else
        {
            _original.CopyTo(_bytes, 0);
        }
    }
}
