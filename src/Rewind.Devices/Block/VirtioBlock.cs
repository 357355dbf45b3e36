using System.Buffers.Binary;
using System.Text;
using Rewind.Core.Input;
using Rewind.Devices.Virtio;

namespace Rewind.Devices.Block;

/// <summary>
/// virtio-blk (virtio 1.2 §5.2) over a <see cref="BlockDisk"/>: read, write, flush, get-id and discard,
/// answered with the virtio status byte. A request that does not fit the disk, is not a whole number of
/// sectors, or has a buffer outside RAM gets VIRTIO_BLK_S_IOERR; one without a header or status byte
/// puts the device in NEEDS_RESET, as QEMU does.
/// </summary>
public sealed class VirtioBlock : IVirtioDevice
{
    public const int SectorSize = 512;
    public const int QueueSize = 256;
    public const uint TypeIn = 0, TypeOut = 1, TypeFlush = 4, TypeGetId = 8, TypeDiscard = 11;
    public const byte StatusOk = 0, StatusIoErr = 1, StatusUnsupported = 2;
    public const int FeatureSegMax = 2, FeatureRo = 5, FeatureBlkSize = 6, FeatureFlush = 9, FeatureDiscard = 13;
    public const int IdLength = 20;
    public const uint MaxDiscardSectors = 32768, MaxDiscardSegments = 1;
    private const int HeaderSize = 16, DiscardSegmentSize = 16;

    private readonly DescriptorChain _chain = new();
    private readonly byte[] _config = new byte[60];
    private readonly byte[] _id = new byte[IdLength];

    private readonly IInputBoundary? _input;
    private readonly byte _slot;
    private readonly DiskReadFingerprint _fingerprint = new();

    /// <param name="input">Where the disk read checks go when recording or replaying (null: none).</param>
    /// <param name="slot">The virtio-mmio slot, which names the device in a check.</param>
    public VirtioBlock(BlockDisk disk, string serial = "", IInputBoundary? input = null, int slot = 0)
    {
        Disk = disk;
        _input = input;
        _slot = (byte)slot;
        Encoding.ASCII.GetBytes(serial.Length > IdLength ? serial[..IdLength] : serial, _id);
        BinaryPrimitives.WriteUInt64LittleEndian(_config, Sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(12), QueueSize - 2); // seg_max
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(20), SectorSize); // blk_size
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(36), MaxDiscardSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(40), MaxDiscardSegments);
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(44), BlockDisk.ClusterSize / SectorSize);
    }

    public BlockDisk Disk { get; }
    /// <summary>The capacity in 512-byte sectors (a partial last sector is not part of the disk).</summary>
    public ulong Sectors => (ulong)Disk.Length / SectorSize;
    public uint DeviceId => 2;
    public string Kind => "virtio-blk";
    public IReadOnlyList<int> QueueSizes { get; } = [QueueSize];

    public ulong Features => VirtioFeature.Bit(FeatureSegMax) | VirtioFeature.Bit(FeatureBlkSize)
        | VirtioFeature.Bit(FeatureFlush) | VirtioFeature.Bit(FeatureDiscard) | (Disk.ReadOnly ? VirtioFeature.Bit(FeatureRo) : 0);

    public byte ReadConfig(int offset) => offset >= 0 && offset < _config.Length ? _config[offset] : (byte)0;

    public void WriteConfig(int offset, byte value) { }

    public void Reset() { }

    public void Process(int queue, IVirtioQueues queues)
    {
        while (queues.Pop(queue, _chain) == QueuePop.Request)
        {
            var chain = _chain;
            if (chain.ReadableLength < HeaderSize || chain.WritableLength < 1)
            {
                queues.Fail("virtio-blk request without a header or a status byte");
                return;
            }
            ulong statusAt = chain.LastWritableByte()!.Value;
            if (!queues.Memory.Contains(statusAt, 1))
            {
                queues.Fail("virtio-blk status byte outside RAM");
                return;
            }
            uint written = 1;
            bool check = _input is { ChecksDiskReads: true };
            if (check)
            {
                _fingerprint.Begin(_slot);
                Disk.Fingerprint = _fingerprint;
            }
            byte status;
            try
            {
                status = chain.OutsideRam ? StatusIoErr : Execute(queues.Memory, chain, ref written);
            }
            catch (IOException)
            {
                // The host file failed (disk full, a qcow2 image that cannot grow, an I/O error): the
                // guest sees an I/O error on this request, as QEMU's werror=report does, and runs on.
                status = StatusIoErr;
            }
            finally
            {
                Disk.Fingerprint = null;
            }
            // Identifies the image by what was read, at this request's count: a replay with another image stops here.
            if (check && !_fingerprint.IsEmpty) _input!.CheckDiskRead(queues.Icount, _fingerprint.Bytes);
            _fingerprint.End();
            queues.Memory.TryWrite(statusAt, [status]);
            queues.Complete(queue, chain, written);
        }
    }

    private byte Execute(GuestMemory memory, DescriptorChain chain, ref uint written)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        chain.Gather(memory, 0, header);
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        long dataIn = chain.WritableLength - 1, dataOut = chain.ReadableLength - HeaderSize;
        switch (type)
        {
            case TypeIn:
                {
                    if (!InRange(sector, dataIn, out long offset)) return StatusIoErr;
                    var disk = Disk;
                    chain.ForEachWritable(0, dataIn, (addr, n, pos) =>
                    {
                        disk.Read(offset + pos, memory.Window(addr, n));
                        memory.Written(addr, n);
                    });
                    written = (uint)Math.Min(uint.MaxValue, dataIn + 1);
                    return StatusOk;
                }
            case TypeOut:
                {
                    if (Disk.ReadOnly || !InRange(sector, dataOut, out long offset)) return StatusIoErr;
                    var disk = Disk;
                    chain.ForEachReadable(HeaderSize, dataOut, (addr, n, pos) => disk.Write(offset + pos, memory.Window(addr, n)));
                    return StatusOk;
                }
            case TypeFlush:
                Disk.Flush();
                return StatusOk;
            case TypeGetId:
                {
                    int n = chain.Scatter(memory, 0, _id.AsSpan(0, (int)Math.Min(IdLength, dataIn)));
                    written = (uint)n + 1;
                    return StatusOk;
                }
            case TypeDiscard:
                return Discard(memory, chain, dataOut);
            default:
                return StatusUnsupported;
        }
    }

    private byte Discard(GuestMemory memory, DescriptorChain chain, long length)
    {
        if (Disk.ReadOnly) return StatusIoErr;
        if (length == 0 || length % DiscardSegmentSize != 0 || length / DiscardSegmentSize > MaxDiscardSegments) return StatusUnsupported;
        Span<byte> seg = stackalloc byte[DiscardSegmentSize];
        for (long at = 0; at < length; at += DiscardSegmentSize)
        {
            chain.Gather(memory, HeaderSize + at, seg);
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(seg);
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(seg[8..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(seg[12..]);
            if ((flags & ~1u) != 0) return StatusUnsupported;
            if (count > MaxDiscardSectors || !InRange(sector, (long)count * SectorSize, out long offset)) return StatusIoErr;
            Disk.Discard(offset, (long)count * SectorSize);
        }
        return StatusOk;
    }

    /// <summary>A transfer of <paramref name="length"/> bytes at <paramref name="sector"/> is whole sectors inside the disk.</summary>
    private bool InRange(ulong sector, long length, out long offset)
    {
        offset = 0;
        if (length < 0 || length % SectorSize != 0 || sector > Sectors) return false;
        if ((ulong)length / SectorSize > Sectors - sector) return false;
        offset = (long)sector * SectorSize;
        return true;
    }

    public void SaveState(BinaryWriter writer) => Disk.SaveState(writer);

    public void LoadState(BinaryReader reader) => Disk.LoadState(reader);
}
