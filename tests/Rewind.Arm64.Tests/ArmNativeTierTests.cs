namespace Rewind.Arm64.Tests;

/// <summary>
/// The native first tier (Rewind.Arm64.Jit.ArmNativeCompiler) beyond what the random programs of
/// <see cref="ArmBlockCompilerFuzzTests"/> reach: the full decoder's instructions it runs itself, and bodies
/// going on to one another without returning to the interpreter.
/// </summary>
public class ArmNativeTierTests
{
    private const ulong Data = CpuRig.Ram + 0x40000;

    private static CpuRig Rig(uint[] program, bool native)
    {
        var rig = new CpuRig(program);
        if (native) rig.Cpu.CodeCache.EnableCompiler(threshold: int.MaxValue, native: true, nativeThreshold: 1);
        return rig;
    }

    /// <summary>
    /// Runs both rigs to the same counts, from <paramref name="first"/> below <paramref name="end"/> in uneven steps
    /// (1 + count % <paramref name="spread"/>), and compares them at each: stops fall inside bodies and between them.
    /// </summary>
    private static void RunSideBySide(CpuRig[] rigs, ulong first, ulong end, ulong spread)
    {
        for (ulong at = first; at < end; at += 1 + at % spread)
        {
            foreach (var rig in rigs) rig.Cpu.Run(at);
            AssertSame(rigs[0], rigs[1], $"at {at}");
        }
    }

    private static void AssertSame(CpuRig a, CpuRig b, string where)
    {
        Assert.True(a.Cpu.Icount == b.Cpu.Icount, $"{where}: count {a.Cpu.Icount} against {b.Cpu.Icount}");
        Assert.True(a.Cpu.Pc == b.Cpu.Pc, $"{where}: pc {a.Cpu.Pc:x} against {b.Cpu.Pc:x}");
        for (int r = 0; r < 31; r++)
            Assert.True(a.Cpu.GetX(r) == b.Cpu.GetX(r), $"{where}: x{r} {a.Cpu.GetX(r):x} against {b.Cpu.GetX(r):x}");
        Assert.True(a.Cpu.Sp == b.Cpu.Sp, $"{where}: sp {a.Cpu.Sp:x} against {b.Cpu.Sp:x}");
        Assert.True(a.Cpu.Pstate == b.Cpu.Pstate, $"{where}: pstate");
    }

    /// <summary>
    /// Prefetches, barriers and hints run as the interpreter's NOPs, REV and CLZ count as its, the
    /// extended-register forms (ADD with SP, loads and stores indexed by a W register) compute as it does, and so
    /// do the EL1 system instructions a kernel runs between calls (MRS TPIDR_EL1, SP_EL0 and DAIF, MSR DAIFSet,
    /// DC ZVA) and the ordered accesses (LDAR, STLR): all inside the native body, which runs nearly every step.
    /// </summary>
    [Fact]
    public void Hints_barriers_system_reads_and_extended_registers_run_natively_as_interpreted()
    {
        uint[] program =
        [
            0xf9800011, // loop: prfm pstl1strm, [x0]
            0xd5033bbf, // dmb ish
            0xd503245f, // bti c
            0x5ac00825, // rev w5, w1
            0xdac00c26, // rev x6, x1
            0x8b21c847, // add x7, x2, w1, sxtw #2
            0x8b2403ff, // add sp, sp, w4, uxtb
            0xf8645808, // ldr x8, [x0, w4, uxtw #3]
            0x78aa7809, // ldrsh x9, [x0, x10, lsl #1]
            0xb824c801, // str w1, [x0, w4, sxtw]
            0xd5033fdf, // isb
            0xd503203f, // yield
            0xd538d08b, // mrs x11, tpidr_el1
            0xd538410c, // mrs x12, sp_el0
            0xd53b422d, // mrs x13, daif
            0xd50342df, // msr daifset, #2
            0xd50b742e, // dc zva, x14
            0x910101ce, // add x14, x14, #64 (a new block each round)
            0x089ffc01, // stlrb w1, [x0]
            0xc89ffde1, // stlr x1, [x15]
            0xc8dffdf0, // ldar x16, [x15]
            0x48dffc11, // ldarh w17, [x0]
            0xdac01032, // clz x18, x1
            0x5ac01073, // clz w19, w3
            0xf1000442, // subs x2, x2, #1
            0x54fffce1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(0, Data);
            rig.Cpu.SetX(1, 0x8123_4567_89ab_cdef);
            rig.Cpu.SetX(2, 1000);
            rig.Cpu.SetX(4, 0xffff_ffff_0000_0105); // uxtb: 5; uxtw and sxtw: 0x105
            rig.Cpu.SetX(10, 3);
            rig.Cpu.SetX(3, 0x0000_7fff);
            rig.Cpu.SetX(14, Data + 0x2013); // DC ZVA clears 64 bytes from Data + 0x2000, then the next 64...
            rig.Cpu.SetCpsr(0x5); // EL1h with DAIF clear, so that MSR DAIFSet changes it
            rig.Cpu.SetX(15, Data + 0x800);
            rig.Cpu.SpEl0 = 0x1234_5678;
            Assert.True(rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.TpidrEl1, 0xfeed_0000));
            rig.Cpu.Sp = Data + 0x8000;
            for (ulong a = Data; a < Data + 0x12000; a += 8) rig.Bus.TryWrite(a, 8, a * 0x9e37_79b9 | 1);
        }
        RunSideBySide(rigs, 7, 30_000, 977);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.Equal(0xefcd_ab89UL, rigs[1].Cpu.GetX(5));
        Assert.Equal(0xfeed_0000UL, rigs[1].Cpu.GetX(11));
        Assert.Equal(0x1234_5678UL, rigs[1].Cpu.GetX(12));
        Assert.Equal(0UL, rigs[1].Cpu.GetX(18));  // clz of a negative x1
        Assert.Equal(17UL, rigs[1].Cpu.GetX(19)); // clz of 0x7fff in 32 bits
        Assert.Equal(0UL, rigs[1].Read64(Data + 0x2000 + 999 * 64 + 56));
        Assert.Equal(2u, (rigs[1].Cpu.Pstate >> 6) & 15); // DAIF: I set by MSR DAIFSet
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
        // 1,000 rounds of 26 instructions: all but the first rounds' (before the body was placed, and the first
        // writes to clean pages) ran native.
        Assert.True(rigs[1].Cpu.RegionSteps > 25_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// UMULH, SMULH, UDIV (64 and 32 bits, by zero too) and BFM (BFI, BFXIL) compute as the interpreter does,
    /// inside a loop body that keeps its most named registers in host registers between its entry and its exits.
    /// </summary>
    [Fact]
    public void Multiply_high_divide_and_bitfield_moves_run_natively_as_interpreted()
    {
        uint[] program =
        [
            0x9bc37c25, // loop: umulh x5, x1, x3
            0x9b437c26, // smulh x6, x1, x3
            0x9ac20827, // udiv x7, x1, x2
            0x1ac90868, // udiv w8, w3, w9 (w9 is 0 one round in four)
            0x1ac2082c, // udiv w12, w1, w2
            0xb3783c2a, // bfi x10, x1, #8, #16
            0x33043c6b, // bfxil w11, w3, #4, #12
            0xb3440ced, // bfi x13, x7, #60, #4
            0xca013421, // eor x1, x1, x1, lsl #13
            0xca411c21, // eor x1, x1, x1, lsr #7
            0xcac12463, // eor x3, x3, x1, ror #9
            0x8b050129, // add x9, x9, x5
            0x92400529, // and x9, x9, #3
            0xf1000442, // subs x2, x2, #1
            0x54fffe41, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(1, 0x8123_4567_89ab_cdef);
            rig.Cpu.SetX(2, 2000);
            rig.Cpu.SetX(3, 0xfedc_ba98_7654_3211);
            rig.Cpu.SetX(10, 0x1111_2222_3333_4444);
            rig.Cpu.SetX(11, 0xaaaa_bbbb_cccc_dddd);
            rig.Cpu.SetX(13, 0x0123_4567_89ab_cdef);
        }
        RunSideBySide(rigs, 3, 40_000, 1_213);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.Equal(0UL, rigs[1].Cpu.GetX(11) >> 32); // BFXIL of a W register clears the high half
        Assert.True(rigs[1].Cpu.RegionSteps > 29_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// A body that keeps SP and the frame registers in host registers (pushes, pops, SP moved by ADD and SUB,
    /// read by MOV) leaves them where the interpreter finds them at every stop; and conditions read right after
    /// their flag setter (from the host's flags) or later (from the context) select as the interpreter's do.
    /// </summary>
    [Fact]
    public void Kept_stack_pointer_and_conditions_run_natively_as_interpreted()
    {
        uint[] program =
        [
            0xa9be7bfd, // loop: stp x29, x30, [sp, #-32]!
            0x910003fd, // mov x29, sp
            0xf9000be1, // str x1, [sp, #16]
            0x8b1d0021, // add x1, x1, x29
            0xd10043ff, // sub sp, sp, #16
            0xf90003e2, // str x2, [sp]
            0xf94013e3, // ldr x3, [sp, #32]
            0x910043ff, // add sp, sp, #16
            0x910003e4, // mov x4, sp
            0xa8c27bfd, // ldp x29, x30, [sp], #32
            0xca040021, // eor x1, x1, x4
            0xf10af05f, // cmp x2, #700
            0x9a8684a5, // csinc x5, x5, x6, hi (right after the compare)
            0xda8590c6, // csinv x6, x6, x5, ls
            0xda81a4e7, // csneg x7, x7, x1, ge
            0xfa431024, // ccmp x1, x3, #4, ne
            0x9a9f77e8, // cset x8, vs
            0xf1000442, // subs x2, x2, #1
            0x54fffdc1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(1, 0x7123_4567_89ab_cdef);
            rig.Cpu.SetX(2, 1500);
            rig.Cpu.SetX(29, 0x5555);
            rig.Cpu.SetX(30, 0x7777);
            rig.Cpu.Sp = Data + 0x8000;
        }
        RunSideBySide(rigs, 2, 40_000, 1_117);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.Equal(Data + 0x8000, rigs[1].Cpu.Sp);
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
        Assert.True(rigs[1].Cpu.RegionSteps > 25_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// LDXR and STXR (with acquire and release, bytes to doublewords, SP as the base) keep the exclusive monitor
    /// as the interpreter does: a store after its load succeeds, one after another store, to another address or
    /// of another size fails, and the status register says which.
    /// </summary>
    [Fact]
    public void Exclusive_loads_and_stores_run_natively_as_interpreted()
    {
        uint[] program =
        [
            0xc85ffc03, // loop: ldaxr x3, [x0]
            0x91000463, // add x3, x3, #1
            0xc804fc03, // stlxr w4, x3, [x0]
            0x8b040129, // add x9, x9, x4
            0x085f7c25, // ldxrb w5, [x1]
            0x11000ca5, // add w5, w5, #3
            0x08067c25, // stxrb w6, w5, [x1]
            0x48077c25, // stxrh w7, w5, [x1] (fails: the monitor is clear)
            0x485f7c25, // ldxrh w5, [x1]
            0xc8087c05, // stxr w8, x5, [x0] (fails: another address)
            0x885f7c0a, // ldxr w10, [x0]
            0x880b7c2a, // stxr w11, w10, [x1] (fails)
            0x8b060129, // add x9, x9, x6
            0x8b070129, // add x9, x9, x7
            0x8b080129, // add x9, x9, x8
            0x8b0b0129, // add x9, x9, x11
            0xc85f7fec, // ldxr x12, [sp]
            0xc80d7fec, // stxr w13, x12, [sp]
            0xf1000442, // subs x2, x2, #1
            0x54fffda1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(0, Data);
            rig.Cpu.SetX(1, Data + 0x100);
            rig.Cpu.SetX(2, 1500);
            rig.Cpu.Sp = Data + 0x8000;
        }
        RunSideBySide(rigs, 4, 40_000, 1_009);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.True(rigs[1].Read64(Data) > 1000, "the exclusive increments did not land");
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
        Assert.True(rigs[1].Cpu.RegionSteps > 25_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// A body whose entry instruction keeps needing the interpreter (a device read, say) is not called at every
    /// visit: after four calls in a row that ran nothing, the next 16 visits go straight to the interpreter, then
    /// it is tried again, with twice the wait each time it still runs nothing, up to 4,096; a call that runs
    /// steps ends the waiting.
    /// </summary>
    [Fact]
    public void A_body_that_keeps_running_nothing_is_skipped_for_a_while()
    {
        var block = new Rewind.Arm64.Jit.ArmBlock(null, 1, Rewind.Arm64.Decode.A64Kind.Nop, new Rewind.Arm64.Decode.A64Op[1], 0, 0, 0, 4, native: 1);
        int Skipped()
        {
            int n = 0;
            while (!block.ShouldCall()) n++;
            return n;
        }
        for (int i = 0; i < 3; i++)
        {
            Assert.True(block.ShouldCall());
            block.Ran(false);
        }
        Assert.Equal(0, Skipped());
        block.Ran(false);
        Assert.Equal(16, Skipped());
        for (int i = 0; i < 4; i++) block.Ran(false);
        Assert.Equal(32, Skipped());
        for (int round = 0; round < 12; round++)
        {
            for (int i = 0; i < 4; i++) block.Ran(false);
            Assert.True(Skipped() <= 4096);
        }
        block.Ran(true);
        for (int i = 0; i < 4; i++) block.Ran(false);
        Assert.Equal(16, Skipped());
    }

    /// <summary>
    /// With the MMU on, native loads and stores go through the data TLB: those within a page run natively, and
    /// one that runs into the next page (unmapped, read-only, or mapped) leaves for the interpreter, which faults
    /// or splits it. A store to the read-only page, or a load from the unmapped one, faults into a handler that
    /// steps over it, as interpreted: nothing is read or written past a page the TLB entry does not cover.
    /// </summary>
    [Fact]
    public void Accesses_across_a_page_edge_with_the_mmu_on_run_as_interpreted()
    {
        uint[] program =
        [
            0xf90000c2, // loop: str x2, [x6]
            0xf868796a, // ldr x10, [x11, x8, lsl #3]  (x8 counts down: through the read-only and unmapped pages)
            0x8b0a00e7, // add x7, x7, x10
            0xf8287967, // str x7, [x11, x8, lsl #3]
            0xf9400020, // ldr x0, [x1]   (into the unmapped page)
            0xf94000a4, // ldr x4, [x5]   (across two mapped pages)
            0xf9000062, // str x2, [x3]   (into the read-only page)
            0x8b0000e7, // add x7, x7, x0
            0x8b0400e7, // add x7, x7, x4
            0xf240011f, // tst x8, #1
            0x9a8900e9, // csel x9, x7, x9, eq
            0xf1000508, // subs x8, x8, #1
            0x54fffe81, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            ArmBlockCompilerFuzzTests.MapIdentity(rig);
            // Synchronous exceptions: step over the instruction (x30 is the scratch).
            rig.Load(CpuRig.Vbar + 0x200, 0xd538403e, 0x910013de, 0xd518403e, 0xd69f03e0);
            for (ulong a = Data; a < Data + 0x8000; a += 8) rig.Bus.TryWrite(a, 8, a * 0x9e37_79b9);
            rig.Cpu.SetX(0, 0x55);
            rig.Cpu.SetX(1, Data + 0x5000 - 4);
            rig.Cpu.SetX(2, 0x1234_5678_9abc_def0);
            rig.Cpu.SetX(3, Data + 0x2000 - 4);
            rig.Cpu.SetX(4, 0x66);
            rig.Cpu.SetX(5, Data + 0x1000 - 4);
            rig.Cpu.SetX(6, Data + 0x100);
            rig.Cpu.SetX(8, 3000);
            rig.Cpu.SetX(11, Data);
        }
        RunSideBySide(rigs, 3, 80_000, 997);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(8));
        Assert.Equal(0x55UL, rigs[1].Cpu.GetX(0));
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
        Assert.True(rigs[1].Cpu.RegionSteps > 10_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>DC ZVA runs natively at EL0 too where SCTLR_EL1.DZE allows it (user memset clears with it), clearing what the interpreter clears.</summary>
    [Fact]
    public void Dc_zva_runs_natively_at_el0_as_interpreted()
    {
        uint[] program =
        [
            0xd50b742e, // loop: dc zva, x14
            0x910101ce, // add x14, x14, #64
            0xf1000442, // subs x2, x2, #1
            0x54ffffa1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(2, 1000);
            rig.Cpu.SetX(14, Data + 0x25); // from the 64-byte block holding it
            Assert.True(rig.Cpu.TryWriteSystemRegister(Arm64Cpu.SysReg.Sctlr, rig.Cpu.TrapRegisters.Sctlr | 1UL << 14)); // DZE
            rig.Cpu.SetCpsr(0x0);          // EL0t
            for (ulong a = Data; a < Data + 0x10800; a += 8) rig.Bus.TryWrite(a, 8, a | 1);
        }
        RunSideBySide(rigs, 3, 4_500, 331);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.Equal(0UL, rigs[1].Read64(Data + 999 * 64 + 56));
        Assert.Equal(Data + 1000 * 64 | 1, rigs[1].Read64(Data + 1000 * 64));
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
        Assert.True(rigs[1].Cpu.RegionSteps > 3_500, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// At EL0 with SCTLR_EL1.DZE clear, DC ZVA traps to EL1 as a trapped system instruction (EC 0x18, its
    /// encoding in the syndrome) and clears nothing, natively as interpreted; DCZID_EL0 says so (DZP).
    /// </summary>
    [Fact]
    public void Dc_zva_at_el0_without_dze_traps_natively_as_interpreted()
    {
        uint[] program =
        [
            0xd53b00e5, // mrs x5, dczid_el0
            0x910101ce, // loop: add x14, x14, #64
            0xd50b742e, // dc zva, x14
            0xf1000442, // subs x2, x2, #1
            0x54ffffa1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Load(CpuRig.Vbar + 0x400, 0xd5385200, 0x14000000); // from EL0: mrs x0, esr_el1; b .
            rig.Cpu.SetX(2, 1000);
            rig.Cpu.SetX(14, Data);
            rig.Cpu.SetCpsr(0x0); // EL0t, DZE clear (its reset value)
            for (ulong a = Data; a < Data + 0x1000; a += 8) rig.Bus.TryWrite(a, 8, a | 1);
            rig.Cpu.Run(200);
        }
        AssertSame(rigs[0], rigs[1], "after the trap");
        Assert.Equal(0x18UL, rigs[1].Cpu.GetX(0) >> 26);
        Assert.Equal(1UL << 20 | 1UL << 17 | 3UL << 14 | 7UL << 10 | 14UL << 5 | 4UL << 1, rigs[1].Cpu.GetX(0) & 0x1ff_ffff);
        Assert.Equal(0x14UL, rigs[1].Cpu.GetX(5));
        Assert.Equal(Data + 64 | 1, rigs[1].Read64(Data + 64));
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
    }

    /// <summary>A loop calling a function on the next page, three bodies: the loop's, the callee's and the return's.</summary>
    private static uint[] CallingProgram()
    {
        var words = new uint[0x1008 / 4];
        words[0] = 0x94000400;          // loop: bl f (0x1000)
        words[1] = 0xf1000442;          // subs x2, x2, #1
        words[2] = 0x54ffffc1;          // b.ne loop
        words[3] = 0x14000000;          // b .
        words[0x1000 / 4] = 0x91000463; // f: add x3, x3, #1
        words[0x1004 / 4] = 0xd65f03c0; // ret
        return words;
    }

    /// <summary>
    /// A call and its return go from one native body to the next without the interpreter, across pages (the
    /// fetch TLB finds the callee's page): the interpreter enters native code a few times a slice, not three
    /// times a round. With a breakpoint set anywhere, every body is entered through the interpreter, which
    /// checks it; the results are the interpreter's either way.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Calls_and_returns_chain_native_bodies_unless_a_breakpoint_is_set(bool breakpoint)
    {
        var program = CallingProgram();
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(2, 3000);
            if (breakpoint) rig.Cpu.AddBreakpoint(CpuRig.Ram + 0x3000); // never reached
        }
        for (ulong at = 5; at < 20_000; at += 1 + at % 1_531)
        {
            foreach (var rig in rigs) Assert.Equal(rigs[0].Cpu.Run(at), rig.Cpu.Run(at));
            AssertSame(rigs[0], rigs[1], $"at {at}");
        }
        Assert.Equal(3000UL, rigs[1].Cpu.GetX(3));
        ulong entries = rigs[1].Cpu.RegionRuns;
        // Two bodies a round without chaining: the callee's, and the return's, which holds the loop's branch back and the call.
        if (breakpoint) Assert.True(entries >= 2 * 2_900, $"{entries} entries from the interpreter for 3,000 rounds");
        else Assert.True(entries < 300, $"{entries} entries from the interpreter for 3,000 rounds: the bodies did not chain");
    }

    /// <summary>
    /// A table on the page of the code that fills it (as bench.elf's is): the page holds decoded code, so the code
    /// cache watches it, but no store touches a line with code in it, so the stores stay in native code instead of
    /// each leaving it for the interpreter to report the write. Before, each of the 1,000 stores ended a call.
    /// </summary>
    [Fact]
    public void Stores_beside_code_on_its_page_stay_in_native_code()
    {
        uint[] program =
        [
            0xf8227802, // loop: str x2, [x0, x2, lsl #3]  (x0 = the code's page + 0x800)
            0xf1000442, // subs x2, x2, #1
            0x54ffffc1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(0, CpuRig.Ram + 0x800);
            rig.Cpu.SetX(2, 1000);
            rig.Cpu.Run(3_100);
        }
        AssertSame(rigs[0], rigs[1], "at the end");
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.Equal(1000UL, rigs[1].Read64(CpuRig.Ram + 0x800 + 8000));
        Assert.True(rigs[0].Memory.Bytes.SequenceEqual(rigs[1].Memory.Bytes), "RAM differs");
        Assert.True(rigs[1].Cpu.RegionRuns < 20, $"{rigs[1].Cpu.RegionRuns} calls into native code: its stores left it");
    }

    /// <summary>
    /// Two CPUs over one RAM with a code cache each (not as a board builds them, which share one): CPU 0's native
    /// stores into a line only CPU 1's cache has decoded code in are still reported, since no one line map then
    /// covers all the code. CPU 1's loop `add x3, x3, #k; b` runs the k CPU 0 wrote last.
    /// </summary>
    [Fact]
    public void Stores_into_code_another_cache_decoded_are_reported()
    {
        var memory = new Rewind.Core.Memory.PhysicalMemory(CpuRig.Ram, 1 << 20);
        var bus = new Rewind.Core.Bus.SystemBus(memory);
        var clock = new Rewind.Core.Time.VirtualClock(3);
        var cpu0 = new Arm64Cpu(0, bus, clock);
        var cpu1 = new Arm64Cpu(1, bus, clock);
        cpu0.CodeCache.EnableCompiler(threshold: int.MaxValue, native: true, nativeThreshold: 1);
        uint[] program =
        [
            0xb90000c5, // loop: str w5, [x6]   (CPU 1's loop, on this page)
            0x111000a5, // add w5, w5, #0x400   (k + 1)
            0xf1000442, // subs x2, x2, #1
            0x54ffffa1, // b.ne loop
            0x14000000, // b .
        ];
        for (int i = 0; i < program.Length; i++) bus.TryWrite(CpuRig.Ram + (ulong)(4 * i), 4, program[i]);
        bus.TryWrite(CpuRig.Ram + 0x800, 4, 0x91000463); // CPU 1: add x3, x3, #1
        bus.TryWrite(CpuRig.Ram + 0x804, 4, 0x17ffffff); //        b .-4
        cpu0.Reset(CpuRig.Ram);
        cpu1.Reset(CpuRig.Ram + 0x800);
        cpu0.SetX(2, 50);
        cpu0.SetX(5, 0x91000863); // add x3, x3, #2
        cpu0.SetX(6, CpuRig.Ram + 0x800);
        cpu1.Run(10);
        Assert.Equal(5UL, cpu1.GetX(3));
        cpu0.Run(500);
        Assert.Equal(0UL, cpu0.GetX(2));
        Assert.True(cpu0.RegionSteps > 100, $"only {cpu0.RegionSteps} steps native");
        cpu1.Run(20);
        Assert.Equal(5UL + 5 * 51, cpu1.GetX(3));
    }

    /// <summary>
    /// The other side of <see cref="Stores_beside_code_on_its_page_stay_in_native_code"/>: stores from native code
    /// into a line only a compiled region was read from (h's second instruction, never decoded) and into a line
    /// only the interpreter has decoded (g's two FMOVs, which native code leaves to it: its region starts in the
    /// next line) are still reported, so what runs next is the new code. Each round rewrites h's `add x3, x3, #k`
    /// and g's `fmov d0, #imm` with a new k and imm.
    /// </summary>
    [Fact]
    public void Stores_from_native_code_into_lines_of_code_still_rewrite_it()
    {
        var program = new uint[0x248 / 4];
        uint[] main =
        [
            0xb90000e5, // 0x00 loop: str w5, [x7]   (h + 4, in another line than h)
            0xb90000c8, // 0x04: str w8, [x6]        (g)
            0x9400004d, // 0x08: bl h
            0x9400008b, // 0x0c: bl g
            0x111000a5, // 0x10: add w5, w5, #0x400  (k + 1)
            0x11400908, // 0x14: add w8, w8, #0x2000 (imm + 1)
            0xf1000442, // 0x18: subs x2, x2, #1
            0x54ffff21, // 0x1c: b.ne loop
            0x14000000, // 0x20: b .
        ];
        main.CopyTo(program, 0);
        program[0x13c / 4] = 0x91000484; // h: add x4, x4, #1
        program[0x140 / 4] = 0x91000463; //    add x3, x3, #1 (rewritten)
        program[0x144 / 4] = 0xd65f03c0; //    ret
        program[0x238 / 4] = 0x1e601000; // g: fmov d0, #2.0 (rewritten)
        program[0x23c / 4] = 0x9e660009; //    fmov x9, d0
        program[0x240 / 4] = 0x8b090063; //    add x3, x3, x9 (the next line: a region starts here)
        program[0x244 / 4] = 0xd65f03c0; //    ret
        var rigs = new[] { new CpuRig(program), new CpuRig(program) };
        rigs[1].Cpu.CodeCache.EnableCompiler(threshold: int.MaxValue, native: true, nativeThreshold: 1);
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(2, 200);
            rig.Cpu.SetX(5, 0x91000863); // add x3, x3, #2
            rig.Cpu.SetX(6, CpuRig.Ram + 0x238);
            rig.Cpu.SetX(7, CpuRig.Ram + 0x140);
            rig.Cpu.SetX(8, 0x1e601000); // fmov d0, #2.0 (imm8 0)
            rig.Cpu.Run(3_000);
        }
        AssertSame(rigs[0], rigs[1], "at the end");
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        // The last round's g ran its last FMOV (imm8 199), not the first (2.0).
        Assert.NotEqual(0x4000_0000_0000_0000UL, rigs[1].Cpu.GetX(9));
        Assert.True(rigs[1].Cpu.RegionSteps > 1_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// With the MMU on, a native store that hits the write TLB tests no page flags: the entry is made so only for a
    /// page that is dirty and unwatched. Clearing the dirty set (a snapshot) drops those entries, so the next
    /// store to the page marks it dirty again, as interpreted, and native code goes on storing there after that.
    /// </summary>
    [Fact]
    public void A_native_store_after_the_dirty_set_is_cleared_marks_its_page_dirty()
    {
        uint[] program =
        [
            0xf90000c2, // loop: str x2, [x6]
            0xf1000442, // subs x2, x2, #1
            0x54ffffc1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        int page = (int)((Data + 0x100 - CpuRig.Ram) >> 12);
        foreach (var rig in rigs)
        {
            ArmBlockCompilerFuzzTests.MapIdentity(rig);
            rig.Cpu.SetX(2, 3000);
            rig.Cpu.SetX(6, Data + 0x100);
            rig.Cpu.Run(3_000);
            rig.Memory.ClearDirty();
            Assert.False(rig.Memory.IsDirty(page));
            rig.Cpu.Run(6_000);
            Assert.True(rig.Memory.IsDirty(page), "a store after the dirty set was cleared did not mark its page");
            rig.Memory.ClearDirty();
            rig.Cpu.Run(9_000);
            Assert.True(rig.Memory.IsDirty(page), "a store after the dirty set was cleared again did not mark its page");
        }
        AssertSame(rigs[0], rigs[1], "at the end");
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.Equal(1UL, rigs[1].Read64(Data + 0x100));
        Assert.True(rigs[1].Cpu.RegionSteps > 8_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// A page the write TLB maps for stores without a flags test (dirty, no code) that then gets code (f, called)
    /// has those entries marked first: the native loop's later stores over f's first instruction are reported, so
    /// each call runs what the last round wrote. Three rounds of 50 stores of `add x3, x3, #k`, k = 2, 3, ...
    /// </summary>
    [Fact]
    public void A_page_mapped_for_fast_stores_that_gets_code_has_its_stores_reported()
    {
        uint[] program =
        [
            0xb90000c5, // 0x00 loop: str w5, [x6]   (f, on a data page)
            0x111000a5, // 0x04: add w5, w5, #0x400  (k + 1)
            0xf1000442, // 0x08: subs x2, x2, #1
            0x54ffffa1, // 0x0c: b.ne loop
            0xd63f00c0, // 0x10: blr x6
            0xd2800642, // 0x14: mov x2, #50
            0xf1000529, // 0x18: subs x9, x9, #1
            0x54ffff21, // 0x1c: b.ne loop
            0x14000000, // 0x20: b .
        ];
        const ulong F = Data + 0x7000;
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            ArmBlockCompilerFuzzTests.MapIdentity(rig);
            rig.Load(F, 0x91000463, 0xd65f03c0); // f: add x3, x3, #1; ret
            rig.Cpu.SetX(2, 50);
            rig.Cpu.SetX(5, 0x91000863); // add x3, x3, #2
            rig.Cpu.SetX(6, F);
            rig.Cpu.SetX(9, 3);
            rig.Cpu.Run(2_000);
        }
        AssertSame(rigs[0], rigs[1], "at the end");
        Assert.Equal(51UL + 101 + 151, rigs[1].Cpu.GetX(3));
        Assert.True(rigs[1].Cpu.RegionSteps > 400, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// A condition read after instructions that change the host's flags compares again where the compare's
    /// registers are unchanged (TST with an immediate for EQ, CMP of two registers for HI), and loads NZCV back
    /// where one was written in between (CMP, then ADD to its register, then LT): all as interpreted.
    /// </summary>
    [Fact]
    public void Conditions_read_later_compare_again_or_load_nzcv_as_interpreted()
    {
        uint[] program =
        [
            0xf240003f, // loop: tst x1, #1
            0xca410c84, // eor x4, x4, x1, lsr #3
            0x9a850085, // csel x5, x4, x5, eq
            0xeb07003f, // cmp x1, x7
            0x8b010108, // add x8, x8, x1
            0x9a898529, // csinc x9, x9, x9, hi
            0xf101003f, // cmp x1, #0x40
            0x8b030021, // add x1, x1, x3   (x1 written: the next condition must not compare again)
            0x9a84b14a, // csel x10, x10, x4, lt
            0x8b07016b, // add x11, x11, x7
            0xf1000442, // subs x2, x2, #1
            0x54fffea1, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(1, 0x1234_5678_9abc_def1);
            rig.Cpu.SetX(3, 0x9e37_79b9_7f4a_7c15);
            rig.Cpu.SetX(7, 0x8000_0000_0000_0000);
            rig.Cpu.SetX(2, 2000);
        }
        RunSideBySide(rigs, 5, 30_000, 613);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
        Assert.True(rigs[1].Cpu.RegionSteps > 20_000, $"only {rigs[1].Cpu.RegionSteps} steps native");
    }

    /// <summary>
    /// A compare's NZCV is left out of the context only when nothing between it and the next setter may leave
    /// native code: here a load from an unmapped page between them faults, and the exception saves NZCV in
    /// SPSR_EL1, which ERET brings back for the CSEL after it (run by the interpreter): it must be the TST's.
    /// </summary>
    [Fact]
    public void A_compare_before_a_load_that_faults_keeps_its_nzcv_for_the_exception()
    {
        uint[] program =
        [
            0xf240003f, // loop: tst x1, #1
            0xf94000e5, // ldr x5, [x7]   (unmapped: the handler steps over it)
            0x9a830129, // csel x9, x9, x3, eq
            0xf27f005f, // tst x2, #2
            0x8b030021, // add x1, x1, x3
            0xf1000442, // subs x2, x2, #1
            0x54ffff41, // b.ne loop
            0x14000000, // b .
        ];
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            ArmBlockCompilerFuzzTests.MapIdentity(rig);
            // Synchronous exceptions: step over the instruction (x30 is the scratch).
            rig.Load(CpuRig.Vbar + 0x200, 0xd538403e, 0x910013de, 0xd518403e, 0xd69f03e0);
            rig.Cpu.SetX(1, 0x1234_5678_9abc_def1);
            rig.Cpu.SetX(3, 0x9e37_79b9_7f4a_7c15);
            rig.Cpu.SetX(7, Data + 0x5000);
            rig.Cpu.SetX(2, 500);
        }
        RunSideBySide(rigs, 3, 6_000, 211);
        Assert.Equal(0UL, rigs[1].Cpu.GetX(2));
    }

    /// <summary>
    /// A body that chained to another page's code is a cache of the fetch window: after the guest rewrites the
    /// callee (here through a store the interpreter runs), the new instruction is what runs.
    /// </summary>
    [Fact]
    public void A_callee_rewritten_between_chained_runs_runs_its_new_code()
    {
        var program = CallingProgram();
        var rigs = new[] { Rig(program, native: false), Rig(program, native: true) };
        foreach (var rig in rigs)
        {
            rig.Cpu.SetX(2, 3000);
            rig.Cpu.Run(5_000);
            rig.Load(CpuRig.Ram + 0x1000, 0x91002863); // f: add x3, x3, #10
            rig.Cpu.Run(20_000);
        }
        AssertSame(rigs[0], rigs[1], "at the end");
        Assert.True(rigs[1].Cpu.GetX(3) > 3000, "the rewritten callee never ran");
    }

    /// <summary>
    /// Native bodies stay native however many rounds they run: a counting loop run for whole slices and a calling
    /// loop whose runs go on to other bodies are never handed to the runtime's JIT, even at its lowest threshold
    /// (its code kept the registers on the stack, and ran bench_mmu.elf's loop slower than native code does).
    /// </summary>
    [Fact]
    public void Native_bodies_are_not_handed_to_the_runtimes_jit()
    {
        uint[] counting =
        [
            0x91000463, // loop: add x3, x3, #1
            0xf1000442, // subs x2, x2, #1
            0x54ffffc1, // b.ne loop
            0x14000000, // b .
        ];
        // Rounds enough for the 20,000 steps: neither program reaches its final `b .` (which is a loop too).
        CpuRig Tiered(uint[] program)
        {
            var rig = new CpuRig(program);
            rig.Cpu.CodeCache.EnableCompiler(threshold: 4, native: true, nativeThreshold: 1);
            rig.Cpu.SetX(2, 100_000);
            for (ulong at = 500; at <= 20_000; at += 500) rig.Cpu.Run(at);
            Assert.True(rig.Cpu.GetX(3) > 3000);
            Assert.True(rig.Cpu.RegionSteps > 19_000, $"only {rig.Cpu.RegionSteps} steps native");
            return rig;
        }
        foreach (var program in new[] { counting, CallingProgram() })
        {
            var blocks = Tiered(program).Cpu.CodeCache.Blocks!;
            Assert.True(blocks.NativeCompiled > 0);
            Assert.True(blocks.Compiled == blocks.NativeCompiled, $"{blocks.Compiled - blocks.NativeCompiled} regions went to the runtime's JIT");
        }
    }
}
