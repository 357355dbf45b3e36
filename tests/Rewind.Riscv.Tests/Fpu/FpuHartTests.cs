using System.Text;
using Rewind.Board;
using Rewind.Board.Devices;
using Rewind.Core.Execution;
using Rewind.Riscv.Decode;
using Decoder = Rewind.Riscv.Decode.Decoder;

namespace Rewind.Riscv.Tests.Fpu;

/// <summary>F/D on the hart: decoding (f0 is a real register), mstatus.FS, fcsr, snapshots, and the fpu_fd guest.</summary>
public class FpuHartTests
{
    private const ulong FsMask = 3UL << 13;
    private static uint FaddD(int rd, int rs1, int rs2, uint rm = 0) => Asm.R(0x01, rs2, rs1, rm, rd, 0x53);
    private static uint FmvDX(int rd, int rs1) => Asm.R(0x79, 0, rs1, 0, rd, 0x53);
    private static uint FmvXD(int rd, int rs1) => Asm.R(0x71, 0, rs1, 0, rd, 0x53);

    [Fact]
    public void Decode_keeps_f0_as_a_destination()
    {
        var d = Decoder.Decode(FaddD(0, 1, 2));
        Assert.Equal(Op.FaddD, d.Op);
        Assert.Equal(0, d.Rd & 31);
        var c = Decoder.Decode(0x2002); // c.fldsp f0, 0(sp)
        Assert.Equal(Op.Fld, c.Op);
        Assert.Equal(0, c.Rd & 31);
        Assert.Equal(2, c.Rs1);
        Assert.Equal(Op.Fsd, Decoder.Decode(0xa002).Op); // c.fsdsp f0, 0(sp)
        Assert.Equal(Op.Illegal, Decoder.Decode(Asm.R(0x03, 2, 1, 0, 0, 0x53)).Op); // fmt = Q
        Assert.Equal(Op.FmaddS, Decoder.Decode(0x18b5f543).Op);                      // fmadd.s fa0, fa1, fa1, ft3
        Assert.Equal(3, Decoder.Decode(0x18b5f543).Aux & 31);                       // rs3
        Assert.Equal(7, Decoder.Decode(0x18b5f543).Aux >> 8);                       // rm = dyn
    }

    [Fact]
    public void Fp_instructions_are_illegal_while_fs_is_off_and_writes_make_fs_dirty()
    {
        var rig = new HartRig();
        rig.Program(FmvDX(0, 5), FmvDX(0, 5), FaddD(0, 0, 0), FmvXD(6, 0));
        rig.Hart.SetX(5, BitConverter.DoubleToUInt64Bits(1.5));
        Assert.Equal(0UL, rig.Csr(Csr.Mstatus) & FsMask);
        Assert.False(rig.Hart.TryReadCsr(Csr.Fcsr, out _));
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Hart.LastTrapCause);

        rig.Hart.Pc = HartRig.RamBase + 4;
        rig.SetCsr(Csr.Mstatus, 2UL << 13); // Clean
        rig.Step(3);
        Assert.Equal(3.0, BitConverter.UInt64BitsToDouble(rig.X(6)));
        Assert.Equal(BitConverter.DoubleToUInt64Bits(3.0), rig.Hart.GetF(0));
        Assert.Equal(FsMask, rig.Csr(Csr.Mstatus) & FsMask);
        Assert.NotEqual(0UL, rig.Csr(Csr.Mstatus) >> 63); // SD
    }

    [Fact]
    public void Invalid_dynamic_rounding_mode_is_illegal()
    {
        var rig = new HartRig();
        rig.Program(FaddD(1, 2, 3, rm: 7));
        rig.SetCsr(Csr.Mstatus, FsMask);
        rig.SetCsr(Csr.Frm, 5);
        rig.Step();
        Assert.Equal((ulong)ExceptionCause.IllegalInstruction, rig.Hart.LastTrapCause);
    }

    [Fact]
    public void Snapshot_restores_fp_registers_and_fcsr()
    {
        var rig = new HartRig();
        rig.SetCsr(Csr.Mstatus, FsMask);
        for (int i = 0; i < 32; i++) rig.Hart.SetF(i, 0x1111111111111111UL * (ulong)(i % 15 + 1));
        rig.SetCsr(Csr.Fcsr, 0x9b);
        var ms = new MemoryStream();
        rig.Hart.SaveState(new BinaryWriter(ms));
        rig.Hart.Reset(HartRig.RamBase);
        Assert.Equal(0UL, rig.Hart.GetF(3));
        ms.Position = 0;
        rig.Hart.LoadState(new BinaryReader(ms));
        for (int i = 0; i < 32; i++) Assert.Equal(0x1111111111111111UL * (ulong)(i % 15 + 1), rig.Hart.GetF(i));
        Assert.Equal(0x9bUL, rig.Csr(Csr.Fcsr));
        Assert.Equal(0x1bUL, rig.Csr(Csr.Fflags));
        Assert.Equal(4UL, rig.Csr(Csr.Frm));
    }

    private sealed class CaptureSerial : ISerialBackend
    {
        private readonly StringBuilder _text = new();
        public void Write(byte b) => _text.Append((char)b);
        public string Text => _text.ToString();
    }

    [Fact]
    public void Fpu_fd_guest_passes()
    {
        string path = RepoPaths.Guest("fpu_fd");
        Assert.True(File.Exists(path), $"{path} is missing (make -C guests all)");
        var serial = new CaptureSerial();
        var board = VirtBoard.Create(new BoardOptions { Bios = "none", Kernel = path, Serial = serial });
        var stop = board.Machine.Run(10_000_000);
        Assert.True(stop.Kind == StopKind.Exited && stop.ExitCode == 0, $"stopped with {stop}; output:\n{serial.Text}");
        Assert.Contains("PASS fpu_fd", serial.Text);
    }
}
