using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Rewind.Core.Cpu;

namespace Rewind.Arm64.Debug;

/// <summary>
/// The CPU's registers as QEMU's gdbstub numbers them for AArch64: 0-30 x0..x30, 31 sp, 32 pc, 33 cpsr
/// (32 bits), 34-65 v0..v31 (128 bits), 66 fpsr, 67 fpcr (32 bits). A 'g' packet carries 0-33, as QEMU's.
/// </summary>
public sealed class Arm64Registers(Arm64Cpu cpu) : IRegisterFile
{
    public const int Sp = 31, Pc = 32, Cpsr = 33, FirstV = 34, Fpsr = 66, Fpcr = 67;

    public int PcRegister => Pc;

    public int GPacketCount => FirstV;

    public string? Feature(string annex) => annex switch
    {
        "target.xml" => TargetXml,
        "aarch64-core.xml" => CoreXml,
        "aarch64-fpu.xml" => FpuXml,
        _ => null,
    };

    public string ReadHex(int regno)
    {
        switch (regno)
        {
            case >= 0 and <= 30: return Hex64(cpu.GetX(regno));
            case Sp: return Hex64(cpu.Sp);
            case Pc: return Hex64(cpu.Pc);
            case Cpsr: return Hex32(cpu.Pstate);
            case >= FirstV and < Fpsr:
                return Hex64(cpu.GetVLow(regno - FirstV)) + Hex64(cpu.GetVHigh(regno - FirstV));
            case Fpsr: return Hex32((uint)cpu.Fpsr);
            case Fpcr: return Hex32((uint)cpu.Fpcr);
            default: return "";
        }
    }

    public bool Write(int regno, ReadOnlySpan<byte> value)
    {
        if (value.Length == 0 || value.Length > 16) return false;
        Span<byte> buf = stackalloc byte[16];
        buf.Clear();
        value.CopyTo(buf);
        ulong lo = BinaryPrimitives.ReadUInt64LittleEndian(buf), hi = BinaryPrimitives.ReadUInt64LittleEndian(buf[8..]);
        switch (regno)
        {
            case >= 0 and <= 30: cpu.SetX(regno, lo); return true;
            case Sp: cpu.Sp = lo; return true;
            case Pc: cpu.Pc = lo; return true;
            case Cpsr: cpu.SetCpsr((uint)lo); return true;
            case >= FirstV and < Fpsr: cpu.SetV(regno - FirstV, lo, hi); return true;
            case Fpsr: cpu.Fpsr = lo; return true;
            case Fpcr: cpu.Fpcr = lo; return true;
            default: return false;
        }
    }

    /// <summary>HMP's `info registers`: the pc, PSTATE and count, x0..x30 and sp, then the EL1 trap registers.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        uint p = cpu.Pstate;
        sb.Append(CultureInfo.InvariantCulture, $"PC={cpu.Pc:x16} SP={cpu.Sp:x16} EL{cpu.El}{(cpu.SpSel ? 'h' : 't')} icount {cpu.Icount}\n");
        for (int i = 0; i < 31; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"X{i:d2}={cpu.GetX(i):x16}");
            sb.Append(i % 4 == 3 ? "\n" : " ");
        }
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"PSTATE={p:x8} {((p & 0x8000_0000) != 0 ? 'N' : '-')}{((p & 0x4000_0000) != 0 ? 'Z' : '-')}{((p & 0x2000_0000) != 0 ? 'C' : '-')}{((p & 0x1000_0000) != 0 ? 'V' : '-')}\n");
        var t = cpu.TrapRegisters;
        sb.Append(CultureInfo.InvariantCulture, $"SCTLR_EL1={t.Sctlr:x16} VBAR_EL1={t.Vbar:x16}\n");
        sb.Append(CultureInfo.InvariantCulture, $"ESR_EL1={t.Esr:x16} FAR_EL1={t.Far:x16} ELR_EL1={t.Elr:x16} SPSR_EL1={t.Spsr:x16}\n");
        return sb.ToString();
    }

    private static string Hex64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Convert.ToHexStringLower(b);
    }

    private static string Hex32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Convert.ToHexStringLower(b);
    }

    private const string Header = "<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n";

    private static readonly string TargetXml =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n" +
        "<target version=\"1.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n  <architecture>aarch64</architecture>\n" +
        "  <xi:include href=\"aarch64-core.xml\"/>\n  <xi:include href=\"aarch64-fpu.xml\"/>\n</target>\n";

    private static readonly string CoreXml = BuildCore();
    private static readonly string FpuXml = BuildFpu();

    private static string BuildCore()
    {
        var sb = new StringBuilder(Header);
        sb.Append("<feature name=\"org.gnu.gdb.aarch64.core\">\n");
        for (int i = 0; i < 31; i++) sb.Append(CultureInfo.InvariantCulture, $"  <reg name=\"x{i}\" bitsize=\"64\" regnum=\"{i}\"/>\n");
        sb.Append("  <reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n");
        sb.Append("  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n");
        sb.Append("  <flags id=\"cpsr_flags\" size=\"4\">\n");
        foreach (var (name, bit) in new[] { ("SP", 0), ("EL", 2), ("nRW", 4), ("F", 6), ("I", 7), ("A", 8), ("D", 9), ("IL", 20), ("SS", 21), ("V", 28), ("C", 29), ("Z", 30), ("N", 31) })
        {
            int end = name == "EL" ? bit + 1 : bit;
            sb.Append(CultureInfo.InvariantCulture, $"    <field name=\"{name}\" start=\"{bit}\" end=\"{end}\"/>\n");
        }
        sb.Append("  </flags>\n");
        sb.Append("  <reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\"/>\n");
        sb.Append("</feature>\n");
        return sb.ToString();
    }

    private static string BuildFpu()
    {
        var sb = new StringBuilder(Header);
        sb.Append("<feature name=\"org.gnu.gdb.aarch64.fpu\">\n");
        sb.Append("  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n  <vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n  <vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n");
        sb.Append("  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n  <vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n  <vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n");
        sb.Append("  <vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n  <vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n");
        sb.Append("  <vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n  <vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n");
        sb.Append("  <vector id=\"v1u\" type=\"uint128\" count=\"1\"/>\n  <vector id=\"v1i\" type=\"int128\" count=\"1\"/>\n");
        sb.Append("  <union id=\"vnd\">\n    <field name=\"f\" type=\"v2d\"/>\n    <field name=\"u\" type=\"v2u\"/>\n    <field name=\"s\" type=\"v2i\"/>\n  </union>\n");
        sb.Append("  <union id=\"vns\">\n    <field name=\"f\" type=\"v4f\"/>\n    <field name=\"u\" type=\"v4u\"/>\n    <field name=\"s\" type=\"v4i\"/>\n  </union>\n");
        sb.Append("  <union id=\"vnh\">\n    <field name=\"u\" type=\"v8u\"/>\n    <field name=\"s\" type=\"v8i\"/>\n  </union>\n");
        sb.Append("  <union id=\"vnb\">\n    <field name=\"u\" type=\"v16u\"/>\n    <field name=\"s\" type=\"v16i\"/>\n  </union>\n");
        sb.Append("  <union id=\"vnq\">\n    <field name=\"u\" type=\"v1u\"/>\n    <field name=\"s\" type=\"v1i\"/>\n  </union>\n");
        sb.Append("  <union id=\"aarch64v\">\n    <field name=\"d\" type=\"vnd\"/>\n    <field name=\"s\" type=\"vns\"/>\n    <field name=\"h\" type=\"vnh\"/>\n    <field name=\"b\" type=\"vnb\"/>\n    <field name=\"q\" type=\"vnq\"/>\n  </union>\n");
        for (int i = 0; i < 32; i++)
            sb.Append(CultureInfo.InvariantCulture, $"  <reg name=\"v{i}\" bitsize=\"128\" type=\"aarch64v\" regnum=\"{FirstV + i}\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"  <reg name=\"fpsr\" bitsize=\"32\" regnum=\"{Fpsr}\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"  <reg name=\"fpcr\" bitsize=\"32\" regnum=\"{Fpcr}\"/>\n");
        sb.Append("</feature>\n");
        return sb.ToString();
    }
}
