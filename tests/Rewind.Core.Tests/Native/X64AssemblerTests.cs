using Rewind.Core.Native;
using static Rewind.Core.Native.X64Reg;

namespace Rewind.Core.Tests.Native;

/// <summary>
/// Encodings the native tier relies on, each against the bytes the Intel manual gives (checked with
/// objdump when written): REX bits for r8-r15, the SIB byte rsp and r12 need as a base, the displacement
/// rbp and r13 need even when it is 0, byte registers that need an empty REX, and short immediates.
/// </summary>
public class X64AssemblerTests
{
    private static string Hex(Action<X64Assembler> emit)
    {
        var a = new X64Assembler();
        emit(a);
        a.Finish();
        return Convert.ToHexString(a.Code).ToLowerInvariant();
    }

    public static TheoryData<string, string> Encodings() => new()
    {
        { "mov r9, rdx", "4c8bca" },
        { "mov rax, [rsi+0x28]", "488b4628" },
        { "mov rax, [r12]", "498b0424" },
        { "mov rax, [r13]", "498b4500" },
        { "mov rax, [rsp+8]", "488b442408" },
        { "mov [rdi], rax", "488907" },
        { "mov [rsi+0x100], r10", "4c899600010000" },
        { "cmp rax, [rsi+0x30]", "483b4630" },
        { "lea rax, [r10+4]", "498d4204" },
        { "cmp rax, r11", "493bc3" },
        { "add r10, 1", "4983c201" },
        { "add rax, 0x5b4", "4881c0b4050000" },
        { "and ecx, 0xfff", "81e1ff0f0000" },
        { "and rdx, -4096", "4881e200f0ffff" },
        { "shr rcx, 12", "48c1e90c" },
        { "shl ecx, 4", "c1e104" },
        { "sar rax, cl", "48d3f8" },
        { "shl eax, cl", "d3e0" },
        { "cmp byte [rcx], 1", "803901" },
        { "mov [rdx], cl", "880a" },
        { "mov [rdx], sil", "408832" },
        { "mov [rdx], cx", "66890a" },
        { "mov [rdx], ecx", "890a" },
        { "movzx eax, byte [rdx]", "0fb602" },
        { "movsx rax, word [rdx]", "480fbf02" },
        { "movsxd rax, dword [rdx]", "486302" },
        { "mov eax, dword [rdx]", "8b02" },
        { "movsxd rax, eax", "4863c0" },
        { "imul rax, [rsi+0x10]", "480faf4610" },
        { "mov qword [rdi+0x50], 1", "48c7475001000000" },
        { "call [rdi+0x58]", "ff5758" },
        { "jmp [rdi+0x68]", "ff6768" },
        { "test rdx, rdx", "4885d2" },
        { "setl al; movzx eax, al", "0f9cc00fb6c0" },
        { "xor eax, eax (mov 0)", "33c0" },
        { "mov eax, 0x80000000", "b800000080" },
        { "mov rax, -2", "48c7c0feffffff" },
        { "mov rax, 0x123456789", "48b88967452301000000" },
        { "mov r9d, 5", "41b905000000" },
        { "inc dword [rax+12]", "ff400c" },
        { "jmp rcx", "ffe1" },
        { "jmp r11", "41ffe3" },
        { "lea rax, [r9+r13*8]", "4b8d04e9" },
        { "lea rax, [rbp+rbx]", "488d441d00" },
        { "lea r12, [rax+r12*2+0x100]", "4e8da46000010000" },
        { "test rbp, 1", "48f7c501000000" },
        { "test r13d, 0x1f", "41f7c51f000000" },
        { "seto al", "0f90c0" },
        { "mul qword [rsi+0x48]", "48f76648" },
        { "movzx ebp, r12w", "410fb7ec" },
        { "movzx eax, bpl", "400fb6c5" },
        { "movzx r8d, bl", "440fb6c3" },
        { "mov r15d, r12d", "458bfc" },
        { "rorx rbx, r12, 11", "c4c3fbf0dc0b" },
        { "rorx r9d, eax, 3", "c4637bf0c803" },
        { "mulx r8, rax, [rsi+0x48]", "c462fbf64648" },
        { "mulx rcx, rax, r13", "c4c2fbf6cd" },
        { "bt [rdi], rcx", "480fa30f" },
        { "bt [r12+8], r9", "4d0fa34c2408" },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void An_instruction_encodes_as_the_manual_says(string instruction, string expected)
    {
        Action<X64Assembler> emit = instruction switch
        {
            "mov r9, rdx" => a => a.Mov(R9, Rdx),
            "mov rax, [rsi+0x28]" => a => a.Load(Rax, Rsi, 0x28),
            "mov rax, [r12]" => a => a.Load(Rax, R12, 0),
            "mov rax, [r13]" => a => a.Load(Rax, R13, 0),
            "mov rax, [rsp+8]" => a => a.Load(Rax, Rsp, 8),
            "mov [rdi], rax" => a => a.Store(Rdi, 0, Rax),
            "mov [rsi+0x100], r10" => a => a.Store(Rsi, 0x100, R10),
            "cmp rax, [rsi+0x30]" => a => a.AluMem(X64Alu.Cmp, Rax, Rsi, 0x30),
            "lea rax, [r10+4]" => a => a.Lea(Rax, R10, 4),
            "cmp rax, r11" => a => a.AluReg(X64Alu.Cmp, Rax, R11),
            "add r10, 1" => a => a.AluImm(X64Alu.Add, R10, 1),
            "add rax, 0x5b4" => a => a.AluImm(X64Alu.Add, Rax, 0x5b4),
            "and ecx, 0xfff" => a => a.AluImm(X64Alu.And, Rcx, 0xfff, wide: false),
            "and rdx, -4096" => a => a.AluImm(X64Alu.And, Rdx, -4096),
            "shr rcx, 12" => a => a.ShiftImm(X64Shift.Shr, Rcx, 12),
            "shl ecx, 4" => a => a.ShiftImm(X64Shift.Shl, Rcx, 4, wide: false),
            "sar rax, cl" => a => a.ShiftCl(X64Shift.Sar, Rax),
            "shl eax, cl" => a => a.ShiftCl(X64Shift.Shl, Rax, wide: false),
            "cmp byte [rcx], 1" => a => a.CmpByteMem(Rcx, 0, 1),
            "mov [rdx], cl" => a => a.StoreSized(Rdx, 0, Rcx, 1),
            "mov [rdx], sil" => a => a.StoreSized(Rdx, 0, Rsi, 1),
            "mov [rdx], cx" => a => a.StoreSized(Rdx, 0, Rcx, 2),
            "mov [rdx], ecx" => a => a.StoreSized(Rdx, 0, Rcx, 4),
            "movzx eax, byte [rdx]" => a => a.LoadExtend(Rax, Rdx, 0, 1, signed: false),
            "movsx rax, word [rdx]" => a => a.LoadExtend(Rax, Rdx, 0, 2, signed: true),
            "movsxd rax, dword [rdx]" => a => a.LoadExtend(Rax, Rdx, 0, 4, signed: true),
            "mov eax, dword [rdx]" => a => a.LoadExtend(Rax, Rdx, 0, 4, signed: false),
            "movsxd rax, eax" => a => a.SignExtend32(Rax, Rax),
            "imul rax, [rsi+0x10]" => a => a.ImulMem(Rax, Rsi, 0x10),
            "mov qword [rdi+0x50], 1" => a => a.StoreImm(Rdi, 0x50, 1),
            "call [rdi+0x58]" => a => a.CallMem(Rdi, 0x58),
            "jmp [rdi+0x68]" => a => a.JumpMem(Rdi, 0x68),
            "test rdx, rdx" => a => a.Test(Rdx, Rdx),
            "setl al; movzx eax, al" => a => a.SetCond(X64Cond.L, Rax),
            "xor eax, eax (mov 0)" => a => a.MovImm(Rax, 0),
            "mov eax, 0x80000000" => a => a.MovImm(Rax, 0x8000_0000),
            "mov rax, -2" => a => a.MovImm(Rax, -2),
            "mov rax, 0x123456789" => a => a.MovImm(Rax, 0x1_2345_6789),
            "mov r9d, 5" => a => a.MovImm(R9, 5),
            "inc dword [rax+12]" => a => a.IncMem32(Rax, 12),
            "jmp rcx" => a => a.JumpReg(Rcx),
            "jmp r11" => a => a.JumpReg(R11),
            "lea rax, [r9+r13*8]" => a => a.LeaIndex(Rax, R9, R13, 3),
            "lea rax, [rbp+rbx]" => a => a.LeaIndex(Rax, Rbp, Rbx, 0),
            "lea r12, [rax+r12*2+0x100]" => a => a.LeaIndex(R12, Rax, R12, 1, 0x100),
            "test rbp, 1" => a => a.TestImm(Rbp, 1),
            "test r13d, 0x1f" => a => a.TestImm(R13, 0x1f, wide: false),
            "seto al" => a => a.SetCondByte(X64Cond.O, Rax),
            "mul qword [rsi+0x48]" => a => a.MultiplyWideMem(Rsi, 0x48, signed: false),
            "movzx ebp, r12w" => a => a.MovZx(Rbp, R12, 2),
            "movzx eax, bpl" => a => a.MovZx(Rax, Rbp, 1),
            "movzx r8d, bl" => a => a.MovZx(R8, Rbx, 1),
            "mov r15d, r12d" => a => a.MovZx(R15, R12, 4),
            "rorx rbx, r12, 11" => a => a.Rorx(Rbx, R12, 11),
            "rorx r9d, eax, 3" => a => a.Rorx(R9, Rax, 3, wide: false),
            "mulx r8, rax, [rsi+0x48]" => a => a.MulxMem(R8, Rax, Rsi, 0x48),
            "mulx rcx, rax, r13" => a => a.MulxReg(Rcx, Rax, R13),
            "bt [rdi], rcx" => a => a.BitTestMem(Rdi, 0, Rcx),
            "bt [r12+8], r9" => a => a.BitTestMem(R12, 8, R9),
            _ => throw new ArgumentException(instruction),
        };
        Assert.Equal(expected, Hex(emit));
    }

    [Fact]
    public void Jumps_reach_labels_bound_before_and_after_them()
    {
        var a = new X64Assembler();
        var back = a.NewLabel();
        var ahead = a.NewLabel();
        a.Bind(back);
        a.JumpIf(X64Cond.NE, ahead); // 0: 6 bytes, to 11
        a.Jump(back);                // 6: 5 bytes, to 0
        a.Bind(ahead);
        a.Ret();                     // 11
        a.Finish();
        Assert.Equal("0f8505000000" + "e9f5ffffff" + "c3", Convert.ToHexString(a.Code).ToLowerInvariant());
    }

    [Fact]
    public void A_jump_to_a_label_never_bound_is_a_translator_bug_reported_at_finish()
    {
        var a = new X64Assembler();
        a.Jump(a.NewLabel());
        Assert.Throws<InvalidOperationException>(a.Finish);
    }

    [Fact]
    public void A_body_longer_than_the_first_buffer_with_many_labels_keeps_every_byte_and_jump()
    {
        // Past the 4 KiB buffer and the 64 first labels and jumps, which grow as the body does: 1,000
        // rounds of "jne to the next round's label; mov rax, imm64", then every jump checked.
        var a = new X64Assembler();
        const int rounds = 1000;
        var labels = new X64Label[rounds + 1];
        for (int i = 0; i <= rounds; i++) labels[i] = a.NewLabel();
        for (int i = 0; i < rounds; i++)
        {
            a.Bind(labels[i]);
            a.JumpIf(X64Cond.NE, labels[i + 1]);
            a.MovImm(Rax, 0x1122334455667788 + i);
        }
        a.Bind(labels[rounds]);
        a.Ret();
        a.Finish();
        var code = a.Code;
        const int round = 6 + 10;
        Assert.Equal(rounds * round + 1, code.Length);
        for (int i = 0; i < rounds; i++)
        {
            var r = code.Slice(i * round, round);
            Assert.Equal("0f85", Convert.ToHexString(r[..2]).ToLowerInvariant());
            Assert.Equal(round - 6, BitConverter.ToInt32(r[2..6]));
            Assert.Equal(0x1122334455667788 + i, BitConverter.ToInt64(r[8..16]));
        }
        Assert.Equal(0xc3, code[^1]);
    }

    [Fact]
    public void Binding_a_label_of_another_body_is_a_translator_bug()
    {
        var a = new X64Assembler();
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Bind(new X64Label(5)));
    }
}
