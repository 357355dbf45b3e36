using Rewind.Board.Arm;
using R = Rewind.Arm64.Arm64Cpu.SysReg;

namespace Rewind.Board.Tests.Arm;

/// <summary>
/// The GICv3: the distributor's identification and affinity routing, each CPU's redistributor
/// (GICR_TYPER, GICR_WAKER, IDs 0-31 in its SGI frame), the ICC_* CPU interface (acknowledge, end of
/// interrupt, priority mask, running and active priorities, EOImode and ICC_DIR_EL1), SGIs by
/// affinity across CPUs, group 0 on FIQ, and the snapshot layout.
/// </summary>
public sealed class GicV3Tests
{
    private const int GicdCtlr = 0x0, GicdTyper = 0x4, GicdIidr = 0x8, Pidr2 = 0xffe8;
    private const int IGroup = 0x80, IsEnabler = 0x100, IcEnabler = 0x180, IsPendr = 0x200, IsActiver = 0x300;
    private const int IPriority = 0x400, ICfg = 0xc00, IRouter = 0x6000;
    private const int GicrTyper = 0x8, GicrWaker = 0x14, Sgi = 0x10000;

    private sealed class Rig
    {
        public readonly bool[] Irq, Fiq;
        public readonly GicV3 Gic;

        public Rig(int cpus)
        {
            Irq = new bool[cpus];
            Fiq = new bool[cpus];
            Gic = new GicV3(
                [.. Enumerable.Range(0, cpus).Select(c => (Action<bool>)(level => Irq[c] = level))],
                [.. Enumerable.Range(0, cpus).Select(c => (Action<bool>)(level => Fiq[c] = level))]);
        }

        public ulong Dist(int offset, int size = 4) => Gic.Distributor.Read((ulong)offset, size);
        public void SetDist(int offset, ulong value, int size = 4) => Gic.Distributor.Write((ulong)offset, size, value);
        public ulong Redist(int cpu, int offset, int size = 4) => Gic.Redistributors.Read((ulong)cpu * GicV3.RedistributorStride + (ulong)offset, size);
        public void SetRedist(int cpu, int offset, ulong value, int size = 4) => Gic.Redistributors.Write((ulong)cpu * GicV3.RedistributorStride + (ulong)offset, size, value);

        public ulong Icc(int cpu, int key)
        {
            Assert.True(Gic.TryReadIcc(cpu, key, out ulong v));
            return v;
        }

        public void SetIcc(int cpu, int key, ulong value) => Assert.True(Gic.TryWriteIcc(cpu, key, value));

        /// <summary>As Linux brings it up: both groups on in the distributor, each CPU awake with group 1 on and PMR 0xf0.</summary>
        public Rig Enabled()
        {
            SetDist(GicdCtlr, 3);
            for (int c = 0; c < Irq.Length; c++)
            {
                SetRedist(c, GicrWaker, 0);
                SetRedist(c, Sgi + IGroup, 0xffff_ffff);
                SetIcc(c, R.IccPmr, 0xf0);
                SetIcc(c, R.IccIgrpen1, 1);
            }
            for (int w = 1; w < GicV3.IrqCount / 32; w++) SetDist(IGroup + 4 * w, 0xffff_ffff);
            return this;
        }
    }

    [Fact]
    public void Distributor_identifies_as_qemus_gicv3_with_affinity_routing_and_one_security_state()
    {
        var rig = new Rig(1);
        Assert.Equal(3UL, rig.Dist(Pidr2) >> 4 & 0xf);
        Assert.Equal(0x43bUL, rig.Dist(GicdIidr));
        // ITLinesNumber 7 (QEMU's count), IDbits 15, A3V, No1N; no LPIs, no SecurityExtn.
        Assert.Equal(0x0378_0007UL, rig.Dist(GicdTyper));
        Assert.Equal(0x50UL, rig.Dist(GicdCtlr)); // ARE (4) and DS (6) read as one
        rig.SetDist(GicdCtlr, 0xffff_ffff);
        Assert.Equal(0x53UL, rig.Dist(GicdCtlr)); // only the group enables are writable
        Assert.Equal(3UL, rig.Redist(0, Pidr2) >> 4 & 0xf);
    }

    [Fact]
    public void Redistributor_typer_gives_affinity_processor_number_and_last_on_the_final_frame()
    {
        var rig = new Rig(3);
        for (int c = 0; c < 3; c++)
        {
            ulong typer = rig.Redist(c, GicrTyper, 8);
            Assert.Equal((ulong)c, typer >> 32);
            Assert.Equal((ulong)c, typer >> 8 & 0xffff);
            Assert.Equal(c == 2, (typer & 0x10) != 0);
            Assert.Equal(typer >> 32, rig.Redist(c, GicrTyper + 4)); // the high word alone
        }
    }

    [Theory]
    [InlineData(20, 16, 0x100UL)]
    [InlineData(20, 17, 0x101UL)]
    [InlineData(20, 19, 0x103UL)]
    [InlineData(123, 122, 0x70aUL)]
    public void Redistributor_typer_of_a_cpu_past_15_gives_qemus_cluster_affinity(int cpus, int cpu, ulong affinity)
    {
        var rig = new Rig(cpus);
        ulong typer = rig.Redist(cpu, GicrTyper, 8);
        Assert.Equal(affinity, typer >> 32);
        Assert.Equal((ulong)cpu, typer >> 8 & 0xffff); // Processor_Number stays the index
        Assert.Equal(cpu == cpus - 1, (typer & 0x10) != 0);
        Assert.Equal(0UL, rig.Redist(cpus - 2, GicrTyper) & 0x10);
    }

    [Fact]
    public void Waker_children_asleep_follows_processor_sleep()
    {
        var rig = new Rig(2);
        Assert.Equal(6UL, rig.Redist(1, GicrWaker));
        rig.SetRedist(1, GicrWaker, 0);
        Assert.Equal(0UL, rig.Redist(1, GicrWaker));
        Assert.Equal(6UL, rig.Redist(0, GicrWaker)); // each CPU's own
        rig.SetRedist(1, GicrWaker, 2);
        Assert.Equal(6UL, rig.Redist(1, GicrWaker));
    }

    [Fact]
    public void Cpu_interface_reads_as_qemus_with_five_priority_bits()
    {
        var rig = new Rig(1);
        Assert.Equal(7UL, rig.Icc(0, R.IccSre));
        Assert.Equal(0x8c00UL, rig.Icc(0, R.IccCtlr)); // A3V, IDbits 1, PRIbits 4
        rig.SetIcc(0, R.IccPmr, 0xff);
        Assert.Equal(0xf8UL, rig.Icc(0, R.IccPmr));
        rig.SetIcc(0, R.IccPmr, 8); // Linux's group 0 probe: the lowest implemented bit sticks
        Assert.Equal(8UL, rig.Icc(0, R.IccPmr));
        rig.SetIcc(0, R.IccBpr1, 0);
        Assert.Equal(3UL, rig.Icc(0, R.IccBpr1)); // clamped to the minimum
        Assert.Equal(0xffUL, rig.Icc(0, R.IccRpr));
        Assert.False(rig.Gic.TryWriteIcc(0, R.IccAp1r0 + 1, 0)); // ICC_AP1R1_EL1: absent with 5 bits
        Assert.False(rig.Gic.TryReadIcc(0, R.IccEoir1, out _));
    }

    [Fact]
    public void A_ppi_is_acknowledged_runs_at_its_priority_and_ends()
    {
        var rig = new Rig(2).Enabled();
        rig.SetRedist(1, Sgi + IPriority + 27, 0xa0, 1); // PPI 27's priority, one byte
        rig.SetRedist(1, Sgi + IsEnabler, 1u << 27);
        rig.Gic.SetPpi(1, 27, true);
        Assert.True(rig.Irq[1]);
        Assert.False(rig.Irq[0]);
        Assert.Equal(27UL, rig.Icc(1, R.IccHppir1));
        Assert.Equal(27UL, rig.Icc(1, R.IccIar1));
        Assert.False(rig.Irq[1]);
        Assert.Equal(0xa0UL, rig.Icc(1, R.IccRpr));
        Assert.Equal(1UL << (0xa0 >> 3), rig.Icc(1, R.IccAp1r0));
        Assert.Equal(1UL << 27, rig.Redist(1, Sgi + IsActiver));
        Assert.Equal(1023UL, rig.Icc(1, R.IccIar1)); // active, so not pending again
        rig.Gic.SetPpi(1, 27, false);
        rig.SetIcc(1, R.IccEoir1, 27);
        Assert.Equal(0xffUL, rig.Icc(1, R.IccRpr));
        Assert.Equal(0UL, rig.Redist(1, Sgi + IsActiver));
    }

    [Fact]
    public void A_higher_priority_interrupt_preempts_and_the_mask_holds_back_lower_ones()
    {
        var rig = new Rig(1).Enabled();
        rig.SetDist(IPriority + 32, 0x80a0); // SPI 32 at 0xa0, SPI 33 at 0x80
        rig.SetDist(IsEnabler + 4, 3);
        rig.Gic.SetIrq(0, true);
        Assert.Equal(32UL, rig.Icc(0, R.IccIar1));
        rig.Gic.SetIrq(1, true);
        Assert.True(rig.Irq[0]); // 0x80 preempts the running 0xa0
        Assert.Equal(33UL, rig.Icc(0, R.IccIar1));
        Assert.Equal(0x80UL, rig.Icc(0, R.IccRpr));
        rig.SetIcc(0, R.IccEoir1, 33);
        Assert.Equal(0xa0UL, rig.Icc(0, R.IccRpr));
        rig.SetIcc(0, R.IccEoir1, 32);
        rig.SetIcc(0, R.IccPmr, 0xa0); // level lines still high: SPI 33 (0x80) gets through, SPI 32 (0xa0) not
        Assert.Equal(33UL, rig.Icc(0, R.IccIar1));
        rig.SetIcc(0, R.IccEoir1, 33);
        rig.Gic.SetIrq(1, false);
        Assert.False(rig.Irq[0]);
        Assert.Equal(1023UL, rig.Icc(0, R.IccIar1));
    }

    [Fact]
    public void With_eoimode_1_eoi_drops_the_priority_and_dir_deactivates()
    {
        var rig = new Rig(1).Enabled();
        rig.SetIcc(0, R.IccCtlr, 2);
        rig.SetDist(IsEnabler + 4, 1);
        rig.SetDist(IsPendr + 4, 1); // SPI 32 pended by software
        Assert.Equal(32UL, rig.Icc(0, R.IccIar1));
        rig.SetIcc(0, R.IccEoir1, 32);
        Assert.Equal(0xffUL, rig.Icc(0, R.IccRpr));
        Assert.Equal(1UL, rig.Dist(IsActiver + 4));
        rig.SetIcc(0, R.IccDir, 32);
        Assert.Equal(0UL, rig.Dist(IsActiver + 4));
    }

    [Fact]
    public void An_spi_goes_to_the_cpu_its_irouter_names()
    {
        var rig = new Rig(2).Enabled();
        rig.SetDist(IsEnabler + 4, 1u << 1); // SPI 33, the PL011's
        rig.SetDist(IRouter + 8 * 33, 1, 8);
        Assert.Equal(1UL, rig.Dist(IRouter + 8 * 33, 8));
        rig.Gic.SetIrq(1, true);
        Assert.False(rig.Irq[0]);
        Assert.True(rig.Irq[1]);
        Assert.Equal(1023UL, rig.Icc(0, R.IccIar1));
        rig.SetDist(IRouter + 8 * 33, 0); // the low word back to CPU 0
        Assert.True(rig.Irq[0]);
        Assert.False(rig.Irq[1]);
        Assert.Equal(33UL, rig.Icc(0, R.IccIar1));
    }

    [Fact]
    public void An_spi_routed_to_aff1_1_aff0_1_reaches_cpu_17_and_aff0_17_reaches_none()
    {
        var rig = new Rig(20).Enabled();
        rig.SetDist(IsEnabler + 4, 1u << 1); // SPI 33
        rig.SetDist(IRouter + 8 * 33, 0x101, 8);
        rig.Gic.SetIrq(1, true);
        Assert.Equal([17], Raised(rig.Irq));
        Assert.Equal(33UL, rig.Icc(17, R.IccIar1));
        rig.SetIcc(17, R.IccEoir1, 33);
        rig.SetDist(IRouter + 8 * 33, 17, 8); // Aff0 = 17: QEMU's clusters stop at 15
        Assert.Empty(Raised(rig.Irq));
    }

    private static int[] Raised(bool[] lines) => [.. Enumerable.Range(0, lines.Length).Where(c => lines[c])];

    [Fact]
    public void Distributor_words_for_sgis_and_ppis_read_as_zero_with_affinity_routing()
    {
        var rig = new Rig(1).Enabled();
        rig.SetDist(IsEnabler, 0xffff_ffff);
        Assert.Equal(0UL, rig.Dist(IsEnabler));
        Assert.Equal(0UL, rig.Redist(0, Sgi + IsEnabler));
        rig.SetRedist(0, Sgi + IsEnabler, 0xffff_ffff);
        rig.SetRedist(0, Sgi + IcEnabler, 0x0000_ffff);
        Assert.Equal(0xffff_0000UL, rig.Redist(0, Sgi + IsEnabler));
        rig.SetRedist(0, Sgi + ICfg, 0); // SGIs stay edge-triggered
        Assert.Equal(0xaaaa_aaaaUL, rig.Redist(0, Sgi + ICfg));
    }

    [Fact]
    public void Sgi1r_sends_by_target_list_or_to_every_other_cpu()
    {
        var rig = new Rig(3).Enabled();
        for (int c = 0; c < 3; c++) rig.SetRedist(c, Sgi + IsEnabler, 0xffff);
        rig.SetIcc(0, R.IccSgi1r, 5UL << 24 | 0b100); // SGI 5 to Aff0 = 2
        Assert.Equal([false, false, true], rig.Irq);
        Assert.Equal(5UL, rig.Icc(2, R.IccIar1));
        rig.SetIcc(2, R.IccEoir1, 5);
        rig.SetIcc(1, R.IccSgi1r, 1UL << 40 | 3UL << 24); // IRM: SGI 3 to all but the sender
        Assert.Equal([true, false, true], rig.Irq);
        Assert.Equal(3UL, rig.Icc(0, R.IccIar1));
        Assert.Equal(3UL, rig.Icc(2, R.IccIar1));
        rig.SetIcc(0, R.IccSgi1r, 1UL << 16 | 7UL << 24 | 1); // Aff1 = 1: no such CPU
        Assert.Equal(1023UL, rig.Icc(1, R.IccIar1));
    }

    [Fact]
    public void Sgi1r_to_aff1_1_target_bit_1_reaches_cpu_17_only()
    {
        var rig = new Rig(20).Enabled();
        for (int c = 0; c < 20; c++) rig.SetRedist(c, Sgi + IsEnabler, 0xffff);
        rig.SetIcc(0, R.IccSgi1r, 1UL << 16 | 4UL << 24 | 0b10); // SGI 4 to Aff1 = 1, Aff0 = 1
        Assert.Equal([17], Raised(rig.Irq));
        Assert.Equal(4UL, rig.Icc(17, R.IccIar1));
        rig.SetIcc(17, R.IccEoir1, 4);
        rig.SetIcc(17, R.IccSgi1r, 4UL << 24 | 0b10); // the same list in cluster 0: CPU 1
        Assert.Equal([1], Raised(rig.Irq));
        Assert.Equal(4UL, rig.Icc(1, R.IccIar1));
        rig.SetIcc(1, R.IccEoir1, 4);
        rig.SetIcc(16, R.IccSgi1r, 1UL << 40 | 6UL << 24); // IRM: every CPU but 16, across both clusters
        Assert.Equal([.. Enumerable.Range(0, 20).Where(c => c != 16)], Raised(rig.Irq));
    }

    [Fact]
    public void A_group_0_interrupt_signals_fiq_and_is_acknowledged_through_iar0()
    {
        var rig = new Rig(1).Enabled();
        rig.SetIcc(0, R.IccIgrpen0, 1);
        rig.SetDist(IGroup + 4, 0xffff_fffe); // SPI 32 in group 0
        rig.SetDist(IsEnabler + 4, 1);
        rig.Gic.SetIrq(0, true);
        Assert.True(rig.Fiq[0]);
        Assert.False(rig.Irq[0]);
        Assert.Equal(1023UL, rig.Icc(0, R.IccIar1));
        Assert.Equal(32UL, rig.Icc(0, R.IccIar0));
        rig.SetIcc(0, R.IccEoir0, 32);
        Assert.Equal(0UL, rig.Dist(IsActiver + 4));
    }

    [Fact]
    public void State_round_trips_with_active_priorities_and_routes()
    {
        var rig = new Rig(2).Enabled();
        rig.SetDist(IsEnabler + 4, 1);
        rig.SetDist(IPriority + 32, 0xa0);
        rig.SetDist(IRouter + 8 * 32, 1);
        rig.SetRedist(1, Sgi + IsEnabler, 1u << 2);
        rig.SetRedist(1, Sgi + IPriority, 0x80u << 16); // SGI 2 at 0x80
        rig.Gic.SetIrq(0, true);
        Assert.Equal(32UL, rig.Icc(1, R.IccIar1));
        rig.SetIcc(0, R.IccSgi1r, 2UL << 24 | 2);
        byte[] state = Save(rig.Gic);

        var copy = new Rig(2);
        Load(copy.Gic, state);
        Assert.Equal(state, Save(copy.Gic));
        Assert.Equal(0xa0UL, copy.Icc(1, R.IccRpr));
        Assert.True(copy.Irq[1]); // the SGI from CPU 0 preempts the active SPI
        Assert.Equal(2UL, copy.Icc(1, R.IccIar1));
        Assert.Equal(1UL, copy.Redist(1, GicrTyper, 8) >> 32);
    }

    /// <summary>
    /// The bytes of section "gicv3" version 1 with distributor, redistributor and CPU interface state
    /// set: recordings and snapshots made earlier hold this layout, so it must not move.
    /// </summary>
    [Fact]
    public void Saved_layout_stays_as_recordings_hold_it()
    {
        var rig = new Rig(2).Enabled();
        rig.SetDist(IsEnabler + 4, 0b111);
        rig.SetDist(IPriority + 32, 0x60a0);
        rig.SetDist(ICfg + 8, 0b1000); // ID 33 edge-triggered
        rig.SetDist(IRouter + 8 * 32, 1);
        rig.SetDist(IRouter + 8 * 34, 1UL << 31, 8);
        rig.SetRedist(1, Sgi + IsEnabler, 1u << 2 | 1u << 27);
        rig.SetRedist(1, Sgi + IPriority, 0x80u << 16);
        rig.SetRedist(0, Sgi + IGroup, 0xffff_fffe);
        rig.SetIcc(1, R.IccBpr1, 4);
        rig.SetIcc(0, R.IccCtlr, 2);
        rig.Gic.SetIrq(0, true);
        rig.Gic.SetIrq(1, true);
        rig.Gic.SetPpi(1, 27, true);
        Assert.Equal(27UL, rig.Icc(1, R.IccIar1));
        rig.SetIcc(0, R.IccSgi1r, 2UL << 24 | 2);
        Assert.Equal("4AB691E56FDCDDBA35FD31577C0A372E435792F50C363339B33CD312230E4B26", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Save(rig.Gic))));
    }

    [Fact]
    public void State_for_another_cpu_count_is_refused()
    {
        byte[] state = Save(new Rig(1).Gic);
        var e = Assert.Throws<InvalidDataException>(() => Load(new Rig(2).Gic, state));
        Assert.Contains("1 CPUs", e.Message);
    }

    private static byte[] Save(GicV3 gic)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms)) gic.SaveState(w);
        return ms.ToArray();
    }

    private static void Load(GicV3 gic, byte[] state)
    {
        using var r = new BinaryReader(new MemoryStream(state));
        gic.LoadState(r);
    }
}
