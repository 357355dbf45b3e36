using Rewind.Arm64.Decode;

namespace Rewind.Arm64.Tests;

/// <summary>
/// Compiled regions against the interpreter on random programs: every kind a region holds, with random
/// registers, immediates, shifts, extends, widths and conditions, in a loop with branches inside it, loads
/// and stores into RAM (and, through registers that hold other values, outside it, which fault into a
/// handler that steps over them). Two CPUs run the same program in lockstep, one compiling everything it
/// reaches from the top of its loop; registers, flags, pc and count must agree at every stop, RAM at the end.
/// </summary>
public class ArmBlockCompilerFuzzTests
{
    private const int Length = 96;
    private const ulong Data = CpuRig.Ram + 0x40000;

    /// <summary>A random instruction word of one of the groups regions hold, decoding to a kind they hold.</summary>
    private static uint RandomWord(Random rng, int at)
    {
        while (true)
        {
            uint w = (uint)rng.NextInt64(0, 1L << 32);
            switch (rng.Next(8))
            {
                case 0 or 1:
                    w = (w & ~(7u << 26)) | (4u << 26); // data processing, immediate
                    break;
                case 2 or 3 or 4:
                    w = (w & ~(7u << 25)) | (5u << 25); // data processing, register
                    break;
                case 5 or 6:
                    w = (w | (1u << 27)) & ~(1u << 25); // loads and stores
                    w &= ~(1u << 26);                    // of general registers
                    break;
                default:
                    return RandomBranch(rng, at);
            }
            var kind = Arm64Cpu.DecodedKind(w);
            if (kind is >= A64Kind.Nop and <= A64Kind.Stp && kind is not (A64Kind.Bl or A64Kind.Br or A64Kind.Blr or A64Kind.B
                or A64Kind.BCond or A64Kind.Cbz or A64Kind.Cbnz or A64Kind.Tbz or A64Kind.Tbnz))
                return w;
        }
    }

    /// <summary>A conditional branch to another instruction of the program.</summary>
    private static uint RandomBranch(Random rng, int at)
    {
        int offset = rng.Next(-at, Length - at); // in instructions
        uint rt = (uint)rng.Next(32);
        return rng.Next(3) switch
        {
            0 => 0x5400_0000u | ((uint)offset & 0x7ffff) << 5 | (uint)rng.Next(16),
            1 => (uint)rng.Next(2) << 31 | 0x3400_0000u | (uint)rng.Next(2) << 24 | ((uint)offset & 0x7ffff) << 5 | rt,
            _ => (uint)rng.Next(2) << 31 | 0x3600_0000u | (uint)rng.Next(2) << 24 | (uint)rng.Next(32) << 19 | ((uint)offset & 0x3fff) << 5 | rt,
        };
    }

    private static uint[] Program(Random rng)
    {
        var words = new uint[Length + 1];
        for (int i = 0; i < Length; i++) words[i] = RandomWord(rng, i);
        words[Length] = 0x1400_0000u | (unchecked((uint)-Length) & 0x3ff_ffff); // b to the start
        return words;
    }

    /// <summary>Which tier compiles: the runtime's JIT (where the host has no native tier, or it is off), or native code.</summary>
    public enum Tier { Runtime, Native }

    public static TheoryData<Tier> Tiers() => [Tier.Runtime, Tier.Native];

    /// <summary>Turns the compiler on for <paramref name="tier"/>, compiling at the first visit.</summary>
    private static void Enable(CpuRig rig, Tier tier)
    {
        switch (tier)
        {
            case Tier.Runtime: rig.Cpu.CodeCache.EnableCompiler(threshold: 1); break;
            default: rig.Cpu.CodeCache.EnableCompiler(threshold: int.MaxValue, native: true, nativeThreshold: 1); break;
        }
        Assert.Equal(tier != Tier.Runtime, rig.Cpu.CodeCache.Blocks!.NativeTier);
    }

    private static CpuRig Rig(uint[] program, int seed, bool compile, Tier tier = Tier.Runtime, bool mmu = false)
    {
        var rig = new CpuRig(program);
        if (mmu) MapIdentity(rig);
        if (compile) Enable(rig, tier);
        // Synchronous exceptions from EL1 with SP_EL1: step over the instruction (x30 is the scratch).
        rig.Load(CpuRig.Vbar + 0x200, 0xd538403e, 0x910013de, 0xd518403e, 0xd69f03e0); // mrs x30, elr_el1; add x30, x30, #4; msr elr_el1, x30; eret
        var rng = new Random(seed * 7919);
        // Most registers hold addresses in the data window (bases for loads and stores), a few anything.
        for (int r = 0; r < 31; r++)
            rig.Cpu.SetX(r, rng.Next(4) == 0 ? (ulong)rng.NextInt64() : Data + (ulong)rng.Next(0x8000) * 8 + (ulong)rng.Next(8));
        if (mmu)
        {
            // A quarter of the registers point just below or at an edge of the read-only or the unmapped page:
            // accesses that run from one page into the next.
            var edges = new Random(seed);
            ulong[] edge = [Data + 0x2000, Data + 0x3000, Data + 0x5000, Data + 0x6000];
            for (int r = 0; r < 31; r++)
                if (edges.Next(4) == 0) rig.Cpu.SetX(r, edge[edges.Next(edge.Length)] + (ulong)(long)edges.Next(-24, 8));
        }
        rig.Cpu.Sp = Data + 0x8000;
        rig.Cpu.SetCpsr((uint)rng.Next(16) << 28 | 0x3c5);
        for (ulong a = Data - 0x8000; a < Data + 0x18000; a += 8) rig.Bus.TryWrite(a, 8, (ulong)rng.NextInt64());
        return rig;
    }

    /// <summary>
    /// Turns the MMU on over RAM mapped to itself in 4 KiB pages, but for a read-only page and an unmapped one in
    /// the data window: compiled accesses go through the data TLB, and stores to the one and any access to the
    /// other fault into the handler, as do accesses that run from a mapped page into either.
    /// </summary>
    internal static void MapIdentity(CpuRig rig)
    {
        var tables = new TranslationTables(rig, 12, 48);
        for (ulong page = CpuRig.Ram; page < Data + 0x48000; page += 0x1000)
        {
            if (page == Data + 0x5000) continue;
            tables.Map(page, page, page == Data + 0x2000 ? TranslationTables.ReadOnly : 0);
        }
        tables.Enable();
    }

    public static TheoryData<int, Tier> Seeds()
    {
        var data = new TheoryData<int, Tier>();
        foreach (var tier in Enum.GetValues<Tier>())
        {
            for (int s = 1; s <= 40; s++) data.Add(s, tier);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_random_program_runs_the_same_compiled_as_interpreted(int seed, Tier tier) => RunBoth(seed, tier, mmu: false);

    /// <summary>The same with the MMU on: compiled loads and stores take the data TLB's paths, page checks and faults.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_random_program_runs_the_same_compiled_as_interpreted_with_the_mmu_on(int seed, Tier tier) => RunBoth(seed, tier, mmu: true);

    private static void RunBoth(int seed, Tier tier, bool mmu)
    {
        var program = Program(new Random(seed));
        var interpreted = Rig(program, seed, compile: false, mmu: mmu);
        var compiled = Rig(program, seed, compile: true, tier, mmu);
        var rng = new Random(seed + 1000);
        ulong at = 0;
        while (at < 30_000)
        {
            at += 1 + (ulong)rng.Next(rng.Next(2) == 0 ? 8 : 400);
            var a = interpreted.Cpu.Run(at);
            var b = compiled.Cpu.Run(at);
            string where = $"seed {seed} at {at}";
            Assert.Equal(a, b);
            Assert.True(interpreted.Cpu.Icount == compiled.Cpu.Icount, $"{where}: count {interpreted.Cpu.Icount} against {compiled.Cpu.Icount}");
            Assert.True(interpreted.Cpu.Pc == compiled.Cpu.Pc, $"{where}: pc {interpreted.Cpu.Pc:x} against {compiled.Cpu.Pc:x}");
            for (int r = 0; r < 31; r++)
                Assert.True(interpreted.Cpu.GetX(r) == compiled.Cpu.GetX(r), $"{where}: x{r} {interpreted.Cpu.GetX(r):x} against {compiled.Cpu.GetX(r):x}");
            Assert.True(interpreted.Cpu.Sp == compiled.Cpu.Sp, $"{where}: sp");
            Assert.True(interpreted.Cpu.Pstate == compiled.Cpu.Pstate, $"{where}: pstate {interpreted.Cpu.Pstate:x} against {compiled.Cpu.Pstate:x}");
        }
        Assert.True(interpreted.Memory.Bytes.SequenceEqual(compiled.Memory.Bytes), $"seed {seed}: RAM differs");
        Assert.True(compiled.Cpu.RegionSteps > 0, $"seed {seed}: nothing ran compiled");
        var cache = compiled.Cpu.CodeCache.Blocks!;
        if (tier != Tier.Runtime) Assert.True(cache.NativeCompiled > 0, $"seed {seed}: nothing translated to native code");
    }

    [Theory]
    [MemberData(nameof(Tiers))]
    public void A_region_that_rewrites_its_own_next_instruction_runs_the_new_one(Tier tier)
    {
        uint[] program =
        [
            0x91000442, // 0: loop: add x2, x2, #1
            0xb9000085, // 4: str w5, [x4]        (x4 = 12: the instruction two ahead)
            0x4a0600a5, // 8: eor w5, w5, w6      (the other encoding next time)
            0x91000463, // c: add x3, x3, #1      (rewritten: #100, then #1, ...)
            0x17fffffc, // 10: b loop
        ];
        CpuRig Rig(bool compile)
        {
            var rig = new CpuRig(program);
            if (compile) Enable(rig, tier);
            rig.Cpu.SetX(4, CpuRig.Ram + 12);
            rig.Cpu.SetX(5, 0x91019063); // add x3, x3, #100
            rig.Cpu.SetX(6, 0x91019063 ^ 0x91000463);
            return rig;
        }
        var interpreted = Rig(compile: false);
        var compiled = Rig(compile: true);
        for (ulong at = 1; at <= 5_000; at += 1 + at % 7)
        {
            interpreted.Cpu.Run(at);
            compiled.Cpu.Run(at);
            Assert.Equal(interpreted.Cpu.Pc, compiled.Cpu.Pc);
            Assert.Equal(interpreted.Cpu.GetX(3), compiled.Cpu.GetX(3));
        }
        interpreted.Cpu.Run(10_000);
        compiled.Cpu.Run(10_000);
        // 2,000 rounds of five instructions: 1,000 adds of 100 and 1,000 of 1.
        Assert.Equal(101_000UL, compiled.Cpu.GetX(3));
        Assert.Equal(interpreted.Cpu.GetX(3), compiled.Cpu.GetX(3));
        Assert.True(compiled.Cpu.CodeCache.Blocks!.Compiled > 1, "the rewritten region was compiled again");
    }

    /// <summary>
    /// SUBS, ADDS and ANDS of x1 and x2 into x0, 64 and 32 bits; then CMP and TST (into the zero register,
    /// which compile to the host's CMP and TEST) of x1 with x2 and with immediates: #5 and #0xfff, #1 and #0x80000000.
    /// </summary>
    private static readonly uint[] FlagSetters =
    [
        0xEB020020, 0x6B020020, 0xAB020020, 0x2B020020, 0xEA020020, 0x6A020020,
        0xEB02003F, 0x6B02003F, 0xEA02003F, 0x6A02003F, 0xF100143F, 0x713FFC3F, 0xF240003F, 0x7201003F,
    ];

    private static readonly ulong[] Edges =
        [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 1, 0x1234_5678_9abc_def0];

    public static TheoryData<int, int, Tier> SetterAndCondition()
    {
        var data = new TheoryData<int, int, Tier>();
        foreach (var tier in new[] { Tier.Runtime, Tier.Native })
        {
            for (int setter = 0; setter < FlagSetters.Length; setter++)
            {
                for (int cond = 0; cond < 16; cond++) data.Add(setter, cond, tier);
            }
        }
        return data;
    }

    /// <summary>
    /// Every condition after every flag setter, at the edges of both widths: read by CSEL and B.cond in the
    /// setter's block (compiled straight from its operands), by CCMP, and by a CSEL after it, which reads the
    /// flags CCMP made; and left to the interpreter at the end, which reads NZCV itself.
    /// </summary>
    [Theory]
    [MemberData(nameof(SetterAndCondition))]
    public void Every_condition_after_every_flag_setter_holds_as_interpreted(int setter, int cond, Tier tier)
    {
        uint c = (uint)cond << 12;
        uint[] program =
        [
            FlagSetters[setter],   // 0: subs/adds/ands x0, x1, x2 (or w)
            0x9A850083 | c,        // 4: csel x3, x4, x5, cond
            0x54000060 | (uint)cond, // 8: b.cond 14
            0xD2800026,            // c: movz x6, #1
            0x14000002,            // 10: b 18
            0xD2800046,            // 14: movz x6, #2
            0xFA420025 | c,        // 18: ccmp x1, x2, #5, cond
            0x9A850087 | c,        // 1c: csel x7, x4, x5, cond
            0x14000000,            // 20: b .
        ];
        var interpreted = new CpuRig(program);
        var compiled = new CpuRig(program);
        Enable(compiled, tier);
        foreach (ulong a in Edges)
        {
            foreach (ulong b in Edges)
            {
                foreach (var rig in new[] { interpreted, compiled })
                {
                    rig.Cpu.Pc = CpuRig.Ram;
                    rig.Cpu.SetX(1, a);
                    rig.Cpu.SetX(2, b);
                    rig.Cpu.SetX(4, 0xaaaa);
                    rig.Cpu.SetX(5, 0xbbbb);
                    rig.Cpu.SetX(6, 0);
                    rig.Cpu.Run(rig.Cpu.Icount + 20);
                }
                string where = $"setter {FlagSetters[setter]:x8} cond {cond} a {a:x} b {b:x}";
                foreach (int r in new[] { 0, 3, 6, 7 })
                    Assert.True(interpreted.Cpu.GetX(r) == compiled.Cpu.GetX(r), $"{where}: x{r} {interpreted.Cpu.GetX(r):x} against {compiled.Cpu.GetX(r):x}");
                Assert.True(interpreted.Cpu.Pstate == compiled.Cpu.Pstate, $"{where}: pstate {interpreted.Cpu.Pstate:x} against {compiled.Cpu.Pstate:x}");
                Assert.Equal(interpreted.Cpu.Pc, compiled.Cpu.Pc);
            }
        }
        Assert.True(compiled.Cpu.RegionSteps > 0, "nothing ran compiled");
    }

    /// <summary>
    /// With breakpoints set, a region runs unless one lies on its code: a breakpoint inside a compiled loop
    /// stops every round at its count, and one outside lets the loop run compiled to it.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers))]
    public void A_breakpoint_in_a_compiled_loop_stops_there_and_one_outside_it_lets_the_loop_run_compiled(Tier tier)
    {
        uint[] program =
        [
            0x91000442, // 0: loop: add x2, x2, #1
            0x91000863, // 4: add x3, x3, #2
            0xF101905F, // 8: cmp x2, #100
            0x54FFFFA1, // c: b.ne loop
            0x14000000, // 10: b .
        ];
        var interpreted = new CpuRig(program);
        var compiled = new CpuRig(program);
        Enable(compiled, tier);
        foreach (var rig in new[] { interpreted, compiled })
        {
            rig.Cpu.Run(50);
            rig.Cpu.AddBreakpoint(CpuRig.Ram + 4);
        }
        ulong before = compiled.Cpu.RegionSteps;
        for (int hit = 0; hit < 5; hit++)
        {
            var a = interpreted.Cpu.Run(10_000, stepOverBreakpoint: hit > 0);
            var b = compiled.Cpu.Run(10_000, stepOverBreakpoint: hit > 0);
            Assert.Equal(Rewind.Core.Cpu.CpuStop.Breakpoint, b);
            Assert.Equal(a, b);
            Assert.Equal(CpuRig.Ram + 4, compiled.Cpu.Pc);
            Assert.Equal(interpreted.Cpu.Icount, compiled.Cpu.Icount);
            Assert.Equal(interpreted.Cpu.GetX(2), compiled.Cpu.GetX(2));
        }
        Assert.Equal(before, compiled.Cpu.RegionSteps);

        foreach (var rig in new[] { interpreted, compiled })
        {
            rig.Cpu.RemoveBreakpoint(CpuRig.Ram + 4);
            rig.Cpu.AddBreakpoint(CpuRig.Ram + 0x10);
        }
        var c = interpreted.Cpu.Run(10_000, stepOverBreakpoint: true);
        var d = compiled.Cpu.Run(10_000, stepOverBreakpoint: true);
        Assert.Equal(Rewind.Core.Cpu.CpuStop.Breakpoint, d);
        Assert.Equal(c, d);
        Assert.Equal(CpuRig.Ram + 0x10, compiled.Cpu.Pc);
        Assert.Equal(interpreted.Cpu.Icount, compiled.Cpu.Icount);
        Assert.Equal(100UL, compiled.Cpu.GetX(2));
        Assert.Equal(interpreted.Cpu.GetX(3), compiled.Cpu.GetX(3));
        Assert.True(compiled.Cpu.RegionSteps > before + 100, "the loop ran compiled with a breakpoint set outside it");
    }

    /// <summary>
    /// With the MMU on, a region whose first instruction is a store that misses the data TLB declines, and the
    /// full decoder runs that store. The full decoder fills the TLB as the fast path does, so the region declines
    /// once a page, not once a round (it did, for every round on a page it had not stored to before).
    /// </summary>
    [Theory]
    [MemberData(nameof(Tiers))]
    public void A_region_that_starts_with_a_store_missing_the_data_tlb_declines_once_a_page(Tier tier)
    {
        uint[] program =
        [
            0xF8227801, // 0: loop: str x1, [x0, x2, lsl #3]
            0x91000442, // 4: add x2, x2, #1
            0x17FFFFFE, // 8: b loop
        ];
        CpuRig Mapped(bool compile)
        {
            var rig = new CpuRig(program);
            var tables = new TranslationTables(rig, 12, 39);
            tables.Map(CpuRig.Ram, CpuRig.Ram);
            for (ulong page = 0; page < 8; page++) tables.Map(Data + page * 0x1000, Data + page * 0x1000);
            tables.Enable();
            if (compile) Enable(rig, tier);
            rig.Cpu.SetX(0, Data);
            rig.Cpu.SetX(1, 0x5a5a);
            return rig;
        }
        var interpreted = Mapped(compile: false);
        var compiled = Mapped(compile: true);
        // 4,096 rounds of three: a store to each word of 8 pages.
        for (ulong at = 1_000; at <= 12_288; at += 1_000 + at % 17)
        {
            interpreted.Cpu.Run(Math.Min(at, 12_288));
            compiled.Cpu.Run(Math.Min(at, 12_288));
            Assert.Equal(interpreted.Cpu.Pc, compiled.Cpu.Pc);
            Assert.Equal(interpreted.Cpu.GetX(2), compiled.Cpu.GetX(2));
        }
        Assert.True(interpreted.Memory.Bytes.SequenceEqual(compiled.Memory.Bytes), "RAM differs");
        Assert.True(compiled.Cpu.RegionSteps > 10_000, $"only {compiled.Cpu.RegionSteps} steps compiled");
        Assert.True(compiled.Cpu.RegionDeclines <= 32, $"{compiled.Cpu.RegionDeclines} declines for 8 pages");
    }

    /// <summary>
    /// A region the compiler refuses (here made to throw, as an IL bug of ours would) stays interpreted and is
    /// counted; the run goes on exactly as the interpreter's, on the CPU's thread and on the compiling thread.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_region_the_compiler_refuses_is_left_to_the_interpreter(bool background)
    {
        var program = Program(new Random(7));
        var interpreted = Rig(program, 7, compile: false);
        var refusing = Rig(program, 7, compile: false);
        refusing.Cpu.CodeCache.EnableCompiler(threshold: 1, background);
        var cache = refusing.Cpu.CodeCache.Blocks!;
        cache.CompileForTests = _ => throw new InvalidProgramException("a region the runtime rejects");
        for (ulong at = 1_000; at <= 20_000; at += 1_000)
        {
            interpreted.Cpu.Run(at);
            refusing.Cpu.Run(at);
            if (background) Assert.True(cache.WaitForCompiler(TimeSpan.FromSeconds(30)));
            Assert.Equal(interpreted.Cpu.Pc, refusing.Cpu.Pc);
            for (int r = 0; r < 31; r++) Assert.Equal(interpreted.Cpu.GetX(r), refusing.Cpu.GetX(r));
        }
        Assert.True(cache.Failures > 0, "the compiler was never asked");
        Assert.Equal(0, cache.Compiled);
        Assert.Equal(0UL, refusing.Cpu.RegionSteps);
    }
}
