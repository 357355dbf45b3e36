using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rewind.Core.Native;

/// <summary>The x86-64 general registers, numbered as the encoding numbers them.</summary>
public enum X64Reg : byte
{
    Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15,
}

/// <summary>x86-64 condition codes, numbered as Jcc and SETcc encode them.</summary>
public enum X64Cond : byte
{
    /// <summary>Overflow.</summary>
    O = 0x0,
    /// <summary>Unsigned below (carry).</summary>
    B = 0x2,
    /// <summary>Unsigned above or equal.</summary>
    AE = 0x3,
    E = 0x4,
    NE = 0x5,
    /// <summary>Unsigned above.</summary>
    A = 0x7,
    /// <summary>Signed less or equal.</summary>
    LE = 0xe,
    /// <summary>Signed less.</summary>
    L = 0xc,
    /// <summary>Signed greater or equal.</summary>
    GE = 0xd,
    /// <summary>Sign (negative).</summary>
    S = 0x8,
    /// <summary>No overflow.</summary>
    NO = 0x1,
    /// <summary>Unsigned below or equal.</summary>
    BE = 0x6,
    /// <summary>No sign.</summary>
    NS = 0x9,
    /// <summary>Signed greater.</summary>
    G = 0xf,
}

/// <summary>The ALU operations that share the classic encoding (opcode group 0x00-0x3b and 0x81 /digit).</summary>
public enum X64Alu : byte
{
    Add = 0, Or = 1, And = 4, Sub = 5, Xor = 6, Cmp = 7,
}

/// <summary>The shifts of opcode group C1/D3, by their /digit.</summary>
public enum X64Shift : byte
{
    Ror = 1, Shl = 4, Shr = 5, Sar = 7,
}

/// <summary>A place in the code that jumps name before it is known; bound once, patched then.</summary>
public readonly record struct X64Label(int Id);

/// <summary>
/// A small x86-64 encoder: just the instructions a baseline translator needs, with memory operands
/// always of the form [base + disp] (no index), which keeps the encoding to REX, opcode, ModRM, an
/// optional SIB for rsp/r12 and a displacement. Jumps are rel32 to labels, patched when a label is bound
/// or at <see cref="Finish"/>. The output is position independent: it holds no absolute address.
/// </summary>
public sealed class X64Assembler
{
    // Plain arrays, not List<T>: a list of a tuple is a generic instantiation ReadyToRun cannot precompile,
    // so it ran unoptimised for much of a Linux boot, where translating is on the hart's critical path.
    private byte[] _code = new byte[4096];
    private int _length;
    private int[] _labels = new int[64];
    private int _labelCount;
    private int[] _fixupAt = new int[64], _fixupLabel = new int[64];
    private int _fixupCount;

    // The longest instruction this encoder emits (a mov with imm64 is 10 bytes): each emitting method
    // makes room for one up front, so the byte writes below need no check of their own.
    private const int MaxInstructionBytes = 16;

    /// <summary>Bytes emitted so far.</summary>
    public int Length => _length;

    /// <summary>Empties the buffer for the next body (the buffer itself is kept, so translating allocates little).</summary>
    public void Reset()
    {
        _length = 0;
        _labelCount = 0;
        _fixupCount = 0;
    }

    /// <summary>The code: valid until the next <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> Code => _code.AsSpan(0, _length);

    public X64Label NewLabel()
    {
        if (_labelCount == _labels.Length) Array.Resize(ref _labels, _labels.Length * 2);
        _labels[_labelCount] = -1;
        return new X64Label(_labelCount++);
    }

    public void Bind(X64Label label)
    {
        if ((uint)label.Id >= (uint)_labelCount) throw new ArgumentOutOfRangeException(nameof(label), "a label of another body");
        if (_labels[label.Id] >= 0) throw new InvalidOperationException("a label is bound once");
        _labels[label.Id] = _length;
    }

    /// <summary>Patches every jump to its label; throws if one is unbound (a translator bug, never guest input).</summary>
    public void Finish()
    {
        for (int i = 0; i < _fixupCount; i++)
        {
            int at = _fixupAt[i], target = _labels[_fixupLabel[i]];
            if (target < 0) throw new InvalidOperationException("a jump to an unbound label");
            BinaryPrimitives.WriteInt32LittleEndian(_code.AsSpan(at, 4), target - (at + 4));
        }
        _fixupCount = 0;
    }

    /// <summary>Makes room for one more instruction: called first by every method that emits one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Room()
    {
        if (_code.Length - _length < MaxInstructionBytes) Grow();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow() => Array.Resize(ref _code, _code.Length * 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Byte(int b) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_code), _length++) = (byte)b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Int32(int v)
    {
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_code), _length), BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v));
        _length += 4;
    }

    private void Fixup(X64Label to)
    {
        if (_fixupCount == _fixupAt.Length)
        {
            Array.Resize(ref _fixupAt, _fixupAt.Length * 2);
            Array.Resize(ref _fixupLabel, _fixupLabel.Length * 2);
        }
        _fixupAt[_fixupCount] = _length;
        _fixupLabel[_fixupCount++] = to.Id;
    }

    /// <summary>A REX prefix when any bit is needed (or <paramref name="force"/>, for byte registers above bl).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Rex(bool w, int reg, int rm, bool force = false)
    {
        // Every instruction but the few that start with a fixed byte (jumps, ret, the 0x66 prefix) starts here.
        Room();
        int rex = 0x40 | (w ? 8 : 0) | ((reg & 8) != 0 ? 4 : 0) | ((rm & 8) != 0 ? 1 : 0);
        if (rex != 0x40 || force) Byte(rex);
    }

    /// <summary>ModRM (and SIB, displacement) for [base + disp] with <paramref name="reg"/> in the reg field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Mem(int reg, X64Reg b, int disp)
    {
        int bits = (int)b & 7;
        int mod = disp == 0 && bits != 5 ? 0 : disp is >= -128 and <= 127 ? 1 : 2;
        Byte((mod << 6) | ((reg & 7) << 3) | bits);
        if (bits == 4) Byte(0x24);
        if (mod == 1) Byte(disp);
        else if (mod == 2) Int32(disp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RegReg(int reg, X64Reg rm) => Byte(0xc0 | ((reg & 7) << 3) | ((int)rm & 7));

    /// <summary>op reg, [base + disp] with an opcode of one or two bytes (0x0f first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OpMem(bool w, int opcode, int reg, X64Reg b, int disp, bool twoByte = false, bool force = false)
    {
        Rex(w, reg, (int)b, force);
        if (twoByte) Byte(0x0f);
        Byte(opcode);
        Mem(reg, b, disp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OpReg(bool w, int opcode, int reg, X64Reg rm, bool twoByte = false)
    {
        Rex(w, reg, (int)rm);
        if (twoByte) Byte(0x0f);
        Byte(opcode);
        RegReg(reg, rm);
    }

    /// <summary>mov dst, [base + disp] (64 bits).</summary>
    public void Load(X64Reg dst, X64Reg b, int disp) => OpMem(true, 0x8b, (int)dst, b, disp);

    /// <summary>mov [base + disp], src (64 bits).</summary>
    public void Store(X64Reg b, int disp, X64Reg src) => OpMem(true, 0x89, (int)src, b, disp);

    /// <summary>mov qword [base + disp], imm (sign-extended imm32).</summary>
    public void StoreImm(X64Reg b, int disp, int imm)
    {
        OpMem(true, 0xc7, 0, b, disp);
        Int32(imm);
    }

    /// <summary>A load of <paramref name="size"/> bytes, zero- or sign-extended to 64 bits.</summary>
    public void LoadExtend(X64Reg dst, X64Reg b, int disp, int size, bool signed)
    {
        switch (size, signed)
        {
            case (1, false): OpMem(false, 0xb6, (int)dst, b, disp, twoByte: true); break;
            case (2, false): OpMem(false, 0xb7, (int)dst, b, disp, twoByte: true); break;
            case (4, false): OpMem(false, 0x8b, (int)dst, b, disp); break;
            case (1, true): OpMem(true, 0xbe, (int)dst, b, disp, twoByte: true); break;
            case (2, true): OpMem(true, 0xbf, (int)dst, b, disp, twoByte: true); break;
            case (4, true): OpMem(true, 0x63, (int)dst, b, disp); break;
            case (8, _): Load(dst, b, disp); break;
            default: throw new ArgumentOutOfRangeException(nameof(size));
        }
    }

    /// <summary>A store of the low <paramref name="size"/> bytes of <paramref name="src"/>.</summary>
    public void StoreSized(X64Reg b, int disp, X64Reg src, int size)
    {
        switch (size)
        {
            // sil/dil and up need a REX prefix to mean the low byte rather than ah-bh.
            case 1: OpMem(false, 0x88, (int)src, b, disp, force: src >= X64Reg.Rsp); break;
            case 2: Room(); Byte(0x66); OpMem(false, 0x89, (int)src, b, disp); break;
            case 4: OpMem(false, 0x89, (int)src, b, disp); break;
            case 8: Store(b, disp, src); break;
            default: throw new ArgumentOutOfRangeException(nameof(size));
        }
    }

    /// <summary>mov dst, src (64 bits).</summary>
    public void Mov(X64Reg dst, X64Reg src) => OpReg(true, 0x8b, (int)dst, src);

    /// <summary>dst = value, in the shortest form: xor for 0, mov r32 for a zero-extended one, sign-extended imm32, else imm64.</summary>
    public void MovImm(X64Reg dst, long value)
    {
        if (value == 0)
        {
            OpReg(false, 0x33, (int)dst, dst);
        }
        else if (value is > 0 and <= uint.MaxValue)
        {
            Rex(false, 0, (int)dst);
            Byte(0xb8 + ((int)dst & 7));
            Int32((int)(uint)value);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            Rex(true, 0, (int)dst);
            Byte(0xc7);
            RegReg(0, dst);
            Int32((int)value);
        }
        else
        {
            Rex(true, 0, (int)dst);
            Byte(0xb8 + ((int)dst & 7));
            Int32((int)value);
            Int32((int)(value >> 32));
        }
    }

    /// <summary>lea dst, [base + disp].</summary>
    public void Lea(X64Reg dst, X64Reg b, int disp) => OpMem(true, 0x8d, (int)dst, b, disp);

    /// <summary>op dst, [base + disp]; 32-bit when not <paramref name="wide"/> (the result is zero-extended).</summary>
    public void AluMem(X64Alu op, X64Reg dst, X64Reg b, int disp, bool wide = true) =>
        OpMem(wide, ((int)op << 3) | 3, (int)dst, b, disp);

    /// <summary>op dst, src.</summary>
    public void AluReg(X64Alu op, X64Reg dst, X64Reg src, bool wide = true) =>
        OpReg(wide, ((int)op << 3) | 3, (int)dst, src);

    /// <summary>lea dst, [base + index * 2^scale + disp]: an address in one instruction (index is never rsp).</summary>
    public void LeaIndex(X64Reg dst, X64Reg b, X64Reg index, int scale, int disp = 0)
    {
        if (index == X64Reg.Rsp || (uint)scale > 3) throw new ArgumentOutOfRangeException(nameof(index));
        Room();
        Byte(0x48 | (((int)dst & 8) != 0 ? 4 : 0) | (((int)index & 8) != 0 ? 2 : 0) | (((int)b & 8) != 0 ? 1 : 0));
        Byte(0x8d);
        int bits = (int)b & 7;
        int mod = disp == 0 && bits != 5 ? 0 : disp is >= -128 and <= 127 ? 1 : 2;
        Byte((mod << 6) | (((int)dst & 7) << 3) | 4);
        Byte((scale << 6) | (((int)index & 7) << 3) | bits);
        if (mod == 1) Byte(disp);
        else if (mod == 2) Int32(disp);
    }

    /// <summary>dst = the low <paramref name="size"/> bytes of src (1, 2 or 4), zero-extended: movzx, or mov r32, r32.</summary>
    public void MovZx(X64Reg dst, X64Reg src, int size)
    {
        if (size == 4)
        {
            OpReg(false, 0x8b, (int)dst, src);
            return;
        }
        if (size is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(size));
        // sil, dil, spl and bpl need a REX prefix to mean the low byte rather than ah-bh.
        Rex(false, (int)dst, (int)src, force: size == 1 && src >= X64Reg.Rsp);
        Byte(0x0f);
        Byte(size == 1 ? 0xb6 : 0xb7);
        RegReg((int)dst, src);
    }

    /// <summary>A three-byte VEX prefix: map 1 (0f), 2 (0f38) or 3 (0f3a), the second source in vvvv, L = 0.</summary>
    private void Vex(int map, bool w, int reg, int rm, int vvvv, int pp)
    {
        Room();
        Byte(0xc4);
        Byte(((reg & 8) == 0 ? 0x80 : 0) | 0x40 | ((rm & 8) == 0 ? 0x20 : 0) | map);
        Byte((w ? 0x80 : 0) | ((~vvvv & 15) << 3) | pp);
    }

    /// <summary>rorx dst, src, imm (BMI2): dst = src rotated right, src and the flags kept.</summary>
    public void Rorx(X64Reg dst, X64Reg src, int amount, bool wide = true)
    {
        Vex(3, wide, (int)dst, (int)src, 0, 3);
        Byte(0xf0);
        RegReg((int)dst, src);
        Byte(amount);
    }

    /// <summary>mulx hi, lo, qword [base + disp] (BMI2): hi:lo = rdx * the operand, unsigned; the flags kept.</summary>
    public void MulxMem(X64Reg hi, X64Reg lo, X64Reg b, int disp)
    {
        Vex(2, true, (int)hi, (int)b, (int)lo, 3);
        Byte(0xf6);
        Mem((int)hi, b, disp);
    }

    /// <summary>mulx hi, lo, src (BMI2): hi:lo = rdx * src, unsigned; the flags kept.</summary>
    public void MulxReg(X64Reg hi, X64Reg lo, X64Reg src)
    {
        Vex(2, true, (int)hi, (int)src, (int)lo, 3);
        Byte(0xf6);
        RegReg((int)hi, src);
    }

    /// <summary>test dst, imm (sign-extended imm32): the flags of dst &amp; imm, dst kept.</summary>
    public void TestImm(X64Reg dst, int imm, bool wide = true)
    {
        Rex(wide, 0, (int)dst);
        Byte(0xf7);
        RegReg(0, dst);
        Int32(imm);
    }

    /// <summary>op dst, imm (sign-extended imm8 or imm32).</summary>
    public void AluImm(X64Alu op, X64Reg dst, int imm, bool wide = true)
    {
        Rex(wide, 0, (int)dst);
        if (imm is >= -128 and <= 127)
        {
            Byte(0x83);
            RegReg((int)op, dst);
            Byte(imm);
        }
        else
        {
            Byte(0x81);
            RegReg((int)op, dst);
            Int32(imm);
        }
    }

    /// <summary>cmp byte [base + disp], imm8.</summary>
    public void CmpByteMem(X64Reg b, int disp, byte imm)
    {
        Rex(false, 0, (int)b);
        Byte(0x80);
        Mem((int)X64Alu.Cmp, b, disp);
        Byte(imm);
    }

    /// <summary>A shift of dst by a constant.</summary>
    public void ShiftImm(X64Shift op, X64Reg dst, int amount, bool wide = true)
    {
        Rex(wide, 0, (int)dst);
        Byte(0xc1);
        RegReg((int)op, dst);
        Byte(amount);
    }

    /// <summary>A shift of dst by cl (the hardware masks it to 6 bits, or 5 for 32-bit shifts, as RISC-V does).</summary>
    public void ShiftCl(X64Shift op, X64Reg dst, bool wide = true)
    {
        Rex(wide, 0, (int)dst);
        Byte(0xd3);
        RegReg((int)op, dst);
    }

    /// <summary>imul dst, [base + disp] (the low half: the same for signed and unsigned).</summary>
    public void ImulMem(X64Reg dst, X64Reg b, int disp, bool wide = true) => OpMem(wide, 0xaf, (int)dst, b, disp, twoByte: true);

    /// <summary>movsxd dst, src32: the low word of src, sign-extended.</summary>
    public void SignExtend32(X64Reg dst, X64Reg src) => OpReg(true, 0x63, (int)dst, src);

    /// <summary>setcc on the low byte of dst alone (the rest of dst kept).</summary>
    public void SetCondByte(X64Cond cond, X64Reg dst)
    {
        Rex(false, 0, (int)dst, force: dst >= X64Reg.Rsp);
        Byte(0x0f);
        Byte(0x90 | (int)cond);
        RegReg(0, dst);
    }

    /// <summary>dst = cond ? 1 : 0 (setcc then movzx; the flags must be set before).</summary>
    public void SetCond(X64Cond cond, X64Reg dst)
    {
        Rex(false, 0, (int)dst, force: dst >= X64Reg.Rsp);
        Byte(0x0f);
        Byte(0x90 | (int)cond);
        RegReg(0, dst);
        Rex(false, (int)dst, (int)dst, force: dst >= X64Reg.Rsp);
        Byte(0x0f);
        Byte(0xb6);
        RegReg((int)dst, dst);
    }

    public void Jump(X64Label to)
    {
        Room();
        Byte(0xe9);
        Fixup(to);
        Int32(0);
    }

    public void JumpIf(X64Cond cond, X64Label to)
    {
        Room();
        Byte(0x0f);
        Byte(0x80 | (int)cond);
        Fixup(to);
        Int32(0);
    }

    /// <summary>call qword [base + disp]: an indirect call through a table of routine addresses.</summary>
    public void CallMem(X64Reg b, int disp) => OpMem(false, 0xff, 2, b, disp);

    /// <summary>inc dword [base + disp].</summary>
    public void IncMem32(X64Reg b, int disp) => OpMem(false, 0xff, 0, b, disp);

    /// <summary>jmp reg.</summary>
    public void JumpReg(X64Reg target) => OpReg(false, 0xff, 4, target);

    /// <summary>jmp qword [base + disp].</summary>
    public void JumpMem(X64Reg b, int disp) => OpMem(false, 0xff, 4, b, disp);

    /// <summary>test a, b (64 bits): sets ZF when a &amp; b is 0.</summary>
    public void Test(X64Reg a, X64Reg b, bool wide = true) => OpReg(wide, 0x85, (int)b, a);

    /// <summary>lahf: ah = SF, ZF, AF, PF, CF (bits 7, 6, 4, 2, 0).</summary>
    public void Lahf()
    {
        Room();
        Byte(0x9f);
    }

    /// <summary>SF, ZF, AF, PF and CF from AH (OF kept).</summary>
    public void Sahf()
    {
        Room();
        Byte(0x9e);
    }

    /// <summary>Complements CF.</summary>
    public void Cmc()
    {
        Room();
        Byte(0xf5);
    }

    /// <summary>add al, imm8 (the flags of a byte addition).</summary>
    public void AddAl(byte imm)
    {
        Room();
        Byte(0x04);
        Byte(imm);
    }

    /// <summary>not r (flags kept).</summary>
    public void Not(X64Reg r) => OpReg(true, 0xf7, 2, r);

    /// <summary>bt value32, bit32: CF = bit <paramref name="bit"/> (mod 32) of <paramref name="value"/>.</summary>
    public void BitTest(X64Reg value, X64Reg bit) => OpReg(false, 0xa3, (int)bit, value, twoByte: true);

    /// <summary>bt qword [base + disp], bit: CF = bit <paramref name="bit"/> (signed, 64 bits, any distance) of the bit string at the address.</summary>
    public void BitTestMem(X64Reg b, int disp, X64Reg bit) => OpMem(true, 0xa3, (int)bit, b, disp, twoByte: true);

    /// <summary>bswap reg: reverses the bytes of its low 32 bits (zero-extended), or of all 64 when <paramref name="wide"/>.</summary>
    public void ByteSwap(X64Reg reg, bool wide = true)
    {
        Rex(wide, 0, (int)reg);
        Byte(0x0f);
        Byte(0xc8 + ((int)reg & 7));
    }

    /// <summary>lzcnt dst, src (needs the LZCNT extension): leading zeros of the 64-bit (or 32-bit) source, its width for 0.</summary>
    public void LeadingZeros(X64Reg dst, X64Reg src, bool wide = true)
    {
        Room();
        Byte(0xf3);
        OpReg(wide, 0xbd, (int)dst, src, twoByte: true);
    }

    /// <summary>cmovcc dst, src (64 bits).</summary>
    public void CMov(X64Cond cond, X64Reg dst, X64Reg src) => OpReg(true, 0x40 | (int)cond, (int)dst, src, twoByte: true);

    /// <summary>imul dst, src (the low half).</summary>
    public void ImulReg(X64Reg dst, X64Reg src, bool wide = true) => OpReg(wide, 0xaf, (int)dst, src, twoByte: true);

    /// <summary>push r (64 bits).</summary>
    public void Push(X64Reg r)
    {
        Rex(false, 0, (int)r);
        Byte(0x50 | ((int)r & 7));
    }

    /// <summary>pop r (64 bits).</summary>
    public void Pop(X64Reg r)
    {
        Rex(false, 0, (int)r);
        Byte(0x58 | ((int)r & 7));
    }

    /// <summary>rdx:rax = rax * src, unsigned (mul) or signed (one-operand imul).</summary>
    public void MultiplyWide(X64Reg src, bool signed) => OpReg(true, 0xf7, signed ? 5 : 4, src);

    /// <summary>rdx:rax = rax * qword [base + disp], unsigned or signed.</summary>
    public void MultiplyWideMem(X64Reg b, int disp, bool signed) => OpMem(true, 0xf7, signed ? 5 : 4, b, disp);

    /// <summary>Unsigned divide of rdx:rax (edx:eax when not wide) by src: quotient in rax, remainder in rdx.</summary>
    public void Divide(X64Reg src, bool wide = true) => OpReg(wide, 0xf7, 6, src);

    public void Ret()
    {
        Room();
        Byte(0xc3);
    }
}
