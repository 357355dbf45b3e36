namespace Rewind.Arm64.Tests;

/// <summary>
/// Advanced SIMD integer instructions, each on the same three registers: v0 and v1 the sources, v2 the
/// destination (also the table indices for TBL/TBX and the old value for the narrowing "2" forms and
/// USRA). The expected values are what qemu-system-aarch64 7.2 (-cpu cortex-a57) computes for the
/// same instructions on the same inputs, in a bare-metal guest printing v2 after each.
/// </summary>
public class SimdIntegerTests
{
    private static readonly ulong[] A = [0x00ff7f8001fe4020, 0x1122334455667700];
    private static readonly ulong[] B = [0x00fe7f8101ff4020, 0x8090a0b0c0d0e0f0];
    private static readonly ulong[] T = [0x0f0e0d0c0b0a0908, 0x1f03020110ff4000];

    [Theory]
    [InlineData("cmeq v2.16b, v0.16b, v1.16b", 0xff00ff00ff00ffffUL, 0x0000000000000000UL, 0x6e218c02u)]
    [InlineData("cmeq v2.16b, v0.16b, #0", 0xff00000000000000UL, 0x00000000000000ffUL, 0x4e209802u)]
    [InlineData("cmhs v2.16b, v0.16b, v1.16b", 0xffffff00ff00ffffUL, 0x0000000000000000UL, 0x6e213c02u)]
    [InlineData("cmhi v2.8h, v0.8h, v1.8h", 0xffff000000000000UL, 0x0000000000000000UL, 0x6e613402u)]
    [InlineData("cmgt v2.4s, v0.4s, v1.4s", 0xffffffff00000000UL, 0xffffffffffffffffUL, 0x4ea13402u)]
    [InlineData("cmge v2.2d, v0.2d, v1.2d", 0xffffffffffffffffUL, 0xffffffffffffffffUL, 0x4ee13c02u)]
    [InlineData("cmtst v2.16b, v0.16b, v1.16b", 0x00ffffffffffffffUL, 0x0000ff00ffffff00UL, 0x4e218c02u)]
    [InlineData("cmlt v2.8h, v0.8h, #0", 0x0000000000000000UL, 0x0000000000000000UL, 0x4e60a802u)]
    [InlineData("cmle v2.4s, v1.4s, #0", 0x0000000000000000UL, 0xffffffffffffffffUL, 0x6ea09822u)]
    [InlineData("cmgt v2.8b, v0.8b, #0", 0x0000ff00ff00ffffUL, 0x0000000000000000UL, 0x0e208802u)]
    [InlineData("umaxp v2.16b, v0.16b, v1.16b", 0x22446677ff80fe40UL, 0x90b0d0f0fe81ff40UL, 0x6e21a402u)]
    [InlineData("uminp v2.8h, v0.8h, v1.8h", 0x1122556600ff01feUL, 0x8090c0d000fe01ffUL, 0x6e61ac02u)]
    [InlineData("smaxp v2.4s, v0.4s, v1.4s", 0x5566770001fe4020UL, 0xc0d0e0f001ff4020UL, 0x4ea1a402u)]
    [InlineData("addp v2.2d, v0.2d, v1.2d", 0x1221b2c45764b720UL, 0x818f2031c2d02110UL, 0x4ee1bc02u)]
    [InlineData("addp v2.8b, v0.8b, v1.8b", 0xfe000060ffffff60UL, 0x0000000000000000UL, 0x0e21bc02u)]
    [InlineData("umax v2.16b, v0.16b, v1.16b", 0x00ff7f8101ff4020UL, 0x8090a0b0c0d0e0f0UL, 0x6e216402u)]
    [InlineData("smin v2.8h, v0.8h, v1.8h", 0x00fe7f8001fe4020UL, 0x8090a0b0c0d0e0f0UL, 0x4e616c02u)]
    [InlineData("add v2.4s, v0.4s, v1.4s", 0x01fdff0103fd8040UL, 0x91b2d3f4163757f0UL, 0x4ea18402u)]
    [InlineData("sub v2.2d, v0.2d, v1.2d", 0x0000fffeffff0000UL, 0x9091929394959610UL, 0x6ee18402u)]
    [InlineData("mul v2.8h, v0.8h, v1.8h", 0xfd02bf80fa020400UL, 0xa320bec0e2e09000UL, 0x4e619c02u)]
    [InlineData("shrn v2.8b, v0.8h, #4", 0x123456700ff81f02UL, 0x0000000000000000UL, 0x0f0c8402u)]
    [InlineData("shrn2 v2.16b, v1.8h, #4", 0x0f0e0d0c0b0a0908UL, 0x090b0d0f0ff81f02UL, 0x4f0c8422u)]
    [InlineData("ushr v2.4s, v0.4s, #7", 0x0001feff0003fc80UL, 0x0022446600aacceeUL, 0x6f390402u)]
    [InlineData("sshr v2.16b, v1.16b, #8", 0x00ff00ff00ff0000UL, 0xffffffffffffffffUL, 0x4f080422u)]
    [InlineData("shl v2.2d, v0.2d, #13", 0xeff0003fc8040000UL, 0x46688aaccee00000UL, 0x4f4d5402u)]
    [InlineData("usra v2.8h, v0.8h, #3", 0x0f2d1cfc0b49110cUL, 0x212708691bab4ee0UL, 0x6f1d1402u)]
    [InlineData("sxtl v2.2d, v1.2s", 0x0000000001ff4020UL, 0x0000000000fe7f81UL, 0x0f20a422u)]
    [InlineData("uxtl2 v2.8h, v1.16b", 0x00c000d000e000f0UL, 0x0080009000a000b0UL, 0x6f08a422u)]
    [InlineData("sshll v2.4s, v1.4h, #5", 0x00003fe000080400UL, 0x00001fc0000ff020UL, 0x0f15a422u)]
    [InlineData("xtn v2.2s, v1.2d", 0xc0d0e0f001ff4020UL, 0x0000000000000000UL, 0x0ea12822u)]
    [InlineData("xtn2 v2.16b, v0.8h", 0x0f0e0d0c0b0a0908UL, 0x22446600ff80fe20UL, 0x4e212802u)]
    [InlineData("addv b2, v0.16b", 0x0000000000000039UL, 0x0000000000000000UL, 0x4e31b802u)]
    [InlineData("addv h2, v1.4h", 0x000000000000c29eUL, 0x0000000000000000UL, 0x0e71b822u)]
    [InlineData("umaxv b2, v1.16b", 0x00000000000000ffUL, 0x0000000000000000UL, 0x6e30a822u)]
    [InlineData("uminv h2, v0.8h", 0x00000000000000ffUL, 0x0000000000000000UL, 0x6e71a802u)]
    [InlineData("smaxv s2, v1.4s", 0x0000000001ff4020UL, 0x0000000000000000UL, 0x4eb0a822u)]
    [InlineData("sminv b2, v1.16b", 0x0000000000000080UL, 0x0000000000000000UL, 0x4e31a822u)]
    [InlineData("uaddlv h2, v1.16b", 0x000000000000091eUL, 0x0000000000000000UL, 0x6e303822u)]
    [InlineData("saddlv s2, v1.8h", 0x00000000ffff859eUL, 0x0000000000000000UL, 0x4e703822u)]
    [InlineData("cnt v2.16b, v0.16b", 0x0008070101070101UL, 0x0202040204040600UL, 0x4e205802u)]
    [InlineData("mvn v2.8b, v1.8b", 0xff01807efe00bfdfUL, 0x0000000000000000UL, 0x2e205822u)]
    [InlineData("rbit v2.16b, v0.16b", 0x00fffe01807f0204UL, 0x8844cc22aa66ee00UL, 0x6e605802u)]
    [InlineData("rev64 v2.16b, v0.16b", 0x2040fe01807fff00UL, 0x0077665544332211UL, 0x4e200802u)]
    [InlineData("rev32 v2.8h, v0.8h", 0x7f8000ff402001feUL, 0x3344112277005566UL, 0x6e600802u)]
    [InlineData("rev16 v2.8b, v1.8b", 0xfe00817fff012040UL, 0x0000000000000000UL, 0x0e201822u)]
    [InlineData("abs v2.8h, v1.8h", 0x00fe7f8101ff4020UL, 0x7f705f503f301f10UL, 0x4e60b822u)]
    [InlineData("neg v2.4s, v0.4s", 0xff008080fe01bfe0UL, 0xeeddccbcaa998900UL, 0x6ea0b802u)]
    [InlineData("uaddw v2.2d, v0.2d, v1.2s", 0x00ff7f8003fd8040UL, 0x112233445664f681UL, 0x2ea11002u)]
    [InlineData("saddw2 v2.4s, v0.4s, v1.8h", 0x00ff405001fe2110UL, 0x1121b3d4556617b0UL, 0x4e611002u)]
    [InlineData("umull v2.8h, v0.8b, v1.8b", 0x0001fd0210000400UL, 0x0000fd023f014080UL, 0x2e21c002u)]
    [InlineData("smull2 v2.4s, v0.8h, v1.8h", 0xeaebe2e0f18f9000UL, 0xf778a320ece9bec0UL, 0x4e61c002u)]
    [InlineData("usubl v2.2d, v0.2s, v1.2s", 0xffffffffffff0000UL, 0x000000000000ffffUL, 0x2ea12002u)]
    [InlineData("uzp1 v2.16b, v0.16b, v1.16b", 0x22446600ff80fe20UL, 0x90b0d0f0fe81ff20UL, 0x4e011802u)]
    [InlineData("uzp2 v2.8h, v0.8h, v1.8h", 0x1122556600ff01feUL, 0x8090c0d000fe01ffUL, 0x4e415802u)]
    [InlineData("zip1 v2.16b, v0.16b, v1.16b", 0x0101fffe40402020UL, 0x0000feff7f7f8180UL, 0x4e013802u)]
    [InlineData("zip2 v2.4s, v0.4s, v1.4s", 0xc0d0e0f055667700UL, 0x8090a0b011223344UL, 0x4e817802u)]
    [InlineData("trn1 v2.8b, v0.8b, v1.8b", 0xfeff8180fffe2020UL, 0x0000000000000000UL, 0x0e012802u)]
    [InlineData("trn2 v2.8h, v0.8h, v1.8h", 0x00fe00ff01ff01feUL, 0x80901122c0d05566UL, 0x4e416802u)]
    [InlineData("ext v2.16b, v0.16b, v1.16b, #5", 0x445566770000ff7fUL, 0x8101ff4020112233UL, 0x6e012802u)]
    [InlineData("ext v2.8b, v0.8b, v1.8b, #3", 0xff402000ff7f8001UL, 0x0000000000000000UL, 0x2e011802u)]
    [InlineData("tbl v2.16b, {v0.16b, v1.16b}, v2.16b", 0x1122334455667700UL, 0x8001fe4020000020UL, 0x4e022002u)]
    [InlineData("tbx v2.8b, {v0.16b}, v2.8b", 0x1122334455667700UL, 0x0000000000000000UL, 0x0e021002u)]
    [InlineData("tbl v2.16b, {v1.16b}, v2.16b", 0x8090a0b0c0d0e0f0UL, 0x0001ff4000000020UL, 0x4e020022u)]
    [InlineData("addp d2, v1.2d", 0x818f2031c2d02110UL, 0x0000000000000000UL, 0x5ef1b822u)]
    [InlineData("cmeq v0.16b, v0.16b, v1.16b; mov v2.16b, v0.16b", 0xff00ff00ff00ffffUL, 0x0000000000000000UL, 0x6e218c00u, 0x4ea01c02u)]
    public void Vector_instruction_computes_what_qemu_computes(string assembly, ulong lo, ulong hi, params uint[] program)
    {
        var rig = new CpuRig(program);
        rig.Cpu.SetV(0, A[0], A[1]);
        rig.Cpu.SetV(1, B[0], B[1]);
        rig.Cpu.SetV(2, T[0], T[1]);
        rig.Step(program.Length);
        Assert.True((lo, hi) == (rig.Cpu.GetVLow(2), rig.Cpu.GetVHigh(2)),
            $"{assembly}: got 0x{rig.Cpu.GetVLow(2):x16} 0x{rig.Cpu.GetVHigh(2):x16}");
        Assert.Equal(CpuRig.Ram + 4 * (ulong)program.Length, rig.Cpu.Pc);
    }

    [Theory]
    [InlineData(0x4e210c02u)] // sqadd v2.16b, v0.16b, v1.16b (saturating: not implemented)
    [InlineData(0x2f0c9402u)] // uqshrn v2.8b, v0.8h, #4 (saturating: not implemented)
    [InlineData(0x4e211402u)] // srhadd v2.16b, v0.16b, v1.16b (halving: not implemented)
    [InlineData(0x2ee18c02u)] // cmeq with 64-bit elements in a 64-bit vector: reserved
    [InlineData(0x0ef1b802u)] // addv over 64-bit elements: reserved
    public void Unimplemented_or_reserved_vector_encoding_is_undefined(uint insn)
    {
        var rig = new CpuRig(insn);
        rig.Cpu.SetV(2, T[0], T[1]);
        rig.Step();
        Assert.Equal(CpuRig.Vbar + 0x200, rig.Cpu.Pc);
        Assert.Equal(0x0200_0000UL, rig.SystemRegister(Arm64Cpu.SysReg.Esr));
        Assert.Equal((T[0], T[1]), (rig.Cpu.GetVLow(2), rig.Cpu.GetVHigh(2)));
    }
}
