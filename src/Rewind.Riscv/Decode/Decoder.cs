namespace Rewind.Riscv.Decode;

/// <summary>
/// Turns instruction bits into <see cref="DecodedInsn"/>. The per-extension files hold the tables;
/// this file routes by major opcode (32-bit) or quadrant (16-bit).
/// </summary>
public static partial class Decoder
{
    public static bool IsCompressed(uint low16) => (low16 & 3) != 3;

    public static DecodedInsn Decode(uint raw)
    {
        var d = new DecodedInsn();
        if (IsCompressed(raw))
        {
            d.Length = 2;
            DecodeCompressed(ref d, (ushort)raw);
        }
        else
        {
            d.Length = 4;
            Decode32(ref d, raw);
        }
        if (d.Rd == 0) d.Rd = DecodedInsn.ZeroSink;
        return d;
    }

    private static void Decode32(ref DecodedInsn d, uint raw)
    {
        d.Rd = (byte)((raw >> 7) & 31);
        d.Rs1 = (byte)((raw >> 15) & 31);
        d.Rs2 = (byte)((raw >> 20) & 31);
        uint funct3 = (raw >> 12) & 7;
        uint funct7 = raw >> 25;
        switch (raw & 0x7f)
        {
            case 0x37: d.Op = Op.Lui; d.Imm = (int)(raw & 0xfffff000); break;
            case 0x17: d.Op = Op.Auipc; d.Imm = (int)(raw & 0xfffff000); break;
            case 0x6f: d.Op = Op.Jal; d.Imm = ImmJ(raw); break;
            case 0x67: d.Op = funct3 == 0 ? Op.Jalr : Op.Illegal; d.Imm = ImmI(raw); break;
            case 0x63: DecodeBranch(ref d, raw, funct3); break;
            case 0x03: DecodeLoad(ref d, raw, funct3); break;
            case 0x23: DecodeStore(ref d, raw, funct3); break;
            case 0x13: DecodeOpImm(ref d, raw, funct3); break;
            case 0x1b: DecodeOpImm32(ref d, raw, funct3); break;
            case 0x33:
                if (funct7 == 1) DecodeMulDiv(ref d, funct3);
                else DecodeOp(ref d, funct3, funct7);
                break;
            case 0x3b:
                if (funct7 == 1) DecodeMulDiv32(ref d, funct3);
                else DecodeOp32(ref d, funct3, funct7);
                break;
            case 0x0f: DecodeMiscMem(ref d, raw, funct3); break;
            case 0x73: DecodeSystem(ref d, raw, funct3); break;
            case 0x2f: DecodeAtomic(ref d, raw, funct3); break;
            case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
                DecodeFloat(ref d, raw);
                break;
            default: d.Op = Op.Illegal; break;
        }
    }

    /// <summary>Hook for the F and D decoder; leaves the instruction illegal until one is present.</summary>
    static partial void DecodeFloatImpl(ref DecodedInsn d, uint raw, ref bool handled);

    private static void DecodeFloat(ref DecodedInsn d, uint raw)
    {
        bool handled = false;
        DecodeFloatImpl(ref d, raw, ref handled);
        if (!handled) d.Op = Op.Illegal;
    }

    internal static int ImmI(uint raw) => (int)raw >> 20;
    internal static int ImmS(uint raw) => ((int)raw >> 25 << 5) | (int)((raw >> 7) & 31);
    internal static int ImmB(uint raw) =>
        ((int)raw >> 31 << 12) | (int)((raw << 4) & 0x800) | (int)((raw >> 20) & 0x7e0) | (int)((raw >> 7) & 0x1e);
    internal static int ImmJ(uint raw) =>
        ((int)raw >> 31 << 20) | (int)(raw & 0xff000) | (int)((raw >> 9) & 0x800) | (int)((raw >> 20) & 0x7fe);
}
