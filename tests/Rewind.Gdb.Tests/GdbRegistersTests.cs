using System.Buffers.Binary;
using System.Xml;
using Rewind.Core.Bus;
using Rewind.Core.Memory;
using Rewind.Riscv;
using Rewind.Riscv.Debug;

namespace Rewind.Gdb.Tests;

public class GdbRegistersTests
{
    private static Hart NewHart(int id = 0) => new(id, new SystemBus(new PhysicalMemory(0x80000000, 1 << 20)));

    private static ulong Value(string hex)
    {
        Assert.Equal(16, hex.Length);
        return BinaryPrimitives.ReadUInt64LittleEndian(Convert.FromHexString(hex));
    }

    [Fact]
    public void Reads_x_registers_pc_csrs_and_priv_by_gdb_regnum()
    {
        var hart = NewHart(2);
        hart.SetX(10, 0x0123456789abcdef);
        hart.Pc = 0x80000040;
        Assert.Equal("efcdab8967452301", GdbRegisters.Read(hart, 10));
        Assert.Equal(0UL, Value(GdbRegisters.Read(hart, 0)));
        Assert.Equal(0x80000040UL, Value(GdbRegisters.Read(hart, 32)));
        Assert.Equal(2UL, Value(GdbRegisters.Read(hart, 65 + Csr.Mhartid)));
        Assert.True(hart.TryReadCsr(Csr.Misa, out ulong misa));
        Assert.Equal(misa, Value(GdbRegisters.Read(hart, 65 + Csr.Misa)));
        Assert.Equal(2UL, Value(GdbRegisters.Read(hart, 65 + Csr.Misa)) >> 62);
        Assert.Equal(3UL, Value(GdbRegisters.Read(hart, GdbRegisters.Priv)));
        Assert.Equal("", GdbRegisters.Read(hart, 65 + 0x7ff)); // unimplemented CSR
        hart.SetF(0, 0x400921fb54442d18);
        Assert.Equal(0x400921fb54442d18UL, Value(GdbRegisters.Read(hart, 33))); // f0 (ft0)
        Assert.Equal("", GdbRegisters.Read(hart, 70000));
        Assert.Equal("", GdbRegisters.Read(hart, -1));
    }

    [Fact]
    public void The_fp_csrs_read_for_gdb_with_the_fpu_off_as_in_qemu()
    {
        var hart = NewHart();
        Assert.True(hart.TryReadCsr(Csr.Mstatus, out ulong mstatus));
        Assert.True(hart.TryWriteCsr(Csr.Mstatus, mstatus | (3UL << 13))); // FS dirty: the guest may write fcsr
        Assert.True(hart.TryWriteCsr(Csr.Fcsr, (2UL << 5) | 0x11));
        Assert.True(hart.TryWriteCsr(Csr.Mstatus, mstatus & ~(3UL << 13))); // FS off again
        Assert.False(hart.TryReadCsr(Csr.Fflags, out _)); // the guest's own read would trap
        Assert.Equal(0x11UL, Value(GdbRegisters.Read(hart, 65 + Csr.Fflags)));
        Assert.Equal(2UL, Value(GdbRegisters.Read(hart, 65 + Csr.Frm)));
        Assert.Equal(0x51UL, Value(GdbRegisters.Read(hart, 65 + Csr.Fcsr)));
    }

    [Fact]
    public void Writes_registers_and_ignores_writes_to_x0()
    {
        var hart = NewHart();
        Assert.True(GdbRegisters.WriteHex(hart, 5, "0800000000000000"));
        Assert.Equal(8UL, hart.GetX(5));
        Assert.True(GdbRegisters.Write(hart, 0, [1, 2, 3, 4, 5, 6, 7, 8]));
        Assert.Equal(0UL, hart.GetX(0));
        Assert.True(GdbRegisters.WriteHex(hart, 32, "0001008000000000"));
        Assert.Equal(0x80000100UL, hart.Pc);
        Assert.True(GdbRegisters.WriteHex(hart, 65 + Csr.Mscratch, "efbeadde00000000"));
        Assert.True(hart.TryReadCsr(Csr.Mscratch, out ulong scratch));
        Assert.Equal(0xdeadbeefUL, scratch);
        Assert.True(GdbRegisters.WriteHex(hart, GdbRegisters.Priv, "0100000000000000"));
        Assert.Equal(PrivilegeLevel.Supervisor, hart.Privilege);
        Assert.False(GdbRegisters.WriteHex(hart, GdbRegisters.Priv, "0200000000000000"));
        Assert.False(GdbRegisters.WriteHex(hart, 5, "zz"));
        Assert.False(GdbRegisters.WriteHex(hart, 5, "000000000000000000"));
        Assert.False(GdbRegisters.WriteHex(hart, 65 + 0x7ff, "0000000000000000"));
    }

    [Fact]
    public void Target_description_is_well_formed_and_lists_cpu_csr_and_virtual_features()
    {
        var hart = NewHart();
        var target = Parse(GdbRegisters.Annex(hart, "target.xml")!);
        Assert.Equal("riscv:rv64", target.SelectSingleNode("/target/architecture")!.InnerText);
        var includes = target.GetElementsByTagName("xi:include").Cast<XmlElement>().Select(e => e.GetAttribute("href")).ToList();
        Assert.Equal(["riscv-64bit-cpu.xml", "riscv-64bit-fpu.xml", "riscv-64bit-csr.xml", "riscv-64bit-virtual.xml"], includes);
        var fpu = Regs(GdbRegisters.Annex(hart, "riscv-64bit-fpu.xml")!, "org.gnu.gdb.riscv.fpu");
        Assert.Contains(("ft0", 33), fpu);
        Assert.Contains(("ft11", 64), fpu);
        Assert.Null(GdbRegisters.Annex(hart, "nope.xml"));

        var cpu = Regs(GdbRegisters.Annex(hart, "riscv-64bit-cpu.xml")!, "org.gnu.gdb.riscv.cpu");
        Assert.Equal(33, cpu.Count);
        Assert.Equal(("zero", 0), cpu[0]);
        Assert.Equal(("ra", 1), cpu[1]);
        Assert.Equal(("sp", 2), cpu[2]);
        Assert.Equal(("a0", 10), cpu[10]);
        Assert.Equal(("t6", 31), cpu[31]);
        Assert.Equal(("pc", 32), cpu[32]);

        var csr = Regs(GdbRegisters.Annex(hart, "riscv-64bit-csr.xml")!, "org.gnu.gdb.riscv.csr");
        Assert.Contains(("mstatus", 65 + 0x300), csr);
        Assert.Contains(("misa", 65 + 0x301), csr);
        Assert.Contains(("mepc", 65 + 0x341), csr);
        Assert.Contains(("satp", 65 + 0x180), csr);
        Assert.Contains(("mhartid", 65 + 0xf14), csr);
        Assert.Contains(("cycle", 65 + 0xc00), csr);
        Assert.DoesNotContain(csr, r => r.Name == "fcsr"); // fcsr belongs to the fpu feature, not the csr one
        Assert.Equal(csr.Count, csr.Select(r => r.Name).Distinct().Count());
        foreach (var (_, regnum) in csr) Assert.NotEqual("", GdbRegisters.Read(hart, regnum));

        var virt = Regs(GdbRegisters.Annex(hart, "riscv-64bit-virtual.xml")!, "org.gnu.gdb.riscv.virtual");
        Assert.Equal([("priv", 65 + 4096)], virt);
    }

    private static XmlDocument Parse(string xml)
    {
        var doc = new XmlDocument { XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        doc.Load(reader);
        return doc;
    }

    private static List<(string Name, int Regnum)> Regs(string xml, string feature)
    {
        var doc = Parse(xml);
        Assert.Equal(feature, ((XmlElement)doc.SelectSingleNode("/feature")!).GetAttribute("name"));
        return doc.SelectNodes("/feature/reg")!.Cast<XmlElement>()
            .Select(e =>
            {
                Assert.Equal("64", e.GetAttribute("bitsize"));
                return (e.GetAttribute("name"), int.Parse(e.GetAttribute("regnum")));
            }).ToList();
    }
}
