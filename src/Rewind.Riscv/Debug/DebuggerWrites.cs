using System.Buffers.Binary;
using Rewind.Core.Input;

namespace Rewind.Riscv.Debug;

/// <summary>
/// A debugger's writes to memory and registers as machine inputs: while recording they cross the
/// record/replay boundary like typed bytes (channel <see cref="InputChannel.DebuggerWrite"/>), so a
/// replay applies them at the same instruction count and does not diverge.
/// Payload: kind u8 (0 memory, 1 register), target u64 little-endian, then the bytes.
/// </summary>
public sealed class DebuggerWrites(Hart hart) : IInputSink
{
    private const byte MemoryKind = 0, RegisterKind = 1;
    private const int HeaderSize = 9;

    /// <summary>Bytes the last memory write stored, or 1/0 for a register write that succeeded or not.</summary>
    public int LastResult { get; private set; }

    public static byte[] Memory(ulong address, ReadOnlySpan<byte> data) => Encode(MemoryKind, address, data);

    public static byte[] Register(int regno, ReadOnlySpan<byte> data) => Encode(RegisterKind, (ulong)regno, data);

    private static byte[] Encode(byte kind, ulong target, ReadOnlySpan<byte> data)
    {
        var payload = new byte[HeaderSize + data.Length];
        payload[0] = kind;
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(1), target);
        data.CopyTo(payload.AsSpan(HeaderSize));
        return payload;
    }

    public void Receive(ReadOnlySpan<byte> payload)
    {
        LastResult = 0;
        // A malformed payload can only come from a damaged log that still passed its checksum: ignore it.
        if (payload.Length < HeaderSize) return;
        ulong target = BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]);
        var data = payload[HeaderSize..];
        switch (payload[0])
        {
            case MemoryKind:
                LastResult = hart.DebugWrite(target, data);
                break;
            case RegisterKind when target <= int.MaxValue:
                LastResult = GdbRegisters.Write(hart, (int)target, data) ? 1 : 0;
                break;
        }
    }
}
