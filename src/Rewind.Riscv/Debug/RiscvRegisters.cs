using System.Globalization;
using System.Text;
using Rewind.Core.Cpu;

namespace Rewind.Riscv.Debug;

/// <summary>A hart's registers numbered as in its GDB target description (see <see cref="GdbRegisters"/>).</summary>
public sealed class RiscvRegisters(Hart hart) : IRegisterFile
{
    public int PcRegister => GdbRegisters.Pc;

    public int GPacketCount => GdbRegisters.GPacketRegisters;

    public string? Feature(string annex) => GdbRegisters.Annex(hart, annex);

    public string ReadHex(int regno) => GdbRegisters.Read(hart, regno);

    public bool Write(int regno, ReadOnlySpan<byte> value) => GdbRegisters.Write(hart, regno, value);

    /// <summary>The pc, privilege and count, the integer registers by ABI name, then the main trap CSRs.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"pc       {hart.Pc:x16}  priv {hart.Privilege}  icount {hart.Icount}\n");
        for (int i = 0; i < 32; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{GdbRegisters.AbiName(i),-4} {hart.GetX(i):x16}");
            sb.Append(i % 4 == 3 ? "\n" : "  ");
        }
        foreach (var (name, csr) in new[] { ("mstatus", Csr.Mstatus), ("mepc", Csr.Mepc), ("mcause", Csr.Mcause), ("mtval", Csr.Mtval), ("mtvec", Csr.Mtvec), ("mie", Csr.Mie), ("mip", Csr.Mip), ("satp", Csr.Satp) })
        {
            hart.TryReadCsr(csr, out ulong v);
            sb.Append(CultureInfo.InvariantCulture, $"{name,-8} {v:x16}\n");
        }
        return sb.ToString();
    }
}
