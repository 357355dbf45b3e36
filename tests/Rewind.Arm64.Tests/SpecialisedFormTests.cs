namespace Rewind.Arm64.Tests;

/// <summary>
/// The interpreter's kinds for the commonest forms (64-bit shifted-register arithmetic and logic, UBFM,
/// 8-byte loads and stores, branchless CSEL and flags) compute what the architecture says, and the slot
/// taken after an instruction is the one its bytes say even when the instruction before rewrote it.
/// Encodings from GNU as.
/// </summary>
public class SpecialisedFormTests
{
    private const ulong A = 0x9e3779b97f4a7c15, B = 0xf0e1d2c3b4a59687;

    [Fact]
    public void Shifted_register_forms_of_64_bits_shift_then_combine()
    {
        var rig = new CpuRig(
            0x8b010c02, // add x2, x0, x1, lsl #3
            0x8b410803, // add x3, x0, x1, lsr #2
            0xcb011004, // sub x4, x0, x1, lsl #4
            0xcb410405, // sub x5, x0, x1, lsr #1
            0x8a010406, // and x6, x0, x1, lsl #1
            0x8a410c07, // and x7, x0, x1, lsr #3
            0xaa012008, // orr x8, x0, x1, lsl #8
            0xaa412009, // orr x9, x0, x1, lsr #8
            0xca01340a, // eor x10, x0, x1, lsl #13
            0xca411c0b, // eor x11, x0, x1, lsr #7
            0xca01041f, // eor xzr, x0, x1, lsl #1
            0xd34bfc0c, // lsr x12, x0, #11
            0xd34b580d, // ubfx x13, x0, #11, #12
            0xd37be80e, // lsl x14, x0, #5
            0x14000000); // b .
        rig.Cpu.SetX(0, A);
        rig.Cpu.SetX(1, B);
        rig.Step(14);
        // Wrapping arithmetic, as the guest's (the tests build with overflow checks).
        unchecked
        {
            Assert.Equal(A + (B << 3), rig.Cpu.GetX(2));
            Assert.Equal(A + (B >> 2), rig.Cpu.GetX(3));
            Assert.Equal(A - (B << 4), rig.Cpu.GetX(4));
            Assert.Equal(A - (B >> 1), rig.Cpu.GetX(5));
        }
        Assert.Equal(A & (B << 1), rig.Cpu.GetX(6));
        Assert.Equal(A & (B >> 3), rig.Cpu.GetX(7));
        Assert.Equal(A | (B << 8), rig.Cpu.GetX(8));
        Assert.Equal(A | (B >> 8), rig.Cpu.GetX(9));
        Assert.Equal(A ^ (B << 13), rig.Cpu.GetX(10));
        Assert.Equal(A ^ (B >> 7), rig.Cpu.GetX(11));
        Assert.Equal(0UL, rig.Cpu.GetX(31));
        Assert.Equal(A >> 11, rig.Cpu.GetX(12));
        Assert.Equal((A >> 11) & 0xfff, rig.Cpu.GetX(13));
        Assert.Equal(A << 5, rig.Cpu.GetX(14));
    }

    [Theory]
    [InlineData(5UL, 5UL)]
    [InlineData(5UL, 6UL)]
    public void Conditional_selects_pick_by_the_flags_in_every_variant(ulong x0, ulong x1)
    {
        var rig = new CpuRig(
            0xeb01001f, // cmp x0, x1
            0x9a840062, // csel x2, x3, x4, eq
            0x9a840465, // csinc x5, x3, x4, eq
            0xda840066, // csinv x6, x3, x4, eq
            0xda840467, // csneg x7, x3, x4, eq
            0x9a841068, // csel x8, x3, x4, ne
            0x9a841469, // csinc x9, x3, x4, ne
            0xda84106a, // csinv x10, x3, x4, ne
            0xda84146b, // csneg x11, x3, x4, ne
            0x1a84146c, // csinc w12, w3, w4, ne
            0x14000000); // b .
        ulong x3 = 0x1234_5678_9abc_def0, x4 = 0xffff_ffff_ffff_fffe;
        rig.Cpu.SetX(0, x0);
        rig.Cpu.SetX(1, x1);
        rig.Cpu.SetX(3, x3);
        rig.Cpu.SetX(4, x4);
        rig.Step(10);
        bool eq = x0 == x1;
        Assert.Equal(eq ? x3 : x4, rig.Cpu.GetX(2));
        Assert.Equal(eq ? x3 : unchecked(x4 + 1), rig.Cpu.GetX(5));
        Assert.Equal(eq ? x3 : ~x4, rig.Cpu.GetX(6));
        Assert.Equal(eq ? x3 : unchecked(0 - x4), rig.Cpu.GetX(7));
        Assert.Equal(!eq ? x3 : x4, rig.Cpu.GetX(8));
        Assert.Equal(!eq ? x3 : unchecked(x4 + 1), rig.Cpu.GetX(9));
        Assert.Equal(!eq ? x3 : ~x4, rig.Cpu.GetX(10));
        Assert.Equal(!eq ? x3 : unchecked(0 - x4), rig.Cpu.GetX(11));
        Assert.Equal(!eq ? (uint)x3 : (ulong)unchecked((uint)(x4 + 1)), rig.Cpu.GetX(12));
    }

    [Fact]
    public void Eight_byte_loads_and_stores_address_by_index_offset_and_stack_pointer()
    {
        var rig = new CpuRig(
            0xf8227820, // str x0, [x1, x2, lsl #3]
            0xf8627823, // ldr x3, [x1, x2, lsl #3]
            0xf9000be0, // str x0, [sp, #16]
            0xf9400be4, // ldr x4, [sp, #16]
            0xf9400425, // ldr x5, [x1, #8]
            0xf8226820, // str x0, [x1, x2]
            0xf8626826, // ldr x6, [x1, x2]
            0x14000000); // b .
        const ulong table = CpuRig.Ram + 0x4000, stack = CpuRig.Ram + 0x8000;
        rig.Cpu.SetX(0, A);
        rig.Cpu.SetX(1, table);
        rig.Cpu.SetX(2, 8);
        rig.Cpu.SetX(5, B);
        rig.Cpu.Sp = stack;
        rig.Step(7);
        Assert.Equal(A, rig.Read64(table + 64));
        Assert.Equal(A, rig.Cpu.GetX(3));
        Assert.Equal(A, rig.Read64(stack + 16));
        Assert.Equal(A, rig.Cpu.GetX(4));
        Assert.Equal(0UL, rig.Cpu.GetX(5)); // loaded before the store to table + 8
        Assert.Equal(A, rig.Read64(table + 8));
        Assert.Equal(A, rig.Cpu.GetX(6));
        Assert.Equal(stack, rig.Cpu.Sp);
    }

    [Fact]
    public void A_store_over_the_next_instruction_runs_the_new_one()
    {
        // str w2, [x1]; movz x0, #1; b . — with x1 the address of the movz and w2 "movz x0, #2". The movz was
        // decoded by an earlier run, so the slot after the store must be looked at again, not reused.
        var rig = new CpuRig(0xb9000022, 0xd2800020, 0x14000000);
        rig.Cpu.Pc = CpuRig.Ram + 4;
        rig.Step();
        Assert.Equal(1UL, rig.Cpu.GetX(0));
        rig.Cpu.Pc = CpuRig.Ram;
        rig.Cpu.SetX(1, CpuRig.Ram + 4);
        rig.Cpu.SetX(2, 0xd2800040);
        rig.Step(2);
        Assert.Equal(2UL, rig.Cpu.GetX(0));
    }

    [Theory]
    [InlineData(2UL, 0UL)]
    [InlineData(3UL, 1UL)]
    public void A_test_of_a_data_bit_sets_z_for_the_branch_after_it(ulong value, ulong expected)
    {
        // tst x0, #1; b.eq skip; movz x1, #1; skip: b .
        var rig = new CpuRig(0xf240001f, 0x54000040, 0xd2800021, 0x14000000);
        rig.Cpu.SetX(0, value);
        rig.Step(3);
        Assert.Equal(expected, rig.Cpu.GetX(1));
        Assert.Equal(CpuRig.Ram + 12, rig.Cpu.Pc);
    }
}
