using System.Reflection;
using System.Reflection.Emit;
using Rewind.Arm64.Decode;

namespace Rewind.Arm64.Jit;

/// <summary>
/// Translates an <see cref="ArmRegion"/> into IL for the runtime's JIT, one method per region. The guest's
/// general registers the region names, the stack pointer and NZCV live in IL locals, loaded on entry and
/// written back at every exit, so the runtime keeps them in host registers; each instruction is the
/// interpreter's computation for its kind with the decoded fields as constants (<see cref="ArmJitOps"/>).
/// <para>
/// Exactness: a jump from one of the region's blocks to another is an IL branch taken only when the slice
/// has room for the whole next block, so every stop falls on the count the interpreter would stop at.
/// Loads and stores are served inline when the interpreter's fast path would serve them (untranslated RAM,
/// or a data TLB hit); anything else (a miss, a device, a fault, a watchpoint) leaves the region before the
/// instruction, which the interpreter then runs. A store that rewrote compiled code leaves right after it.
/// </para>
/// </summary>
internal static class ArmBlockCompiler
{
    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
    private static readonly FieldInfo PcField = typeof(Arm64Cpu).GetField(nameof(Arm64Cpu.Pc), Any)!;
    private static readonly FieldInfo NzcvField = typeof(Arm64Cpu).GetField("_nzcv", Any)!;
    private static readonly FieldInfo RamField = typeof(Arm64Cpu).GetField("_ramPtr", Any)!;
    private static readonly FieldInfo RamBaseField = typeof(Arm64Cpu).GetField("_ramBase", Any)!;
    private static readonly FieldInfo FastLimitField = typeof(Arm64Cpu).GetField("_fastAccessLimit", Any)!;
    private static readonly FieldInfo PageFlagsField = typeof(Arm64Cpu).GetField("_pageFlags", Any)!;
    private static readonly MethodInfo GetSp = typeof(Arm64Cpu).GetProperty(nameof(Arm64Cpu.Sp))!.GetMethod!;
    private static readonly MethodInfo SetSp = typeof(Arm64Cpu).GetProperty(nameof(Arm64Cpu.Sp))!.SetMethod!;
    private static readonly MethodInfo ReadOffset = typeof(Arm64Cpu).GetMethod("JitTlbReadOffset", Any)!;
    private static readonly MethodInfo WriteOffset = typeof(Arm64Cpu).GetMethod("JitTlbWriteOffset", Any)!;
    private static readonly MethodInfo WroteSlow = typeof(Arm64Cpu).GetMethod("JitWroteSlow", Any)!;

    private static readonly Dictionary<string, MethodInfo> Ops = typeof(ArmJitOps).GetMethods(Any)
        .Where(m => m.DeclaringType == typeof(ArmJitOps)).GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First());

    /// <summary>
    /// Has the runtime compile <paramref name="code"/> now, on the calling thread, rather than at its first
    /// real run: a call with a slice end of 0 returns at once, touching nothing.
    /// </summary>
    public static unsafe void Prepare(ArmBlockCode code) => code(null!, null, 0, 0, 0);

    public static unsafe ArmBlockCode Compile(ArmRegion region)
    {
        // A first parameter the delegate is closed over (null): a delegate to a static method closed over its
        // first argument is called as an instance method is, without the argument-shuffling thunk an open
        // static delegate goes through on every call (millions of region runs in a boot).
        var method = new DynamicMethod("a64_region", typeof(ulong),
            [typeof(object), typeof(Arm64Cpu), typeof(ulong*), typeof(ulong), typeof(ulong), typeof(ulong)], typeof(Arm64Cpu), skipVisibility: true)
        {
            // Every local is written before it is read: zeroing them all on each call is wasted work.
            InitLocals = false,
        };
        new Emitter(method.GetILGenerator(), region).Emit();
        return (ArmBlockCode)method.CreateDelegate(typeof(ArmBlockCode), null);
    }

    private sealed class Emitter
    {
        private readonly ILGenerator _il;
        private readonly ArmRegion _region;
        private readonly Dictionary<int, Label> _starts = [];
        private readonly LocalBuilder?[] _regs = new LocalBuilder?[31];
        private LocalBuilder? _sp;
        // Registers (and SP) some instruction of the region writes: only they are written back at the exit.
        private readonly bool[] _written = new bool[31];
        private bool _spWritten;
        // The RAM fast path's constants, loaded once: nothing a region runs can change them.
        private readonly LocalBuilder _ramBase, _fastLimit, _pageFlags;
        // Pending flags: the operands of the last flag setter and, where not known while compiling, its kind.
        private readonly LocalBuilder _fa, _fb, _fkind;
        // The kind while compiling (ArmJitOps.Flags*): null at a block's start, reached from anywhere.
        private int? _known;
        private readonly LocalBuilder _nzcv, _ram, _count, _steps, _nextPc, _address, _offset, _offset2, _a, _b;
        private readonly Label _exit;
        private ArmRegionBlock _block = null!;

        public Emitter(ILGenerator il, ArmRegion region)
        {
            _il = il;
            _region = region;
            _nzcv = il.DeclareLocal(typeof(uint));
            _fa = il.DeclareLocal(typeof(ulong));
            _fb = il.DeclareLocal(typeof(ulong));
            _fkind = il.DeclareLocal(typeof(int));
            _ram = il.DeclareLocal(typeof(byte*));
            _ramBase = il.DeclareLocal(typeof(ulong));
            _fastLimit = il.DeclareLocal(typeof(ulong));
            _pageFlags = il.DeclareLocal(typeof(byte*));
            _count = il.DeclareLocal(typeof(ulong));
            _steps = il.DeclareLocal(typeof(ulong));
            _nextPc = il.DeclareLocal(typeof(ulong));
            _address = il.DeclareLocal(typeof(ulong));
            _offset = il.DeclareLocal(typeof(ulong));
            _offset2 = il.DeclareLocal(typeof(ulong));
            _a = il.DeclareLocal(typeof(ulong));
            _b = il.DeclareLocal(typeof(ulong));
            _exit = il.DefineLabel();
            foreach (var b in region.Blocks) _starts[b.Start] = il.DefineLabel();
        }

        public void Emit()
        {
            // A slice end of 0 is Prepare's call: nothing to run (the cpu may be null).
            var run = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_S, (byte)5);
            _il.Emit(OpCodes.Brtrue, run);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Ret);
            _il.MarkLabel(run);

            // Every register the region names is loaded on entry, so every exit can write them all back.
            foreach (var b in _region.Blocks)
            {
                foreach (var d in b.Ops) Name(d);
            }
            for (int r = 0; r < 31; r++)
            {
                if (_regs[r] == null) continue;
                _il.Emit(OpCodes.Ldarg_2);
                _il.Emit(OpCodes.Ldc_I4, r * 8);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldind_I8);
                _il.Emit(OpCodes.Stloc, _regs[r]!);
            }
            if (_sp != null)
            {
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Call, GetSp);
                _il.Emit(OpCodes.Stloc, _sp);
            }
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, NzcvField);
            _il.Emit(OpCodes.Stloc, _nzcv);
            foreach (var (field, local) in new[] { (RamField, _ram), (RamBaseField, _ramBase), (FastLimitField, _fastLimit), (PageFlagsField, _pageFlags) })
            {
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldfld, field);
                _il.Emit(OpCodes.Stloc, local);
            }
            _il.Emit(OpCodes.Ldarg_S, (byte)4);
            _il.Emit(OpCodes.Stloc, _count);
            // The flags come in ready, in _nzcv.
            Const(ArmJitOps.FlagsReady);
            _il.Emit(OpCodes.Stloc, _fkind);
            Const(0UL);
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Stloc, _fa);
            _il.Emit(OpCodes.Stloc, _fb);

            foreach (var b in _region.Blocks)
            {
                _block = b;
                _known = null;
                _il.MarkLabel(_starts[b.Start]);
                for (int k = 0; k < b.Ops.Length; k++) Instruction(b.Ops[k], k, b.Start + 4 * k);
                if (!b.EndsInBranch) Goto(b.End);
            }

            _il.MarkLabel(_exit);
            for (int r = 0; r < 31; r++)
            {
                if (!_written[r]) continue;
                _il.Emit(OpCodes.Ldarg_2);
                _il.Emit(OpCodes.Ldc_I4, r * 8);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldloc, _regs[r]!);
                _il.Emit(OpCodes.Stind_I8);
            }
            if (_spWritten)
            {
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldloc, _sp!);
                _il.Emit(OpCodes.Call, SetSp);
            }
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _nzcv);
            _il.Emit(OpCodes.Stfld, NzcvField);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _nextPc);
            _il.Emit(OpCodes.Stfld, PcField);
            // Steps: the blocks finished before this one, plus this one's.
            _il.Emit(OpCodes.Ldloc, _count);
            _il.Emit(OpCodes.Ldarg_S, (byte)4);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Ldloc, _steps);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ret);
        }

        private void Name(A64Op d)
        {
            foreach (int r in new[] { (int)d.Rd, d.Rn, d.Rm, d.Ra })
            {
                if (r < 31) _regs[r] ??= _il.DeclareLocal(typeof(ulong));
            }
            if (d.Kind is A64Kind.Bl or A64Kind.Blr) _regs[30] ??= _il.DeclareLocal(typeof(ulong));
            bool usesSp = d.Kind switch
            {
                A64Kind.AddImmSp => true,
                A64Kind.AddExt => d.Rn == 31 || d.Rd == 31,
                >= A64Kind.LdrImm and <= A64Kind.Stp => d.Rn == 31,
                _ => false,
            };
            if (usesSp) _sp ??= _il.DeclareLocal(typeof(ulong));
        }

        // ---- Operands ----

        /// <summary>Pushes general register r (31 reads as zero; 32, the zero register's sink, too).</summary>
        private void Ld(int r)
        {
            if (r >= 31) _il.Emit(OpCodes.Ldc_I8, 0L);
            else _il.Emit(OpCodes.Ldloc, _regs[r]!);
        }

        /// <summary>Pops into general register r (31 and 32 discard).</summary>
        private void St(int r)
        {
            if (r >= 31)
            {
                _il.Emit(OpCodes.Pop);
                return;
            }
            _il.Emit(OpCodes.Stloc, _regs[r]!);
            _written[r] = true;
        }

        /// <summary>Pushes the base register of an access: SP for 31.</summary>
        private void LdBase(int r)
        {
            if (r == 31) _il.Emit(OpCodes.Ldloc, _sp!);
            else Ld(r);
        }

        private void StBase(int r)
        {
            if (r == 31) StSp();
            else St(r);
        }

        private void StSp()
        {
            _il.Emit(OpCodes.Stloc, _sp!);
            _spWritten = true;
        }

        private void Const(ulong v) => _il.Emit(OpCodes.Ldc_I8, (long)v);

        private void Const(int v) => _il.Emit(OpCodes.Ldc_I4, v);

        private void Bool(bool v) => _il.Emit(v ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);

        /// <summary>Trims the value on the stack to 32 bits for a 32-bit operation.</summary>
        private void Trim(in A64Op d)
        {
            if (d.MaskShift == 0) return;
            _il.Emit(OpCodes.Conv_U4);
            _il.Emit(OpCodes.Conv_U8);
        }

        private void Call(string name) => _il.Emit(OpCodes.Call, Ops[name]);

        private static bool Sf(in A64Op d) => d.MaskShift == 0;

        /// <summary>Pushes pc + delta, the address of an instruction of the region (its pc is the second argument).</summary>
        private void PcPlus(long offsetInPage, long delta = 0)
        {
            _il.Emit(OpCodes.Ldarg_3);
            _il.Emit(OpCodes.Ldc_I8, offsetInPage - _region.Entry + delta);
            _il.Emit(OpCodes.Add);
        }

        /// <summary>Pushes the shifted-register second operand.</summary>
        private void Operand2(in A64Op d)
        {
            Ld(d.Rm);
            Const((int)d.Shift);
            Const(d.Imm);
            Bool(Sf(d));
            Const((ulong)(long)(sbyte)d.SignFill);
            Call(nameof(ArmJitOps.Operand2));
        }

        private void Extended(in A64Op d)
        {
            Ld(d.Rm);
            Const((int)d.Ra);
            Bool(d.Aux2 != 0);
            Const((int)d.Shift);
            Call(nameof(ArmJitOps.Extended));
        }

        // ---- Leaving ----

        /// <summary>Leaves with the next pc on the stack and <paramref name="steps"/> of this block run.</summary>
        private void ExitWith(int steps)
        {
            _il.Emit(OpCodes.Stloc, _nextPc);
            MaterializeForExit();
            Const((ulong)steps);
            _il.Emit(OpCodes.Stloc, _steps);
            _il.Emit(OpCodes.Br, _exit);
        }

        /// <summary>
        /// Ends the block being emitted, all of it run, going on at byte <paramref name="target"/> of the page:
        /// inside the region if a block starts there and the slice has room for all of it, else out with pc set.
        /// </summary>
        private void Goto(long target)
        {
            _il.Emit(OpCodes.Ldloc, _count);
            Const((ulong)_block.Ops.Length);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _count);
            if (target >= 0 && target < 4096 && _starts.TryGetValue((int)target, out var label))
            {
                int length = _region.BlockAt((int)target)!.Ops.Length;
                var leave = _il.DefineLabel();
                _il.Emit(OpCodes.Ldloc, _count);
                Const((ulong)length);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldarg_S, (byte)5);
                _il.Emit(OpCodes.Bgt_Un, leave);
                // The next block does not know the flags' kind while compiling: it finds it in _fkind.
                if (_known is int kind)
                {
                    Const(kind);
                    _il.Emit(OpCodes.Stloc, _fkind);
                }
                _il.Emit(OpCodes.Br, label);
                _il.MarkLabel(leave);
            }
            PcPlus(target);
            ExitWith(0);
        }

        /// <summary>Leaves before instruction <paramref name="k"/> of the block: the interpreter runs it.</summary>
        private void Bail(int k, int at)
        {
            PcPlus(at);
            ExitWith(k);
        }

        // ---- Instructions ----

        private void Instruction(in A64Op d, int k, int at)
        {
            switch (d.Kind)
            {
                case A64Kind.Nop:
                    break;
                case A64Kind.Adr:
                    PcPlus(at, (long)d.Imm);
                    St(d.Rd);
                    break;
                case A64Kind.Adrp:
                    PcPlus(at);
                    Const(~0xfffUL);
                    _il.Emit(OpCodes.And);
                    Const(d.Imm);
                    _il.Emit(OpCodes.Add);
                    St(d.Rd);
                    break;
                case A64Kind.AddImm:
                    Ld(d.Rn);
                    Const(d.Imm);
                    _il.Emit(OpCodes.Add);
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.AddImmSp:
                    if ((d.Aux & 1) != 0) _il.Emit(OpCodes.Ldloc, _sp!);
                    else Ld(d.Rn);
                    Const(d.Imm);
                    _il.Emit(OpCodes.Add);
                    Trim(d);
                    if ((d.Aux & 2) != 0) StSp();
                    else St(d.Rd);
                    break;
                case A64Kind.AddsImm:
                    Ld(d.Rn);
                    _il.Emit(OpCodes.Stloc, _a);
                    Const(d.Imm);
                    _il.Emit(OpCodes.Stloc, _b);
                    AddSub(d, d.Aux != 0);
                    break;
                case A64Kind.AndImm:
                    Ld(d.Rn);
                    Const(d.Imm);
                    _il.Emit(OpCodes.And);
                    St(d.Rd);
                    break;
                case A64Kind.OrrImm:
                case A64Kind.EorImm:
                    Ld(d.Rn);
                    Const(d.Imm);
                    _il.Emit(d.Kind == A64Kind.OrrImm ? OpCodes.Or : OpCodes.Xor);
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.AndsImm:
                    Ld(d.Rn);
                    Const(d.Imm);
                    _il.Emit(OpCodes.And);
                    LogicalFlags(d);
                    break;
                case A64Kind.MovImm:
                    Const(d.Imm);
                    St(d.Rd);
                    break;
                case A64Kind.Movk:
                    Ld(d.Ra);
                    Const(d.Imm2);
                    _il.Emit(OpCodes.And);
                    Const(d.Imm);
                    _il.Emit(OpCodes.Or);
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.Ubfm:
                    Ld(d.Rn);
                    Const((int)d.Shift);
                    Const(d.Imm);
                    Const(d.Imm2);
                    Bool(Sf(d));
                    Call(nameof(ArmJitOps.Ubfm));
                    St(d.Rd);
                    break;
                case A64Kind.Ubfm64:
                    Ld(d.Rn);
                    Const((int)d.Shift);
                    Call(nameof(ArmJitOps.RotateRight));
                    Const(d.Imm);
                    _il.Emit(OpCodes.And);
                    St(d.Rd);
                    break;
                case A64Kind.Sbfm:
                    Ld(d.Rn);
                    Const((int)d.Shift);
                    Const(d.Imm);
                    Const(d.Imm2);
                    Const((int)d.Aux);
                    Bool(Sf(d));
                    Call(nameof(ArmJitOps.Sbfm));
                    St(d.Rd);
                    break;
                case A64Kind.Bfm:
                    Ld(d.Rn);
                    Ld(d.Ra);
                    Const((int)d.Shift);
                    Const(d.Imm);
                    Const(d.Imm2);
                    Bool(Sf(d));
                    Call(nameof(ArmJitOps.Bfm));
                    St(d.Rd);
                    break;
                case A64Kind.MovReg:
                    Ld(d.Rm);
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.AndReg:
                case A64Kind.OrrReg:
                case A64Kind.EorReg:
                case A64Kind.AndsReg:
                    Ld(d.Rn);
                    Operand2(d);
                    Const(d.Imm2);
                    _il.Emit(OpCodes.Xor);
                    _il.Emit(d.Kind switch { A64Kind.OrrReg => OpCodes.Or, A64Kind.EorReg => OpCodes.Xor, _ => OpCodes.And });
                    Trim(d);
                    if (d.Kind == A64Kind.AndsReg) LogicalFlags(d);
                    else St(d.Rd);
                    break;
                case A64Kind.AddReg:
                case A64Kind.SubReg:
                    Ld(d.Rn);
                    Operand2(d);
                    _il.Emit(d.Kind == A64Kind.AddReg ? OpCodes.Add : OpCodes.Sub);
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.AddsReg:
                    Ld(d.Rn);
                    _il.Emit(OpCodes.Stloc, _a);
                    Operand2(d);
                    _il.Emit(OpCodes.Stloc, _b);
                    AddSub(d, d.Aux != 0);
                    break;
                case A64Kind.AddLsl64:
                case A64Kind.AddLsr64:
                case A64Kind.SubLsl64:
                case A64Kind.SubLsr64:
                case A64Kind.AndLsl64:
                case A64Kind.AndLsr64:
                case A64Kind.OrrLsl64:
                case A64Kind.OrrLsr64:
                case A64Kind.EorLsl64:
                case A64Kind.EorLsr64:
                    {
                        bool left = d.Kind is A64Kind.AddLsl64 or A64Kind.SubLsl64 or A64Kind.AndLsl64 or A64Kind.OrrLsl64 or A64Kind.EorLsl64;
                        Ld(d.Rn);
                        Ld(d.Rm);
                        Const((int)d.Shift);
                        _il.Emit(left ? OpCodes.Shl : OpCodes.Shr_Un);
                        _il.Emit(d.Kind switch
                        {
                            A64Kind.AddLsl64 or A64Kind.AddLsr64 => OpCodes.Add,
                            A64Kind.SubLsl64 or A64Kind.SubLsr64 => OpCodes.Sub,
                            A64Kind.AndLsl64 or A64Kind.AndLsr64 => OpCodes.And,
                            A64Kind.OrrLsl64 or A64Kind.OrrLsr64 => OpCodes.Or,
                            _ => OpCodes.Xor,
                        });
                        St(d.Rd);
                        break;
                    }
                case A64Kind.AddExt:
                    if (d.Rn == 31) _il.Emit(OpCodes.Ldloc, _sp!);
                    else Ld(d.Rn);
                    Extended(d);
                    Const(d.Mask);
                    _il.Emit(OpCodes.And);
                    _il.Emit(d.Aux != 0 ? OpCodes.Sub : OpCodes.Add);
                    Trim(d);
                    if (d.Rd == 31) StSp();
                    else St(d.Rd);
                    break;
                case A64Kind.Madd:
                case A64Kind.Msub:
                    Ld(d.Ra);
                    Ld(d.Rn);
                    Ld(d.Rm);
                    _il.Emit(OpCodes.Mul);
                    _il.Emit(d.Kind == A64Kind.Madd ? OpCodes.Add : OpCodes.Sub);
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.Umulh:
                case A64Kind.Smulh:
                    Ld(d.Rn);
                    Ld(d.Rm);
                    Call(d.Kind == A64Kind.Umulh ? nameof(ArmJitOps.MultiplyHigh) : nameof(ArmJitOps.MultiplyHighSigned));
                    St(d.Rd);
                    break;
                case A64Kind.Udiv:
                    Ld(d.Rn);
                    Ld(d.Rm);
                    Const(d.Mask);
                    Call(nameof(ArmJitOps.Udiv));
                    St(d.Rd);
                    break;
                case A64Kind.ShiftVar:
                    Ld(d.Rn);
                    Ld(d.Rm);
                    Const((int)d.ShiftType);
                    Bool(Sf(d));
                    Call(nameof(ArmJitOps.ShiftVar));
                    Trim(d);
                    St(d.Rd);
                    break;
                case A64Kind.Csel:
                    Ld(d.Rn);
                    Ld(d.Rm);
                    Const((int)d.ShiftType);
                    Holds(d.Aux);
                    Const(d.Mask);
                    Call(nameof(ArmJitOps.Csel));
                    St(d.Rd);
                    break;
                case A64Kind.Ccmp:
                    Holds(d.Aux);
                    Ld(d.Rn);
                    if ((d.Aux2 & 1) != 0) Const((ulong)d.Rm);
                    else Ld(d.Rm);
                    Bool((d.Aux2 & 2) != 0);
                    Bool(Sf(d));
                    Const((int)(uint)d.Imm2);
                    Call(nameof(ArmJitOps.CcmpWith));
                    _il.Emit(OpCodes.Stloc, _nzcv);
                    _known = ArmJitOps.FlagsReady;
                    break;
                case A64Kind.B:
                    Goto(at + (long)d.Imm);
                    break;
                case A64Kind.Bl:
                    PcPlus(at, 4);
                    St(30);
                    Goto(at + (long)d.Imm);
                    break;
                case A64Kind.BCond:
                case A64Kind.Cbz:
                case A64Kind.Cbnz:
                case A64Kind.Tbz:
                case A64Kind.Tbnz:
                    {
                        // Pushes "taken", then branches on it.
                        switch (d.Kind)
                        {
                            case A64Kind.BCond:
                                Holds(d.Aux);
                                break;
                            case A64Kind.Cbz:
                            case A64Kind.Cbnz:
                                Ld(d.Rd);
                                Const(d.Mask);
                                _il.Emit(OpCodes.And);
                                Const(0UL);
                                _il.Emit(d.Kind == A64Kind.Cbz ? OpCodes.Ceq : OpCodes.Cgt_Un);
                                break;
                            default:
                                Ld(d.Rd);
                                Const((int)d.Shift);
                                _il.Emit(OpCodes.Shr_Un);
                                Const(1UL);
                                _il.Emit(OpCodes.And);
                                _il.Emit(OpCodes.Conv_I4);
                                if (d.Kind == A64Kind.Tbz)
                                {
                                    _il.Emit(OpCodes.Ldc_I4_0);
                                    _il.Emit(OpCodes.Ceq);
                                }
                                break;
                        }
                        var notTaken = _il.DefineLabel();
                        _il.Emit(OpCodes.Brfalse, notTaken);
                        Goto(at + (long)d.Imm);
                        _il.MarkLabel(notTaken);
                        Goto(at + 4);
                        break;
                    }
                case A64Kind.Br:
                case A64Kind.Blr:
                    Ld(d.Rn);
                    if (d.Kind == A64Kind.Blr)
                    {
                        // The target is read before x30 is written (BLR x30).
                        _il.Emit(OpCodes.Stloc, _a);
                        PcPlus(at, 4);
                        St(30);
                        _il.Emit(OpCodes.Ldloc, _a);
                    }
                    _il.Emit(OpCodes.Stloc, _nextPc);
                    MaterializeForExit();
                    _il.Emit(OpCodes.Ldloc, _count);
                    Const((ulong)_block.Ops.Length);
                    _il.Emit(OpCodes.Add);
                    _il.Emit(OpCodes.Stloc, _count);
                    Const(0UL);
                    _il.Emit(OpCodes.Stloc, _steps);
                    _il.Emit(OpCodes.Br, _exit);
                    break;
                case A64Kind.LdrImm:
                case A64Kind.Ldr64Imm:
                case A64Kind.LdrReg:
                case A64Kind.Ldr64Reg:
                case A64Kind.LdrPre:
                case A64Kind.LdrPost:
                case A64Kind.StrImm:
                case A64Kind.Str64Imm:
                case A64Kind.StrReg:
                case A64Kind.Str64Reg:
                case A64Kind.StrPre:
                case A64Kind.StrPost:
                    Access(d, k, at);
                    break;
                case A64Kind.Ldp:
                case A64Kind.Stp:
                    Pair(d, k, at);
                    break;
                default:
                    throw new InvalidOperationException($"A region cannot hold {d.Kind}.");
            }
        }

        /// <summary>Rd = a ± b from locals _a and _b, its flags left pending.</summary>
        private void AddSub(in A64Op d, bool sub)
        {
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Stloc, _fa);
            _il.Emit(OpCodes.Ldloc, _b);
            _il.Emit(OpCodes.Stloc, _fb);
            _known = sub ? (Sf(d) ? ArmJitOps.FlagsSub64 : ArmJitOps.FlagsSub32) : (Sf(d) ? ArmJitOps.FlagsAdd64 : ArmJitOps.FlagsAdd32);
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Ldloc, _b);
            _il.Emit(sub ? OpCodes.Sub : OpCodes.Add);
            Trim(d);
            St(d.Rd);
        }

        /// <summary>The logical result on the stack goes to Rd, its flags left pending.</summary>
        private void LogicalFlags(in A64Op d)
        {
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Stloc, _fa);
            _known = Sf(d) ? ArmJitOps.FlagsLogic64 : ArmJitOps.FlagsLogic32;
            St(d.Rd);
        }

        /// <summary>Makes _nzcv hold the flags, on a path that leaves (the kind known while compiling stays as it is).</summary>
        private void MaterializeForExit()
        {
            switch (_known)
            {
                case ArmJitOps.FlagsReady:
                    return;
                case int kind:
                    // A call, not inlined: exits are many and cold, and each inlined copy would cost the
                    // runtime's JIT time and the hot path code space.
                    Const(kind);
                    _il.Emit(OpCodes.Ldloc, _fa);
                    _il.Emit(OpCodes.Ldloc, _fb);
                    _il.Emit(OpCodes.Ldloc, _nzcv);
                    Call(nameof(ArmJitOps.Materialize));
                    break;
                default:
                    _il.Emit(OpCodes.Ldloc, _fkind);
                    _il.Emit(OpCodes.Ldloc, _fa);
                    _il.Emit(OpCodes.Ldloc, _fb);
                    _il.Emit(OpCodes.Ldloc, _nzcv);
                    Call(nameof(ArmJitOps.Materialize));
                    break;
            }
            _il.Emit(OpCodes.Stloc, _nzcv);
        }

        /// <summary>Pushes whether condition <paramref name="cond"/> holds: from the pending operands when their kind is known.</summary>
        private void Holds(int cond)
        {
            switch (_known)
            {
                case ArmJitOps.FlagsSub64 or ArmJitOps.FlagsSub32 or ArmJitOps.FlagsAdd64 or ArmJitOps.FlagsAdd32:
                    _il.Emit(OpCodes.Ldloc, _fa);
                    _il.Emit(OpCodes.Ldloc, _fb);
                    Const(cond);
                    Bool(_known is ArmJitOps.FlagsSub64 or ArmJitOps.FlagsAdd64);
                    Call(_known is ArmJitOps.FlagsSub64 or ArmJitOps.FlagsSub32 ? nameof(ArmJitOps.CondSub) : nameof(ArmJitOps.CondAdd));
                    return;
                case ArmJitOps.FlagsLogic64 or ArmJitOps.FlagsLogic32:
                    _il.Emit(OpCodes.Ldloc, _fa);
                    Const(cond);
                    Bool(_known == ArmJitOps.FlagsLogic64);
                    Call(nameof(ArmJitOps.CondLogic));
                    return;
                case null:
                    // Set in another block: made ready here, once for the rest of this block.
                    MaterializeForExit();
                    _known = ArmJitOps.FlagsReady;
                    break;
            }
            _il.Emit(OpCodes.Ldloc, _nzcv);
            Const(cond);
            Call(nameof(ArmJitOps.Holds));
        }

        /// <summary>
        /// Sets <paramref name="into"/> to the RAM offset of the address in _address (plus <paramref name="plus"/>) as
        /// the interpreter's fast path finds it: untranslated RAM below the fast limit, else a data TLB hit. Leaves
        /// (bails) before the instruction otherwise.
        /// </summary>
        private void Translate(LocalBuilder into, bool write, int k, int at, int plus = 0)
        {
            var hit = _il.DefineLabel();
            void Address()
            {
                _il.Emit(OpCodes.Ldloc, _address);
                if (plus == 0) return;
                Const((ulong)plus);
                _il.Emit(OpCodes.Add);
            }
            if (!_region.Translated)
            {
                Address();
                _il.Emit(OpCodes.Ldloc, _ramBase);
                _il.Emit(OpCodes.Sub);
                _il.Emit(OpCodes.Stloc, into);
                _il.Emit(OpCodes.Ldloc, into);
                _il.Emit(OpCodes.Ldloc, _fastLimit);
                _il.Emit(OpCodes.Blt_Un, hit);
            }
            _il.Emit(OpCodes.Ldarg_1);
            Address();
            _il.Emit(OpCodes.Call, write ? WriteOffset : ReadOffset);
            _il.Emit(OpCodes.Stloc, into);
            _il.Emit(OpCodes.Ldloc, into);
            Const(ulong.MaxValue);
            _il.Emit(OpCodes.Bne_Un, hit);
            Bail(k, at);
            _il.MarkLabel(hit);
        }

        private void HostAddress(LocalBuilder offset)
        {
            _il.Emit(OpCodes.Ldloc, _ram);
            _il.Emit(OpCodes.Ldloc, offset);
            _il.Emit(OpCodes.Conv_U);
            _il.Emit(OpCodes.Add);
        }

        private void LoadFrom(LocalBuilder offset, int size)
        {
            HostAddress(offset);
            switch (size)
            {
                case 1: _il.Emit(OpCodes.Ldind_U1); _il.Emit(OpCodes.Conv_U8); break;
                case 2: _il.Emit(OpCodes.Ldind_U2); _il.Emit(OpCodes.Conv_U8); break;
                case 4: _il.Emit(OpCodes.Ldind_U4); _il.Emit(OpCodes.Conv_U8); break;
                default: _il.Emit(OpCodes.Ldind_I8); break;
            }
        }

        /// <summary>Stores the value in local <paramref name="value"/>.</summary>
        private void StoreTo(LocalBuilder offset, int size, LocalBuilder value)
        {
            HostAddress(offset);
            _il.Emit(OpCodes.Ldloc, value);
            switch (size)
            {
                case 1: _il.Emit(OpCodes.Conv_U1); _il.Emit(OpCodes.Stind_I1); break;
                case 2: _il.Emit(OpCodes.Conv_U2); _il.Emit(OpCodes.Stind_I2); break;
                case 4: _il.Emit(OpCodes.Conv_U4); _il.Emit(OpCodes.Stind_I4); break;
                default: _il.Emit(OpCodes.Stind_I8); break;
            }
        }

        /// <summary>
        /// Reports a store at <paramref name="offset"/> (dirty pages, decoded code), going to <paramref name="changed"/>
        /// if it rewrote compiled code. Inline only the usual case: a page already dirty that holds no code.
        /// </summary>
        private void NoteWrite(LocalBuilder offset, int size, Label changed)
        {
            var slow = _il.DefineLabel();
            var done = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _pageFlags);
            _il.Emit(OpCodes.Ldloc, offset);
            Const(12);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Conv_U);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ldind_U1);
            Const((int)Rewind.Core.Memory.PhysicalMemory.DirtyFlag);
            _il.Emit(OpCodes.Bne_Un, slow);
            _il.Emit(OpCodes.Ldloc, offset);
            Const(0xfffUL);
            _il.Emit(OpCodes.And);
            Const(0xff8UL);
            _il.Emit(OpCodes.Ble_Un, done);
            _il.MarkLabel(slow);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, offset);
            Const(size);
            _il.Emit(OpCodes.Call, WroteSlow);
            _il.Emit(OpCodes.Brtrue, changed);
            _il.MarkLabel(done);
        }

        /// <summary>The place a store that rewrote compiled code goes: out, after this instruction (its write-back done).</summary>
        private void LeaveAfter(Label changed, int k, int at)
        {
            var on = _il.DefineLabel();
            _il.Emit(OpCodes.Br, on);
            _il.MarkLabel(changed);
            PcPlus(at, 4);
            ExitWith(k + 1);
            _il.MarkLabel(on);
        }

        /// <summary>Single loads and stores of general registers, in each addressing form.</summary>
        private void Access(in A64Op d, int k, int at)
        {
            bool load = d.Kind is A64Kind.LdrImm or A64Kind.Ldr64Imm or A64Kind.LdrReg or A64Kind.Ldr64Reg or A64Kind.LdrPre or A64Kind.LdrPost;
            bool writeBack = d.Kind is A64Kind.LdrPre or A64Kind.LdrPost or A64Kind.StrPre or A64Kind.StrPost;
            int size = d.Kind is A64Kind.Ldr64Imm or A64Kind.Ldr64Reg or A64Kind.Str64Imm or A64Kind.Str64Reg ? 8 : d.Size;
            // The address (and, written back, the new base in _b).
            LdBase(d.Rn);
            switch (d.Kind)
            {
                case A64Kind.LdrImm or A64Kind.Ldr64Imm or A64Kind.StrImm or A64Kind.Str64Imm:
                    Const(d.Imm);
                    _il.Emit(OpCodes.Add);
                    break;
                case A64Kind.Ldr64Reg or A64Kind.Str64Reg:
                    Ld(d.Rm);
                    Const((int)d.Shift);
                    _il.Emit(OpCodes.Shl);
                    _il.Emit(OpCodes.Add);
                    break;
                case A64Kind.LdrReg or A64Kind.StrReg:
                    Extended(d);
                    _il.Emit(OpCodes.Add);
                    break;
                case A64Kind.LdrPre or A64Kind.StrPre:
                    Const(d.Imm);
                    _il.Emit(OpCodes.Add);
                    _il.Emit(OpCodes.Dup);
                    _il.Emit(OpCodes.Stloc, _b);
                    break;
                default: // post-index: the access at the base, then base + Imm
                    _il.Emit(OpCodes.Dup);
                    Const(d.Imm);
                    _il.Emit(OpCodes.Add);
                    _il.Emit(OpCodes.Stloc, _b);
                    break;
            }
            _il.Emit(OpCodes.Stloc, _address);
            if (load)
            {
                Translate(_offset, write: false, k, at);
                LoadFrom(_offset, size);
                if (d.Aux != 0)
                {
                    Const((int)d.Aux);
                    Const(size);
                    Call(nameof(ArmJitOps.Extend));
                }
                St(d.Rd);
                if (writeBack)
                {
                    _il.Emit(OpCodes.Ldloc, _b);
                    StBase(d.Rn);
                }
                return;
            }
            // The value is read before the access, as the interpreter does (STR x1, [x1], #8 stores the old base).
            Ld(d.Rd);
            _il.Emit(OpCodes.Stloc, _a);
            Translate(_offset, write: true, k, at);
            StoreTo(_offset, size, _a);
            if (writeBack)
            {
                _il.Emit(OpCodes.Ldloc, _b);
                StBase(d.Rn);
            }
            var changed = _il.DefineLabel();
            NoteWrite(_offset, size, changed);
            LeaveAfter(changed, k, at);
        }

        /// <summary>LDP, LDPSW and STP in their three indexings: both halves are translated before either is done.</summary>
        private void Pair(in A64Op d, int k, int at)
        {
            int size = d.Size, index = d.Aux2;
            bool load = d.Kind == A64Kind.Ldp;
            // _b = base + Imm; the access at the base for post-index (1), else at base + Imm.
            LdBase(d.Rn);
            _il.Emit(OpCodes.Dup);
            Const(d.Imm);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _b);
            if (index != 1)
            {
                _il.Emit(OpCodes.Pop);
                _il.Emit(OpCodes.Ldloc, _b);
            }
            _il.Emit(OpCodes.Stloc, _address);
            Translate(_offset, write: !load, k, at);
            Translate(_offset2, write: !load, k, at, plus: size);
            if (load)
            {
                LoadFrom(_offset, size);
                if (d.Aux != 0)
                {
                    _il.Emit(OpCodes.Conv_I4);
                    _il.Emit(OpCodes.Conv_I8);
                }
                _il.Emit(OpCodes.Stloc, _a);
                LoadFrom(_offset2, size);
                if (d.Aux != 0)
                {
                    _il.Emit(OpCodes.Conv_I4);
                    _il.Emit(OpCodes.Conv_I8);
                }
                // Rt then Rt2, as the interpreter writes them.
                var second = _il.DeclareLocal(typeof(ulong));
                _il.Emit(OpCodes.Stloc, second);
                _il.Emit(OpCodes.Ldloc, _a);
                St(d.Rd);
                _il.Emit(OpCodes.Ldloc, second);
                St(d.Rm);
                if (index != 0)
                {
                    _il.Emit(OpCodes.Ldloc, _b);
                    StBase(d.Rn);
                }
                return;
            }
            var first = _il.DeclareLocal(typeof(ulong));
            var secondValue = _il.DeclareLocal(typeof(ulong));
            Ld(d.Rd);
            _il.Emit(OpCodes.Stloc, first);
            Ld(d.Rm);
            _il.Emit(OpCodes.Stloc, secondValue);
            StoreTo(_offset, size, first);
            StoreTo(_offset2, size, secondValue);
            if (index != 0)
            {
                _il.Emit(OpCodes.Ldloc, _b);
                StBase(d.Rn);
            }
            // Both writes are reported before leaving: the second store's page must hear of it too.
            var changed = _il.DefineLabel();
            var firstChanged = _il.DefineLabel();
            NoteWrite(_offset, size, firstChanged);
            NoteWrite(_offset2, size, changed);
            LeaveAfter(changed, k, at);
            var end = _il.DefineLabel();
            _il.Emit(OpCodes.Br, end);
            _il.MarkLabel(firstChanged);
            NoteWrite(_offset2, size, changed);
            _il.Emit(OpCodes.Br, changed);
            _il.MarkLabel(end);
        }
    }
}
