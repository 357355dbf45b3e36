using Rewind.Board.Arm;

namespace Rewind.Board.Tests.Arm;

/// <summary>
/// The GICv2 with several CPU interfaces: SGIs and PPIs banked per CPU, each CPU's own CPU interface,
/// SGIs by target list and filter with the sender in GICC_IAR, SPIs routed by their target bytes, and
/// the snapshot layouts (version 2, and version 1 for one CPU).
/// </summary>
public sealed class GicV2Tests
{
    private const ulong Ctlr = 0x000, Typer = 0x004, IsEnabler = 0x100, IcEnabler = 0x180, IsPendr = 0x200;
    private const ulong IPriority = 0x400, ITargets = 0x800, Sgir = 0xf00, SpendSgir = 0xf20;
    private const ulong CCtlr = 0x00, CPmr = 0x04, CIar = 0x0c, CEoir = 0x10, CHppir = 0x18;

    private sealed class Rig
    {
        public readonly bool[] Irq;
        public int Accessing;
        public readonly GicV2 Gic;

        public Rig(int cpus)
        {
            Irq = new bool[cpus];
            Gic = new GicV2([.. Enumerable.Range(0, cpus).Select(c => (Action<bool>)(level => Irq[c] = level))], () => Accessing);
        }

        public ulong Dist(int cpu, ulong offset)
        {
            Accessing = cpu;
            return Gic.Distributor.Read(offset, 4);
        }

        public void Dist(int cpu, ulong offset, ulong value)
        {
            Accessing = cpu;
            Gic.Distributor.Write(offset, 4, value);
        }

        public ulong Cpu(int cpu, ulong offset)
        {
            Accessing = cpu;
            return Gic.CpuInterface.Read(offset, 4);
        }

        public void Cpu(int cpu, ulong offset, ulong value)
        {
            Accessing = cpu;
            Gic.CpuInterface.Write(offset, 4, value);
        }

        /// <summary>The distributor and every CPU interface on, every priority let through.</summary>
        public Rig Enabled()
        {
            Dist(0, Ctlr, 1);
            for (int c = 0; c < Irq.Length; c++)
            {
                Cpu(c, CCtlr, 1);
                Cpu(c, CPmr, 0xf0);
            }
            return this;
        }
    }

    [Theory]
    [InlineData(1, 0x08u)]
    [InlineData(2, 0x28u)]
    [InlineData(8, 0xe8u)]
    public void Typer_gives_the_interrupt_lines_and_the_cpu_count(int cpus, uint typer)
    {
        Assert.Equal(typer, new Rig(cpus).Dist(0, Typer));
    }

    [Fact]
    public void Target_registers_of_sgis_and_ppis_read_as_the_accessing_cpu_and_ignore_writes()
    {
        var rig = new Rig(4);
        for (int c = 0; c < 4; c++)
        {
            uint own = 0x0101_0101u << c;
            Assert.Equal(own, rig.Dist(c, ITargets));
            Assert.Equal(own, rig.Dist(c, ITargets + 0x1c));
            rig.Dist(c, ITargets + 0x1c, 0xffff_ffff);
            Assert.Equal(own, rig.Dist(c, ITargets + 0x1c));
        }
    }

    [Fact]
    public void One_cpu_gic_reads_every_target_as_cpu_0_as_it_always_did()
    {
        var rig = new Rig(1);
        rig.Dist(0, ITargets + 0x20, 0);
        Assert.Equal(0x0101_0101u, rig.Dist(0, ITargets + 0x20));
    }

    [Fact]
    public void Spi_targets_hold_only_present_cpus()
    {
        var rig = new Rig(2);
        rig.Dist(0, ITargets + 0x20, 0xff03_0201);
        Assert.Equal(0x0303_0201u, rig.Dist(1, ITargets + 0x20));
    }

    [Fact]
    public void Enables_and_priorities_of_ids_0_to_31_are_banked_per_cpu()
    {
        var rig = new Rig(2);
        rig.Dist(0, IsEnabler, 1u << 27);
        rig.Dist(1, IsEnabler, 1u << 30);
        rig.Dist(0, IPriority + 24, 0xa000_0000); // ID 27
        Assert.Equal(1u << 27, rig.Dist(0, IsEnabler));
        Assert.Equal(1u << 30, rig.Dist(1, IsEnabler));
        Assert.Equal(0xa000_0000u, rig.Dist(0, IPriority + 24));
        Assert.Equal(0u, rig.Dist(1, IPriority + 24));
        rig.Dist(1, IcEnabler, 1u << 30);
        Assert.Equal(0u, rig.Dist(1, IsEnabler));
        Assert.Equal(1u << 27, rig.Dist(0, IsEnabler));
    }

    [Fact]
    public void A_ppi_reaches_only_its_own_cpu_interface()
    {
        var rig = new Rig(2).Enabled();
        rig.Dist(0, IsEnabler, 1u << 27);
        rig.Dist(1, IsEnabler, 1u << 27);
        rig.Gic.SetPpi(1, 27, true);
        Assert.Equal([false, true], rig.Irq);
        Assert.Equal(1u << 27, rig.Dist(1, IsPendr));
        Assert.Equal(0u, rig.Dist(0, IsPendr));
        Assert.Equal(1023u, rig.Cpu(0, CIar));
        Assert.Equal(27u, rig.Cpu(1, CIar));
        Assert.False(rig.Irq[1]);
        rig.Gic.SetPpi(1, 27, false);
        rig.Cpu(1, CEoir, 27);
        Assert.Equal([false, false], rig.Irq);
    }

    [Fact]
    public void Sgi_to_a_target_list_pends_at_the_targets_and_iar_names_the_sender()
    {
        var rig = new Rig(3).Enabled();
        for (int c = 0; c < 3; c++) rig.Dist(c, IsEnabler, 0xffff);
        rig.Dist(0, Sgir, 0b110u << 16 | 3); // SGI 3 from CPU 0 to CPUs 1 and 2
        Assert.Equal([false, true, true], rig.Irq);
        Assert.Equal(3u, rig.Cpu(1, CHppir));
        Assert.Equal(3u, rig.Cpu(1, CIar));
        Assert.Equal(3u, rig.Cpu(2, CIar));
        rig.Cpu(1, CEoir, 3);
        rig.Cpu(2, CEoir, 3);
        Assert.Equal([false, false, false], rig.Irq);
    }

    [Fact]
    public void Sgi_filters_all_but_self_and_self_only()
    {
        var rig = new Rig(3).Enabled();
        for (int c = 0; c < 3; c++) rig.Dist(c, IsEnabler, 0xffff);
        rig.Dist(1, Sgir, 1u << 24 | 5); // to every CPU but the sender, CPU 1
        Assert.Equal([true, false, true], rig.Irq);
        Assert.Equal(5u | 1u << 10, rig.Cpu(0, CIar));
        Assert.Equal(5u | 1u << 10, rig.Cpu(2, CIar));
        rig.Dist(2, Sgir, 2u << 24 | 7); // to the sender only
        Assert.Equal(0x04u << 24, rig.Dist(2, SpendSgir + 4)); // SGI 7 (byte 3) pending from CPU 2 (bit 2)
        Assert.Equal(0u, rig.Dist(0, SpendSgir + 4));
    }

    [Fact]
    public void One_sgi_from_two_senders_is_acknowledged_once_per_sender()
    {
        var rig = new Rig(3).Enabled();
        rig.Dist(2, IsEnabler, 0xffff);
        rig.Dist(0, Sgir, 0b100u << 16 | 1);
        rig.Dist(1, Sgir, 0b100u << 16 | 1);
        Assert.Equal(0x03u << 8, rig.Dist(2, SpendSgir)); // SGI 1's byte: senders 0 and 1
        Assert.Equal(1u, rig.Cpu(2, CIar));
        rig.Cpu(2, CEoir, 1);
        Assert.True(rig.Irq[2]);
        Assert.Equal(1u | 1u << 10, rig.Cpu(2, CIar));
        rig.Cpu(2, CEoir, 1u | 1u << 10);
        Assert.False(rig.Irq[2]);
        Assert.Equal(1023u, rig.Cpu(2, CIar));
    }

    [Fact]
    public void An_spi_goes_to_the_cpus_its_target_byte_names()
    {
        var rig = new Rig(2).Enabled();
        rig.Dist(0, IsEnabler + 4, 1u << 1); // SPI 1 = ID 33
        rig.Gic.SetIrq(1, true);
        Assert.Equal([false, false], rig.Irq); // targets reset to none
        rig.Accessing = 0;
        rig.Gic.Distributor.Write(ITargets + 33, 1, 0x02); // byte write, as Linux's set_affinity does
        Assert.Equal([false, true], rig.Irq);
        Assert.Equal(0x0200u, rig.Dist(0, ITargets + 32));
        rig.Gic.Distributor.Write(ITargets + 33, 1, 0x01);
        Assert.Equal([true, false], rig.Irq);
        Assert.Equal(33u, rig.Cpu(0, CIar));
        rig.Gic.SetIrq(1, false);
        rig.Cpu(0, CEoir, 33);
        Assert.Equal([false, false], rig.Irq);
    }

    private static byte[] Save(GicV2 gic, int? version = null)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            if (version is int v) ((Rewind.Core.State.IStateful)gic).SaveState(w, v);
            else gic.SaveState(w);
        }
        return ms.ToArray();
    }

    private static void Load(GicV2 gic, byte[] bytes, int version)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        ((Rewind.Core.State.IStateful)gic).LoadState(r, version);
        Assert.Equal(bytes.Length, r.BaseStream.Position);
    }

    [Fact]
    public void Snapshot_keeps_each_cpus_bank_and_the_spi_targets()
    {
        var rig = new Rig(2).Enabled();
        rig.Dist(1, IsEnabler, 0xffff | 1u << 27);
        rig.Dist(0, Sgir, 0b10u << 16 | 4);
        rig.Gic.SetPpi(1, 27, true);
        rig.Dist(0, ITargets + 32, 0x0102_0102);
        Assert.Equal(4u, rig.Cpu(1, CIar));
        byte[] state = Save(rig.Gic);

        var copy = new Rig(2);
        Load(copy.Gic, state, 2);
        Assert.Equal(state, Save(copy.Gic));
        Assert.Equal([false, false], copy.Irq); // SGI 4 active, the timer's PPI waits behind it at equal priority
        copy.Cpu(1, CEoir, 4);
        Assert.Equal([false, true], copy.Irq);
        Assert.Equal(27u, copy.Cpu(1, CIar));
        Assert.Equal(0x0102_0102u, copy.Dist(0, ITargets + 32));
    }

    [Fact]
    public void A_one_cpu_gic_reads_and_writes_the_version_1_layout()
    {
        var rig = new Rig(1).Enabled();
        rig.Dist(0, IsEnabler, 0xffff | 1u << 27);
        rig.Dist(0, IsEnabler + 4, 0b10);
        rig.Dist(0, Sgir, 2u << 24 | 9);
        rig.Gic.SetIrq(1, true);
        byte[] v1 = Save(rig.Gic, 1);
        Assert.Equal(5 * 288 + 288 + 1 + 1 + 4 + 4 + 4, v1.Length);

        var copy = new Rig(1);
        Load(copy.Gic, v1, 1);
        Assert.Equal(Save(rig.Gic), Save(copy.Gic));
        Assert.Equal(9u, copy.Cpu(0, CIar));
        Assert.Equal(33u, copy.Cpu(0, CIar));
    }

    /// <summary>
    /// The bytes of sections "gic" version 2 and version 1 for a GIC with shared and banked state
    /// set: recordings and snapshots made earlier hold these layouts, so they must not move.
    /// </summary>
    [Fact]
    public void Saved_layouts_stay_as_recordings_hold_them()
    {
        var rig = new Rig(2).Enabled();
        rig.Dist(1, IsEnabler, 0xffff | 1u << 27);
        rig.Dist(0, IsEnabler + 4, 0b110);
        rig.Dist(0, IPriority + 32, 0x4050);
        rig.Dist(1, IPriority + 24, 0x30u << 24);
        rig.Dist(0, 0xc00 + 8, 0b1000); // ID 33 edge-triggered
        rig.Dist(0, Sgir, 0b10u << 16 | 4);
        rig.Gic.SetPpi(1, 27, true);
        rig.Gic.SetIrq(1, true);
        rig.Gic.SetIrq(2, true);
        rig.Dist(0, ITargets + 32, 0x0102_0102);
        Assert.Equal(4u, rig.Cpu(1, CIar));
        Assert.Equal("10009D7BE86A8CA3781FC4811A806E63C59CAF9F18104172F0A2EAD5398EB31B", Sha256(Save(rig.Gic)));

        var one = new Rig(1).Enabled();
        one.Dist(0, IsEnabler, 0xffff | 1u << 27);
        one.Dist(0, IsEnabler + 4, 0b110);
        one.Dist(0, IPriority + 32, 0x4050);
        one.Dist(0, Sgir, 2u << 24 | 9);
        one.Gic.SetPpi(0, 27, true);
        one.Gic.SetIrq(1, true);
        Assert.Equal(9u, one.Cpu(0, CIar));
        Assert.Equal("3A2E9A8B31CE3032A45496A5418306383934C4960B5E8222665F754CFF83B5B8", Sha256(Save(one.Gic, 1)));
        Assert.Equal("9369582D90CCE55CC68603A054E45B1B61E3FC6664A762E70AE416EC078CC83A", Sha256(Save(one.Gic)));
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));

    [Fact]
    public void Version_1_state_is_refused_by_a_two_cpu_gic()
    {
        byte[] v1 = Save(new Rig(1).Gic, 1);
        var e = Assert.Throws<InvalidDataException>(() => Load(new Rig(2).Gic, v1, 1));
        Assert.Contains("one CPU", e.Message);
    }
}
