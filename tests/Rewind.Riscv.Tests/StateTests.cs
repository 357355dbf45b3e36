using static Rewind.TestSupport.Asm;

namespace Rewind.Riscv.Tests;

public class StateTests
{
    private const ulong Base = HartRig.RamBase;

    /// <summary>A loop mixing ALU work, a multiply, memory and a CSR, that never settles.</summary>
    private static readonly uint[] Program =
    [
        Auipc(S0, 0),                 // 0: s0 = base
        Addi(A0, Zero, 3),            // 4
        Addi(A1, Zero, 1),            // 8
        // loop (12):
        Mul(A1, A1, A0),              // 12
        Addi(A1, A1, 7),              // 16
        Ld(A2, S0, 1024),             // 20
        Add(A2, A2, A1),              // 24
        Sd(A2, S0, 1024),             // 28
        Csrrw(A3, Csr.Mscratch, A2),  // 32
        Addiw(A4, A2, 1),             // 36
        Jal(Zero, -28),               // 40 -> 12
    ];

    private static (ulong[] Regs, ulong Pc, ulong Icount, ulong Memory) Snapshot(HartRig rig) =>
        (Enumerable.Range(0, 32).Select(rig.X).ToArray(), rig.Hart.Pc, rig.Hart.Icount, rig.Read64(Base + 1024));

    [Fact]
    public void Save_then_load_mid_program_gives_identical_subsequent_execution()
    {
        var original = new HartRig();
        original.Program(Program);
        original.Step(1001);

        var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) original.Hart.SaveState(w);
        byte[] ram = original.Ram.Bytes.ToArray();

        original.Step(5000);
        var expected = Snapshot(original);
        ulong expectedScratch = original.Csr(Csr.Mscratch);

        var restored = new HartRig();
        restored.Program(Nop, Nop); // something else cached at the start, to be discarded by the load
        restored.Step(2);
        restored.Ram.Write(0, ram);
        stream.Position = 0;
        using (var r = new BinaryReader(stream)) restored.Hart.LoadState(r);
        Assert.Equal(1001UL, restored.Hart.Icount);

        restored.Step(5000);
        var actual = Snapshot(restored);
        Assert.Equal(expected.Regs, actual.Regs);
        Assert.Equal(expected.Pc, actual.Pc);
        Assert.Equal(expected.Icount, actual.Icount);
        Assert.Equal(expected.Memory, actual.Memory);
        Assert.Equal(expectedScratch, restored.Csr(Csr.Mscratch));
    }

    [Fact]
    public void Saved_state_is_the_same_bytes_for_the_same_history()
    {
        static byte[] Save(int steps)
        {
            var rig = new HartRig();
            rig.Program(Program);
            rig.Step(steps);
            var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms)) rig.Hart.SaveState(w);
            return ms.ToArray();
        }
        Assert.Equal(Save(777), Save(777));
        Assert.NotEqual(Save(777), Save(778));
    }

    [Fact]
    public void Loading_state_restores_privilege_and_csrs()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Mtvec, Base + 0x200);
        rig.SetCsr(Csr.Mepc, Base + 0x40);
        rig.SetCsr(Csr.Mstatus, rig.Csr(Csr.Mstatus) & ~Mstatus.Mpp);
        rig.Program(Mret);
        rig.Step();
        Assert.Equal(PrivilegeLevel.User, rig.Hart.Privilege);
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) rig.Hart.SaveState(w);

        var other = new HartRig();
        ms.Position = 0;
        using (var r = new BinaryReader(ms)) other.Hart.LoadState(r);
        Assert.Equal(PrivilegeLevel.User, other.Hart.Privilege);
        Assert.Equal(Base + 0x40, other.Hart.Pc);
        Assert.Equal(Base + 0x200, other.Csr(Csr.Mtvec));
        Assert.Equal(rig.Csr(Csr.Mstatus), other.Csr(Csr.Mstatus));
    }
}
