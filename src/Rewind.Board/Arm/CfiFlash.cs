using System.Buffers.Binary;
using Rewind.Core.Bus;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// One of the arm virt board's two parallel NOR flash banks (QEMU's cfi.pflash01 as virt configures
/// it: 64 MiB, a 32-bit bank of two x16 Intel-command-set devices, 256 KiB sectors, IDs 0x89/0x18).
/// Reads in array mode give the contents (-bios loads the firmware into bank 0); the CFI query, read
/// identifier and read status commands answer as QEMU does, so U-Boot's CFI driver finds the flash.
/// Programming and erasing are not modelled: the array is read-only and the status register reports
/// the operation as failed (bits SR.4/SR.5), so a guest's write never changes the contents.
/// </summary>
public sealed class CfiFlash : IReadOnlyMemoryDevice, IStateful
{
    public const ulong BankSize = 64UL * 1024 * 1024;
    public const int BankWidth = 4, DeviceWidth = 2;
    public const ulong SectorSize = 256 * 1024;
    private const byte StatusReady = 0x80, StatusEraseError = 0x20, StatusProgramError = 0x10;

    /// <summary>The command the devices are in: what a read returns.</summary>
    public enum Mode : byte { ReadArray = 0x00, ReadId = 0x90, ReadStatus = 0x70, Query = 0x98 }

    private readonly byte[] _contents;
    private readonly byte[] _cfi = BuildCfiTable();
    private Mode _mode;
    private byte _status;
    /// <summary>The first write of a two-cycle command (program 0x10/0x40, erase 0x20), waiting for its second.</summary>
    private byte _pending;

    public CfiFlash(string name, ulong baseAddress, ReadOnlySpan<byte> contents)
    {
        if ((ulong)contents.Length > BankSize)
            throw new ArgumentException($"a flash image of {contents.Length} bytes exceeds the bank size 0x{BankSize:x}");
        Name = name;
        BaseAddress = baseAddress;
        _contents = contents.ToArray();
        Reset();
    }

    public string Name { get; }
    public ulong BaseAddress { get; }
    public Mode CurrentMode => _mode;

    public ulong Read(ulong offset, int size)
    {
        if (_mode == Mode.ReadArray) return ArrayRead(offset, size);
        // Each x16 device answers on its own half of the bus: a 16-bit answer is replicated for both.
        ulong value = 0;
        for (int i = 0; i < size; i += BankWidth)
        {
            ulong word = Answer(offset + (ulong)i);
            word |= word << 16;
            value |= word << (8 * i);
        }
        return size >= BankWidth ? value : value & ((1UL << (8 * size)) - 1);
    }

    private ulong Answer(ulong offset)
    {
        // Command-mode addresses count bank-width words.
        ulong index = offset / BankWidth;
        return _mode switch
        {
            Mode.Query => index < (ulong)_cfi.Length ? _cfi[index] : 0u,
            Mode.ReadId => index switch { 0 => 0x89u, 1 => 0x18u, _ => 0u },
            _ => _status,
        };
    }

    private ulong ArrayRead(ulong offset, int size)
    {
        if (offset >= (ulong)_contents.Length) return 0;
        Span<byte> b = stackalloc byte[8];
        b.Clear();
        int n = (int)Math.Min((ulong)size, (ulong)_contents.Length - offset);
        _contents.AsSpan((int)offset, n).CopyTo(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b) & (size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1);
    }

    public void Write(ulong offset, int size, ulong value)
    {
        byte command = (byte)value;
        if (_pending != 0)
        {
            // The data or confirm cycle of a program or erase: the array is read-only, so it fails.
            _status |= _pending == 0x20 ? StatusEraseError : StatusProgramError;
            _pending = 0;
            _mode = Mode.ReadStatus;
            return;
        }
        switch (command)
        {
            case 0x00:
            case 0xff:
                _mode = Mode.ReadArray;
                break;
            case 0x90:
                _mode = Mode.ReadId;
                break;
            case 0x98:
                _mode = Mode.Query;
                break;
            case 0x70:
                _mode = Mode.ReadStatus;
                break;
            case 0x50:
                _status = StatusReady;
                _mode = Mode.ReadArray;
                break;
            case 0x10:
            case 0x40:
            case 0x20:
                _pending = command;
                _mode = Mode.ReadStatus;
                break;
            default:
                // Unknown commands (lock, buffered write, suspend...) leave the devices reading status.
                _mode = Mode.ReadStatus;
                break;
        }
    }

    /// <summary>The debugger may read the contents freely; it may not patch a flash.</summary>
    public bool TryPatch(ulong address, byte value) => false;

    /// <summary>
    /// The CFI query table QEMU builds for this geometry (the Intel/Sharp extended command set): per
    /// device 32 MiB in 128 blocks of 128 KiB, x16 interface, 2 KiB write buffer.
    /// </summary>
    private static byte[] BuildCfiTable()
    {
        const int devices = BankWidth / DeviceWidth;
        const ulong blocksPerDevice = BankSize / SectorSize / devices;
        const ulong sectorPerDevice = SectorSize / devices;
        // As QEMU computes it: the whole sector size times the blocks of one device.
        const ulong deviceBytes = SectorSize * blocksPerDevice;
        var t = new byte[0x40];
        t[0x10] = (byte)'Q'; t[0x11] = (byte)'R'; t[0x12] = (byte)'Y';
        t[0x13] = 0x01; t[0x14] = 0x00; // Intel command set
        t[0x15] = 0x31; t[0x16] = 0x00; // extended table at 0x31
        t[0x1b] = 0x45; t[0x1c] = 0x55; // Vcc range
        t[0x1f] = 0x07; t[0x20] = 0x07; t[0x21] = 0x0a; t[0x22] = 0x00; // typical timeouts
        t[0x23] = 0x04; t[0x24] = 0x04; t[0x25] = 0x04; t[0x26] = 0x00; // maximum timeouts
        t[0x27] = (byte)System.Numerics.BitOperations.TrailingZeroCount(deviceBytes);
        t[0x28] = 0x02; t[0x29] = 0x00; // x8/x16 interface
        t[0x2a] = 0x0b; t[0x2b] = 0x00; // 2 KiB write buffer
        t[0x2c] = 0x01; // one uniform erase region
        t[0x2d] = unchecked((byte)(blocksPerDevice - 1)); t[0x2e] = (byte)((blocksPerDevice - 1) >> 8);
        t[0x2f] = unchecked((byte)(sectorPerDevice >> 8)); t[0x30] = (byte)(sectorPerDevice >> 16);
        t[0x31] = (byte)'P'; t[0x32] = (byte)'R'; t[0x33] = (byte)'I';
        t[0x34] = (byte)'1'; t[0x35] = (byte)'0';
        t[0x3f] = 0x01; // one protection field
        return t;
    }

    public void Reset()
    {
        _mode = Mode.ReadArray;
        _status = StatusReady;
        _pending = 0;
    }

    public void SaveState(BinaryWriter writer)
    {
        // The contents never change, so only the command state is guest state.
        writer.Write((byte)_mode);
        writer.Write(_status);
        writer.Write(_pending);
    }

    public void LoadState(BinaryReader reader)
    {
        byte mode = reader.ReadByte();
        if (!Enum.IsDefined((Mode)mode)) throw new InvalidDataException($"flash state names mode 0x{mode:x2}");
        _mode = (Mode)mode;
        _status = reader.ReadByte();
        _pending = reader.ReadByte();
    }
}
