using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Rewind.Riscv.Debug;

/// <summary>
/// GDB's view of a hart: the target description (riscv:rv64 with the cpu, fpu, csr and
/// virtual features) and the mapping from GDB register numbers to hart state.
/// Numbering follows GDB's RISC-V target: 0-31 x0..x31, 32 pc, 33-64 f0..f31, 65 + csr number for
/// CSRs, 65 + 4096 for the virtual <c>priv</c> register. Values are little-endian hex.
/// </summary>
public static class GdbRegisters
{
    public const int Pc = 32;
    public const int FirstFpr = 33;
    public const int FirstCsr = 65;
    public const int Priv = FirstCsr + 4096;
    /// <summary>What a 'g' packet carries: x0-x31, pc, then f0-f31 (QEMU sends the same).</summary>
    public const int GPacketRegisters = FirstCsr;

    private static readonly string[] XNames =
    [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ];

    private static readonly string[] FNames =
    [
        "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
        "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    ];

    private static readonly ConditionalWeakTable<Hart, ushort[]> CsrCache = new();

    /// <summary>The ABI name of integer register <paramref name="index"/> (x8 is "fp", as GDB names it).</summary>
    public static string AbiName(int index) => XNames[index];

    /// <summary>CSR numbers the hart implements (readable by the debugger), probed once per hart.</summary>
    public static IReadOnlyList<ushort> ImplementedCsrs(Hart hart) => CsrCache.GetValue(hart, h =>
    {
        var list = new List<ushort>();
        for (int csr = 0; csr < 4096; csr++)
            if (h.TryReadCsr((ushort)csr, out _)) list.Add((ushort)csr);
        return list.ToArray();
    });

    /// <summary>The XML document GDB asks for with <c>qXfer:features:read:NAME</c>, or null if there is none.</summary>
    public static string? Annex(Hart hart, string name) => name switch
    {
        "target.xml" => TargetXml(),
        "riscv-64bit-cpu.xml" => CpuXml(),
        "riscv-64bit-fpu.xml" => FpuXml(),
        "riscv-64bit-csr.xml" => CsrXml(hart),
        "riscv-64bit-virtual.xml" => VirtualXml(),
        _ => null,
    };

    private static string TargetXml()
    {
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n");
        sb.Append("  <architecture>riscv:rv64</architecture>\n");
        sb.Append("  <xi:include href=\"riscv-64bit-cpu.xml\"/>\n");
        sb.Append("  <xi:include href=\"riscv-64bit-fpu.xml\"/>\n");
        sb.Append("  <xi:include href=\"riscv-64bit-csr.xml\"/>\n");
        sb.Append("  <xi:include href=\"riscv-64bit-virtual.xml\"/>\n");
        sb.Append("</target>\n");
        return sb.ToString();
    }

    private static void FeatureHeader(StringBuilder sb, string feature) =>
        sb.Append("<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n")
          .Append("<feature name=\"").Append(feature).Append("\">\n");

    private static string CpuXml()
    {
        var sb = new StringBuilder();
        FeatureHeader(sb, "org.gnu.gdb.riscv.cpu");
        for (int i = 0; i < 32; i++)
        {
            string type = i switch { 0 => "int", 1 => "code_ptr", 2 or 3 or 4 or 8 => "data_ptr", _ => "int" };
            sb.Append($"  <reg name=\"{XNames[i]}\" bitsize=\"64\" type=\"{type}\" regnum=\"{i}\"/>\n");
        }
        sb.Append($"  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"{Pc}\"/>\n");
        sb.Append("</feature>\n");
        return sb.ToString();
    }

    private static string FpuXml()
    {
        var sb = new StringBuilder();
        FeatureHeader(sb, "org.gnu.gdb.riscv.fpu");
        for (int i = 0; i < 32; i++)
            sb.Append($"  <reg name=\"{FNames[i]}\" bitsize=\"64\" type=\"ieee_double\" regnum=\"{FirstFpr + i}\"/>\n");
        sb.Append($"  <reg name=\"fflags\" bitsize=\"64\" type=\"int\" regnum=\"{FirstCsr + Csr.Fflags}\"/>\n");
        sb.Append($"  <reg name=\"frm\" bitsize=\"64\" type=\"int\" regnum=\"{FirstCsr + Csr.Frm}\"/>\n");
        sb.Append($"  <reg name=\"fcsr\" bitsize=\"64\" type=\"int\" regnum=\"{FirstCsr + Csr.Fcsr}\"/>\n");
        sb.Append("</feature>\n");
        return sb.ToString();
    }

    private static string CsrXml(Hart hart)
    {
        var sb = new StringBuilder();
        FeatureHeader(sb, "org.gnu.gdb.riscv.csr");
        foreach (ushort csr in ImplementedCsrs(hart))
        {
            if (csr is Csr.Fflags or Csr.Frm or Csr.Fcsr) continue;
            sb.Append($"  <reg name=\"{CsrName(csr)}\" bitsize=\"64\" type=\"int\" regnum=\"{FirstCsr + csr}\"/>\n");
        }
        sb.Append("</feature>\n");
        return sb.ToString();
    }

    private static string VirtualXml()
    {
        var sb = new StringBuilder();
        FeatureHeader(sb, "org.gnu.gdb.riscv.virtual");
        sb.Append($"  <reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"{Priv}\"/>\n");
        sb.Append("</feature>\n");
        return sb.ToString();
    }

    /// <summary>The standard name of a CSR (as the privileged spec and GDB spell it), or csrNNN.</summary>
    public static string CsrName(ushort csr)
    {
        switch (csr)
        {
            case Csr.Fflags: return "fflags";
            case Csr.Frm: return "frm";
            case Csr.Fcsr: return "fcsr";
            case Csr.Cycle: return "cycle";
            case Csr.Time: return "time";
            case Csr.Instret: return "instret";
            case >= Csr.HpmCounter3 and <= Csr.HpmCounter31: return $"hpmcounter{csr - Csr.Cycle}";
            case Csr.Sstatus: return "sstatus";
            case Csr.Sie: return "sie";
            case Csr.Stvec: return "stvec";
            case Csr.Scounteren: return "scounteren";
            case Csr.Senvcfg: return "senvcfg";
            case Csr.Sscratch: return "sscratch";
            case Csr.Sepc: return "sepc";
            case Csr.Scause: return "scause";
            case Csr.Stval: return "stval";
            case Csr.Sip: return "sip";
            case Csr.Stimecmp: return "stimecmp";
            case Csr.Satp: return "satp";
            case Csr.Mvendorid: return "mvendorid";
            case Csr.Marchid: return "marchid";
            case Csr.Mimpid: return "mimpid";
            case Csr.Mhartid: return "mhartid";
            case Csr.Mconfigptr: return "mconfigptr";
            case Csr.Mstatus: return "mstatus";
            case Csr.Misa: return "misa";
            case Csr.Medeleg: return "medeleg";
            case Csr.Mideleg: return "mideleg";
            case Csr.Mie: return "mie";
            case Csr.Mtvec: return "mtvec";
            case Csr.Mcounteren: return "mcounteren";
            case Csr.Menvcfg: return "menvcfg";
            case Csr.Mcountinhibit: return "mcountinhibit";
            case >= Csr.Mhpmevent3 and <= Csr.Mhpmevent31: return $"mhpmevent{csr - Csr.Mhpmevent3 + 3}";
            case Csr.Mscratch: return "mscratch";
            case Csr.Mepc: return "mepc";
            case Csr.Mcause: return "mcause";
            case Csr.Mtval: return "mtval";
            case Csr.Mip: return "mip";
            case Csr.Mtinst: return "mtinst";
            case Csr.Mtval2: return "mtval2";
            case >= Csr.Pmpcfg0 and <= Csr.Pmpcfg15: return $"pmpcfg{csr - Csr.Pmpcfg0}";
            case >= Csr.Pmpaddr0 and <= Csr.Pmpaddr63: return $"pmpaddr{csr - Csr.Pmpaddr0}";
            case Csr.Mseccfg: return "mseccfg";
            case Csr.Mcycle: return "mcycle";
            case Csr.Minstret: return "minstret";
            case >= Csr.Mhpmcounter3 and <= Csr.Mhpmcounter31: return $"mhpmcounter{csr - Csr.Mcycle}";
            case Csr.Tselect: return "tselect";
            case Csr.Tdata1: return "tdata1";
            case Csr.Tdata2: return "tdata2";
            case Csr.Tdata3: return "tdata3";
            case Csr.Tinfo: return "tinfo";
            case Csr.Dcsr: return "dcsr";
            case Csr.Dpc: return "dpc";
            case 0x7b2: return "dscratch0";
            case 0x7b3: return "dscratch1";
            default: return $"csr{csr}";
        }
    }

    /// <summary>Size in bytes of a register GDB may ask for, or 0 if it does not exist on this hart.</summary>
    public static int Size(Hart hart, int regno) => Exists(hart, regno) ? 8 : 0;

    public static bool Exists(Hart hart, int regno) => regno switch
    {
        >= 0 and <= Pc => true,
        >= FirstFpr and < FirstCsr => true,
        >= FirstCsr and < Priv => hart.TryReadCsr((ushort)(regno - FirstCsr), out _),
        Priv => true,
        _ => false,
    };

    /// <summary>Hex of the register's little-endian bytes, or "" if the register does not exist.</summary>
    public static string Read(Hart hart, int regno)
    {
        ulong value;
        switch (regno)
        {
            case >= 0 and < 32: value = hart.GetX(regno); break;
            case Pc: value = hart.Pc; break;
            case >= FirstFpr and < FirstCsr:
                value = hart.GetF(regno - FirstFpr);
                break;
            case FirstCsr + Csr.Fflags or FirstCsr + Csr.Frm or FirstCsr + Csr.Fcsr:
                value = hart.DebugReadFpuCsr((ushort)(regno - FirstCsr));
                break;
            case >= FirstCsr and < Priv:
                if (!hart.TryReadCsr((ushort)(regno - FirstCsr), out value)) return "";
                break;
            case Priv: value = (ulong)hart.Privilege; break;
            default: return "";
        }
        return ToHex(value);
    }

    /// <summary>Writes a register from its little-endian bytes (1 to 8 of them); false if it does not exist or refuses.</summary>
    public static bool Write(Hart hart, int regno, ReadOnlySpan<byte> value)
    {
        if (value.Length is 0 or > 8) return false;
        Span<byte> buf = stackalloc byte[8];
        buf.Clear();
        value.CopyTo(buf);
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(buf);
        switch (regno)
        {
            case 0: return true; // x0 is hardwired; GDB writes it back with G
            case > 0 and < 32: hart.SetX(regno, v); return true;
            case Pc: hart.Pc = v; return true;
            case >= FirstFpr and < FirstCsr:
                hart.SetF(regno - FirstFpr, v);
                return true;
            case >= FirstCsr and < Priv:
                return hart.TryWriteCsr((ushort)(regno - FirstCsr), v);
            case Priv:
                if (v is not (0 or 1 or 3)) return false;
                hart.Privilege = (PrivilegeLevel)v;
                hart.InvalidateTranslation();
                return true;
            default: return false;
        }
    }

    /// <summary>Convenience: writes a register from the hex GDB sent.</summary>
    public static bool WriteHex(Hart hart, int regno, string hex)
    {
        if (hex.Length == 0 || hex.Length % 2 != 0 || hex.Length > 16) return false;
        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = HexVal(hex[2 * i]), lo = HexVal(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            bytes[i] = (byte)(hi << 4 | lo);
        }
        return Write(hart, regno, bytes);
    }

    private static int HexVal(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string ToHex(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Convert.ToHexStringLower(b);
    }
}
