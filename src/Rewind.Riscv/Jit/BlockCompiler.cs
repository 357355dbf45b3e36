using System.Reflection;
using System.Reflection.Emit;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv.Jit;

/// <summary>
/// Translates a guest region (<see cref="Region"/>: basic blocks of integer ALU, M, loads and stores,
/// each ending at its first jump or branch) into IL for the runtime's JIT. A jump from one of the
/// region's blocks to another is an IL branch, taken only when the slice has room for the whole next
/// block, so every stop still falls on the exact count. Guest registers the region touches live in IL
/// locals, loaded on entry and written back at every exit, so the runtime keeps them in host registers. Loads and stores call
/// the hart's own access methods (<see cref="Hart.JitLoad64"/> and friends): the block never reaches
/// memory another way. An access that traps or must end the run (a device changed the slice, a store
/// overwrote compiled code) leaves at once with the exact pc and count, as the interpreter would.
/// CSR accesses, atomics and floating point call the interpreter's own code for that one instruction
/// (<see cref="RunsThroughInterpreter"/>); the rest (ecall, ebreak, xret, WFI, sfence.vma) is left to the
/// interpreter: a block ends before it.
/// </summary>
internal static class BlockCompiler
{
    /// <summary>Longest block, in instructions (bounds compile time and IL size).</summary>
    public const int MaxInstructions = 48;

    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
    private static readonly FieldInfo PcField = typeof(Hart).GetField(nameof(Hart.Pc), Any)!;
    private static readonly FieldInfo ExitField = typeof(Hart).GetField(nameof(Hart.JitExit), Any)!;

    // Looked up once: reflection per emitted access was a measurable part of compiling.
    private static readonly Dictionary<string, MethodInfo> Helpers = typeof(Hart).GetMethods(Any)
        .Where(m => m.Name.StartsWith("Jit", StringComparison.Ordinal)).ToDictionary(m => m.Name);

    private static MethodInfo Helper(string name) => Helpers[name];

    /// <summary>
    /// Has the runtime compile <paramref name="code"/> now, on the calling thread, instead of on its first
    /// real run: a call with a slice end of 0 returns at once without touching the hart or its registers.
    /// </summary>
    public static unsafe void Prepare(BlockCode code) => code(null!, null, 0, 0, 0);

    /// <summary>
    /// Whether blocks alone inline their memory accesses as regions do: yes unless REWIND_JIT_INLINE=0.
    /// Called accesses halve the runtime's JIT time per block, but on a quiet 2-core machine the inlined
    /// ones won in wall time (bench/disk.sh: 27.8 against 25.7 MB/s at the same threshold), the compile
    /// being on the other core.
    /// </summary>
    public static readonly bool InlineAccesses = Environment.GetEnvironmentVariable("REWIND_JIT_INLINE") != "0";

    /// <summary>True for the operations a block may contain.</summary>
    public static bool Supports(Op op) =>
        op is (>= Op.Lui and <= Op.Sraw) or Op.Fence or Op.FenceI or (>= Op.Mul and <= Op.Remuw) || RunsThroughInterpreter(op);

    /// <summary>
    /// True for the operations a block runs by calling the interpreter's own code for them (<see cref="Hart.JitSystem"/>):
    /// CSR accesses, atomics and floating point. They are common in kernels and rarely hot, so exactness
    /// is bought with a call instead of new code; what they change decides whether the block goes on.
    /// Jumps to and from privileged code (ecall, ebreak, xret), WFI and sfence.vma still end a block.
    /// </summary>
    public static bool RunsThroughInterpreter(Op op) =>
        op is (>= Op.LrW and <= Op.AmoMaxuD) or (>= Op.Csrrw and <= Op.Csrrci) or > Op.FirstFloat;

    /// <summary>True for the operations that end a block (they decide the next pc).</summary>
    public static bool EndsBlock(Op op) => op is >= Op.Jal and <= Op.Bgeu;

    public static unsafe BlockCode Compile(Region region)
    {
        var method = new DynamicMethod("rv64_region", typeof(ulong),
            [typeof(Hart), typeof(ulong*), typeof(ulong), typeof(ulong), typeof(ulong)], typeof(Hart), skipVisibility: true);
        new Emitter(method.GetILGenerator(), region).Emit();
        return (BlockCode)method.CreateDelegate(typeof(BlockCode));
    }

    private sealed class Emitter
    {
        private readonly ILGenerator _il;
        private readonly Region _region;
        private readonly Dictionary<int, (Label Label, int Length)> _starts = [];
        private readonly LocalBuilder?[] _regs = new LocalBuilder?[32];
        private readonly LocalBuilder _steps, _value, _next, _count;
        private readonly Label _exit;
        private readonly List<(Label Label, int Index, int NextOffset, int Rd)> _memoryExits = [];
        // The block being emitted: its instruction count (the steps when it is left at its end).
        private int _length;

        public Emitter(ILGenerator il, Region region)
        {
            _il = il;
            _region = region;
            _steps = il.DeclareLocal(typeof(int));
            _value = il.DeclareLocal(typeof(ulong));
            _next = il.DeclareLocal(typeof(ulong));
            _count = il.DeclareLocal(typeof(ulong));
            _exit = il.DefineLabel();
            // Offsets are from the entry's pc (the second argument), which the body is compiled for.
            foreach (var b in region.Blocks)
                _starts[b.Start - region.Entry] = (il.DefineLabel(), b.Insns.Length);
        }

        public void Emit()
        {
            // A slice end of 0 is Prepare's call: nothing to run.
            var run = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_S, (byte)4);
            _il.Emit(OpCodes.Brtrue, run);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Ret);
            _il.MarkLabel(run);

            // Every register the region reads or writes is loaded on entry, so that every exit can write
            // them all back: one not yet written by then still holds the value it had on entry.
            foreach (var b in _region.Blocks)
            {
                foreach (var d in b.Insns)
                {
                    Use(d.Rs1);
                    Use(d.Rs2);
                    Use(d.Rd);
                }
            }
            for (int r = 1; r < 32; r++)
            {
                if (_regs[r] == null) continue;
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldc_I4, r * 8);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldind_I8);
                _il.Emit(OpCodes.Stloc, _regs[r]!);
            }
            // The count at the start of the block running now (the entry's, to begin with).
            _il.Emit(OpCodes.Ldarg_3);
            _il.Emit(OpCodes.Stloc, _count);

            foreach (var b in _region.Blocks)
            {
                int offset = b.Start - _region.Entry;
                _il.MarkLabel(_starts[offset].Label);
                _length = b.Insns.Length;
                bool ended = false;
                for (int k = 0; k < b.Insns.Length; k++)
                {
                    ref DecodedInsn d = ref b.Insns[k];
                    ended = Instruction(ref d, k, offset);
                    offset += d.Length;
                }
                // A block cut short (by its length, or before an instruction left to the interpreter) goes on at its end.
                if (!ended) Goto(offset);
            }

            // An access that set the hart's exit reason: the instruction counts as one step either way
            // (retired, or its trap entered). A trap already moved the pc to the handler; otherwise the
            // access completed and the run continues after it, in the interpreter.
            foreach (var (label, index, nextOffset, rd) in _memoryExits)
            {
                _il.MarkLabel(label);
                _il.Emit(OpCodes.Ldc_I4, index + 1);
                _il.Emit(OpCodes.Stloc, _steps);
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Ldfld, ExitField);
                _il.Emit(OpCodes.Ldc_I4, Hart.JitTrapped);
                _il.Emit(OpCodes.Beq, _exit);
                if (rd is > 0 and < 32)
                {
                    _il.Emit(OpCodes.Ldloc, _value);
                    _il.Emit(OpCodes.Stloc, _regs[rd]!);
                }
                SetPc(nextOffset);
                _il.Emit(OpCodes.Br, _exit);
            }

            _il.MarkLabel(_exit);
            for (int r = 1; r < 32; r++)
            {
                if (_regs[r] == null) continue;
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldc_I4, r * 8);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldloc, _regs[r]!);
                _il.Emit(OpCodes.Stind_I8);
            }
            // Steps: the blocks run before this one, plus this one's.
            _il.Emit(OpCodes.Ldloc, _count);
            _il.Emit(OpCodes.Ldarg_3);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Ldloc, _steps);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ret);
        }

        /// <summary>
        /// Leaves the block being emitted, all of it run, for the instruction at <paramref name="target"/>
        /// bytes from the entry: inside the region if a block starts there and the slice has room for all
        /// of it after this one, otherwise out of the body with the pc set there.
        /// </summary>
        private void Goto(long target)
        {
            var leave = _il.DefineLabel();
            if (_starts.TryGetValue((int)target, out var to))
            {
                // This block ends at count + length; the next would end at count + length + its length.
                _il.Emit(OpCodes.Ldloc, _count);
                Const(_length + to.Length);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldarg_S, (byte)4);
                _il.Emit(OpCodes.Bgt_Un, leave);
                _il.Emit(OpCodes.Ldloc, _count);
                Const(_length);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stloc, _count);
                _il.Emit(OpCodes.Br, to.Label);
            }
            _il.MarkLabel(leave);
            SetPc(target);
            _il.Emit(OpCodes.Ldc_I4, _length);
            _il.Emit(OpCodes.Stloc, _steps);
            _il.Emit(OpCodes.Br, _exit);
        }

        private void Use(int r)
        {
            if (r is > 0 and < 32) _regs[r] ??= _il.DeclareLocal(typeof(ulong));
        }

        /// <summary>Emits one instruction at byte <paramref name="o"/> of the block; true if it set the next pc.</summary>
        private bool Instruction(ref DecodedInsn d, int k, int o)
        {
            var il = _il;
            int next = o + d.Length;
            switch (d.Op)
            {
                case Op.Lui: Const(d.Imm); Store(d.Rd); return false;
                case Op.Auipc: PcPlus(o + (long)d.Imm); Store(d.Rd); return false;
                case Op.Jal:
                    PcPlus(next);
                    Store(d.Rd);
                    Goto(o + (long)d.Imm);
                    return true;
                case Op.Jalr:
                    // The target first: rd may be rs1.
                    Load(d.Rs1);
                    Const(d.Imm);
                    il.Emit(OpCodes.Add);
                    Const(~1L);
                    il.Emit(OpCodes.And);
                    il.Emit(OpCodes.Stloc, _next);
                    PcPlus(next);
                    Store(d.Rd);
                    // A return (or any indirect jump) to one of the region's blocks stays inside.
                    foreach (int start in _starts.Keys)
                    {
                        var other = il.DefineLabel();
                        il.Emit(OpCodes.Ldloc, _next);
                        PcPlus(start);
                        il.Emit(OpCodes.Bne_Un, other);
                        Goto(start);
                        il.MarkLabel(other);
                    }
                    SetPcFromNext();
                    il.Emit(OpCodes.Ldc_I4, _length);
                    il.Emit(OpCodes.Stloc, _steps);
                    il.Emit(OpCodes.Br, _exit);
                    return true;
                case >= Op.Beq and <= Op.Bgeu:
                    {
                        var taken = il.DefineLabel();
                        Load(d.Rs1);
                        Load(d.Rs2);
                        il.Emit(d.Op switch
                        {
                            Op.Beq => OpCodes.Beq,
                            Op.Bne => OpCodes.Bne_Un,
                            Op.Blt => OpCodes.Blt,
                            Op.Bge => OpCodes.Bge,
                            Op.Bltu => OpCodes.Blt_Un,
                            _ => OpCodes.Bge_Un,
                        }, taken);
                        Goto(next);
                        il.MarkLabel(taken);
                        Goto(o + (long)d.Imm);
                        return true;
                    }

                case >= Op.Lb and <= Op.Lwu:
                    {
                        il.Emit(OpCodes.Ldarg_0);
                        Address(ref d);
                        PcPlus(o);
                        Count(k);
                        il.Emit(OpCodes.Call, Access(d.Op switch
                        {
                            Op.Lb or Op.Lbu => nameof(Hart.JitLoad8),
                            Op.Lh or Op.Lhu => nameof(Hart.JitLoad16),
                            Op.Lw or Op.Lwu => nameof(Hart.JitLoad32),
                            _ => nameof(Hart.JitLoad64),
                        }));
                        switch (d.Op)
                        {
                            case Op.Lb: il.Emit(OpCodes.Conv_I1); il.Emit(OpCodes.Conv_I8); break;
                            case Op.Lh: il.Emit(OpCodes.Conv_I2); il.Emit(OpCodes.Conv_I8); break;
                            case Op.Lw: il.Emit(OpCodes.Conv_I4); il.Emit(OpCodes.Conv_I8); break;
                        }
                        il.Emit(OpCodes.Stloc, _value);
                        CheckExit(k, next, d.Rd);
                        il.Emit(OpCodes.Ldloc, _value);
                        Store(d.Rd);
                        return false;
                    }
                case >= Op.Sb and <= Op.Sd:
                    il.Emit(OpCodes.Ldarg_0);
                    Address(ref d);
                    Load(d.Rs2);
                    PcPlus(o);
                    Count(k);
                    il.Emit(OpCodes.Call, Access(d.Op switch
                    {
                        Op.Sb => nameof(Hart.JitStore8),
                        Op.Sh => nameof(Hart.JitStore16),
                        Op.Sw => nameof(Hart.JitStore32),
                        _ => nameof(Hart.JitStore64),
                    }));
                    CheckExit(k, next, 0);
                    return false;

                case Op.Addi: BinaryImm(d.Rs1, d.Imm, OpCodes.Add, d.Rd); return false;
                case Op.Slti: CompareImm(d.Rs1, d.Imm, OpCodes.Clt, d.Rd); return false;
                case Op.Sltiu: CompareImm(d.Rs1, d.Imm, OpCodes.Clt_Un, d.Rd); return false;
                case Op.Xori: BinaryImm(d.Rs1, d.Imm, OpCodes.Xor, d.Rd); return false;
                case Op.Ori: BinaryImm(d.Rs1, d.Imm, OpCodes.Or, d.Rd); return false;
                case Op.Andi: BinaryImm(d.Rs1, d.Imm, OpCodes.And, d.Rd); return false;
                case Op.Slli: ShiftImm(d.Rs1, d.Imm, OpCodes.Shl, d.Rd); return false;
                case Op.Srli: ShiftImm(d.Rs1, d.Imm, OpCodes.Shr_Un, d.Rd); return false;
                case Op.Srai: ShiftImm(d.Rs1, d.Imm, OpCodes.Shr, d.Rd); return false;
                case Op.Add: Binary(d.Rs1, d.Rs2, OpCodes.Add, d.Rd); return false;
                case Op.Sub: Binary(d.Rs1, d.Rs2, OpCodes.Sub, d.Rd); return false;
                case Op.Xor: Binary(d.Rs1, d.Rs2, OpCodes.Xor, d.Rd); return false;
                case Op.Or: Binary(d.Rs1, d.Rs2, OpCodes.Or, d.Rd); return false;
                case Op.And: Binary(d.Rs1, d.Rs2, OpCodes.And, d.Rd); return false;
                case Op.Slt: Compare(d.Rs1, d.Rs2, OpCodes.Clt, d.Rd); return false;
                case Op.Sltu: Compare(d.Rs1, d.Rs2, OpCodes.Clt_Un, d.Rd); return false;
                case Op.Sll: Shift(d.Rs1, d.Rs2, OpCodes.Shl, 63, null, d.Rd); return false;
                case Op.Srl: Shift(d.Rs1, d.Rs2, OpCodes.Shr_Un, 63, null, d.Rd); return false;
                case Op.Sra: Shift(d.Rs1, d.Rs2, OpCodes.Shr, 63, null, d.Rd); return false;

                case Op.Addiw: BinaryImm(d.Rs1, d.Imm, OpCodes.Add, d.Rd, word: true); return false;
                case Op.Slliw: Word(d.Rs1, OpCodes.Conv_U4, d.Imm, OpCodes.Shl, d.Rd); return false;
                case Op.Srliw: Word(d.Rs1, OpCodes.Conv_U4, d.Imm, OpCodes.Shr_Un, d.Rd); return false;
                case Op.Sraiw: Word(d.Rs1, OpCodes.Conv_I4, d.Imm, OpCodes.Shr, d.Rd); return false;
                case Op.Addw: Binary(d.Rs1, d.Rs2, OpCodes.Add, d.Rd, word: true); return false;
                case Op.Subw: Binary(d.Rs1, d.Rs2, OpCodes.Sub, d.Rd, word: true); return false;
                case Op.Sllw: Shift(d.Rs1, d.Rs2, OpCodes.Shl, 31, OpCodes.Conv_U4, d.Rd); return false;
                case Op.Srlw: Shift(d.Rs1, d.Rs2, OpCodes.Shr_Un, 31, OpCodes.Conv_U4, d.Rd); return false;
                case Op.Sraw: Shift(d.Rs1, d.Rs2, OpCodes.Shr, 31, OpCodes.Conv_I4, d.Rd); return false;

                case Op.Mul: Binary(d.Rs1, d.Rs2, OpCodes.Mul, d.Rd); return false;
                case Op.Mulw:
                    Load(d.Rs1);
                    il.Emit(OpCodes.Conv_U4);
                    Load(d.Rs2);
                    il.Emit(OpCodes.Conv_U4);
                    il.Emit(OpCodes.Mul);
                    il.Emit(OpCodes.Conv_I8);
                    Store(d.Rd);
                    return false;
                case >= Op.Mulh and <= Op.Remuw:
                    Load(d.Rs1);
                    Load(d.Rs2);
                    il.Emit(OpCodes.Call, Helper(d.Op switch
                    {
                        Op.Mulh => nameof(Hart.JitMulh),
                        Op.Mulhsu => nameof(Hart.JitMulhsu),
                        Op.Mulhu => nameof(Hart.JitMulhu),
                        Op.Div => nameof(Hart.JitDiv),
                        Op.Divu => nameof(Hart.JitDivu),
                        Op.Rem => nameof(Hart.JitRem),
                        Op.Remu => nameof(Hart.JitRemu),
                        Op.Divw => nameof(Hart.JitDivw),
                        Op.Divuw => nameof(Hart.JitDivuw),
                        Op.Remw => nameof(Hart.JitRemw),
                        _ => nameof(Hart.JitRemuw),
                    }));
                    Store(d.Rd);
                    return false;

                case var op when RunsThroughInterpreter(op):
                    ThroughInterpreter(ref d, k, o);
                    return false;

                case Op.Fence:
                case Op.FenceI:
                    // As in the interpreter: stores already invalidate the code they overwrite.
                    return false;
                default:
                    throw new InvalidOperationException($"the block compiler cannot translate {d.Op}");
            }
        }

        /// <summary>
        /// Calls <see cref="Hart.JitSystem"/> for the instruction at byte <paramref name="o"/>: the registers
        /// it may read are written back first (and its destination, so that reloading that afterwards is right
        /// whether it wrote it or not, or trapped); for a floating-point instruction some of these name
        /// f registers, and writing back the x registers of the same numbers does no harm.
        /// </summary>
        private void ThroughInterpreter(ref DecodedInsn d, int k, int o)
        {
            var il = _il;
            foreach (int r in new[] { d.Rs1, d.Rs2, d.Rd }.Distinct())
            {
                if (r is <= 0 or >= 32) continue;
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, r * 8);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldloc, _regs[r]!);
                il.Emit(OpCodes.Stind_I8);
            }
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldc_I4, (int)d.Op);
            il.Emit(OpCodes.Ldc_I4, (int)d.Rd);
            il.Emit(OpCodes.Ldc_I4, (int)d.Rs1);
            il.Emit(OpCodes.Ldc_I4, (int)d.Rs2);
            il.Emit(OpCodes.Ldc_I4, (int)d.Aux);
            il.Emit(OpCodes.Ldc_I4, d.Imm);
            il.Emit(OpCodes.Ldc_I4, (int)d.Length);
            PcPlus(o);
            Count(k);
            il.Emit(OpCodes.Call, Helper(nameof(Hart.JitSystem)));
            if (d.Rd is > 0 and < 32)
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, d.Rd * 8);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldind_I8);
                il.Emit(OpCodes.Stloc, _regs[d.Rd]!);
            }
            CheckExit(k, o + d.Length, 0);
        }

        /// <summary>
        /// A memory access method: inlined in a region, called from a block alone (see <see cref="InlineAccesses"/>).
        /// </summary>
        private MethodInfo Access(string name) =>
            Helper(_region.Whole || InlineAccesses ? name : name.Replace("Jit", "JitCall", StringComparison.Ordinal));

        private void Load(int r)
        {
            if (r == 0) Const(0);
            else _il.Emit(OpCodes.Ldloc, _regs[r]!);
        }

        private void Store(int rd)
        {
            if (rd is > 0 and < 32) _il.Emit(OpCodes.Stloc, _regs[rd]!);
            else _il.Emit(OpCodes.Pop);
        }

        private void Const(long v) => _il.Emit(OpCodes.Ldc_I8, v);

        /// <summary>Pushes the block's pc plus <paramref name="offset"/>.</summary>
        private void PcPlus(long offset)
        {
            _il.Emit(OpCodes.Ldarg_2);
            if (offset == 0) return;
            Const(offset);
            _il.Emit(OpCodes.Add);
        }

        /// <summary>Pushes the hart's count before instruction <paramref name="k"/> of this round.</summary>
        private void Count(int k)
        {
            _il.Emit(OpCodes.Ldloc, _count);
            if (k == 0) return;
            Const(k);
            _il.Emit(OpCodes.Add);
        }

        private void SetPc(long offset)
        {
            _il.Emit(OpCodes.Ldarg_0);
            PcPlus(offset);
            _il.Emit(OpCodes.Stfld, PcField);
        }

        private void SetPcFromNext()
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldloc, _next);
            _il.Emit(OpCodes.Stfld, PcField);
        }

        private void Address(ref DecodedInsn d)
        {
            Load(d.Rs1);
            if (d.Imm == 0) return;
            Const(d.Imm);
            _il.Emit(OpCodes.Add);
        }

        private void CheckExit(int k, int nextOffset, int rd)
        {
            var label = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, ExitField);
            _il.Emit(OpCodes.Brtrue, label);
            _memoryExits.Add((label, k, nextOffset, rd));
        }

        private void BinaryImm(int rs1, long imm, OpCode op, int rd, bool word = false)
        {
            Load(rs1);
            Const(imm);
            _il.Emit(op);
            if (word) SignExtendWord();
            Store(rd);
        }

        private void Binary(int rs1, int rs2, OpCode op, int rd, bool word = false)
        {
            Load(rs1);
            Load(rs2);
            _il.Emit(op);
            if (word) SignExtendWord();
            Store(rd);
        }

        private void CompareImm(int rs1, long imm, OpCode op, int rd)
        {
            Load(rs1);
            Const(imm);
            _il.Emit(op);
            _il.Emit(OpCodes.Conv_U8);
            Store(rd);
        }

        private void Compare(int rs1, int rs2, OpCode op, int rd)
        {
            Load(rs1);
            Load(rs2);
            _il.Emit(op);
            _il.Emit(OpCodes.Conv_U8);
            Store(rd);
        }

        private void ShiftImm(int rs1, long amount, OpCode op, int rd)
        {
            Load(rs1);
            _il.Emit(OpCodes.Ldc_I4, (int)amount);
            _il.Emit(op);
            Store(rd);
        }

        /// <summary>A shift by rs2's low bits; for the 32-bit forms, <paramref name="narrow"/> first takes rs1's low word.</summary>
        private void Shift(int rs1, int rs2, OpCode op, int mask, OpCode? narrow, int rd)
        {
            Load(rs1);
            if (narrow is { } n) _il.Emit(n);
            Load(rs2);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4, mask);
            _il.Emit(OpCodes.And);
            _il.Emit(op);
            if (narrow != null) _il.Emit(OpCodes.Conv_I8);
            Store(rd);
        }

        /// <summary>A 32-bit shift by an immediate on rs1's low word, sign-extended.</summary>
        private void Word(int rs1, OpCode narrow, long amount, OpCode op, int rd)
        {
            Load(rs1);
            _il.Emit(narrow);
            _il.Emit(OpCodes.Ldc_I4, (int)amount);
            _il.Emit(op);
            _il.Emit(OpCodes.Conv_I8);
            Store(rd);
        }

        private void SignExtendWord()
        {
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Conv_I8);
        }
    }
}
