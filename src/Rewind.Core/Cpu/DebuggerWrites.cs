using System.Buffers.Binary;
using Rewind.Core.Input;

namespace Rewind.Core.Cpu;

/// <summary>
/// A debugger's writes to memory and registers as machine inputs: while recording they cross the
/// record/replay boundary like typed bytes (channel <see cref="InputChannel.DebuggerWrite"/>), so a
/// replay applies them at the same instruction count and does not diverge.
/// Payload: kind u8 (0 memory, 1 register), target u64 little-endian, then the bytes. A register's
/// target is its GDB number, plus the CPU index times 2^32 (so hart 0's writes read as they always did).
/// </summary>
public sealed class DebuggerWrites(IReadOnlyList<ICpu> harts) : IInputSink
{
    private const byte MemoryKind = 0, RegisterKind = 1, HartMemoryKind = 2;
    private const int HeaderSize = 9;

    /// <summary>Bytes the last memory write stored, or 1/0 for a register write that succeeded or not.</summary>
    public int LastResult { get; private set; }

    /// <summary>A write at a virtual address as <paramref name="hart"/> translates it (kind 2: hart u32 before the bytes).</summary>
    public static byte[] Memory(ulong address, ReadOnlySpan<byte> data, int hart = 0)
    {
        if (hart == 0) return Encode(MemoryKind, address, data);
        var withHart = new byte[4 + data.Length];
        BinaryPrimitives.WriteInt32LittleEndian(withHart, hart);
        data.CopyTo(withHart.AsSpan(4));
        return Encode(HartMemoryKind, address, withHart);
    }

    public static byte[] Register(int regno, ReadOnlySpan<byte> data, int hart = 0) =>
        Encode(RegisterKind, (ulong)(uint)regno | (ulong)(uint)hart << 32, data);

    private static byte[] Encode(byte kind, ulong target, ReadOnlySpan<byte> data)
    {
        var payload = new byte[HeaderSize + data.Length];
        payload[0] = kind;
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(1), target);
        data.CopyTo(payload.AsSpan(HeaderSize));
        return payload;
    }

    public void Receive(ReadOnlySpan<byte> data)
    {
        LastResult = 0;
        // A malformed payload can only come from a damaged log that still passed its checksum: ignore it.
        if (data.Length < HeaderSize) return;
        ulong target = BinaryPrimitives.ReadUInt64LittleEndian(data[1..]);
        var bytes = data[HeaderSize..];
        switch (data[0])
        {
            case MemoryKind:
                LastResult = harts[0].DebugWrite(target, bytes);
                break;
            case HartMemoryKind when bytes.Length >= 4 && BinaryPrimitives.ReadInt32LittleEndian(bytes) is int h && h >= 0 && h < harts.Count:
                LastResult = harts[h].DebugWrite(target, bytes[4..]);
                break;
            case RegisterKind when (target & 0xffff_ffff) <= int.MaxValue && (target >> 32) < (ulong)harts.Count:
                LastResult = harts[(int)(target >> 32)].Registers.Write((int)(target & 0xffff_ffff), bytes) ? 1 : 0;
                break;
        }
    }
}
