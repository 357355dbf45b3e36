using Rewind.Arm64.Decode;
using Rewind.Core.Native;
using static Rewind.Core.Native.X64Reg;
using Ctx = Rewind.Arm64.Jit.ArmNativeContext;

namespace Rewind.Arm64.Jit;

/// <summary>The native tier's NZCV: kept in the host's form, and read as host conditions.</summary>
internal sealed partial class ArmNativeCompiler
{
    /// <summary>A flag setter's Rd computed in t (<see cref="Target"/>, scratch rcx): NZCV from the host's flags, and Rd.</summary>
    private void FlagsDone(bool sub, int rd, X64Reg t)
    {
        if (t == Rcx) Flags(sub, Rcx, rd);
        else
        {
            Flags(sub, t, -1);
            Wrote(rd);
        }
    }

    /// <summary>
    /// NZCV from the host flags of the operation that just made <paramref name="result"/> (rcx), kept in the host's
    /// form (<see cref="ArmNativeContext.HostFlags"/>): N = SF, Z = ZF, C = CF (complemented after a subtraction:
    /// Arm's carry is "no borrow"), V = OF. Stores the result to <paramref name="rd"/> unless it is negative. The
    /// host's flags then still hold NZCV, for a condition right after (<see cref="HostCondition"/>).
    /// </summary>
    /// <param name="store">False where nothing reads NZCV from the context before the next setter replaces it (<see cref="NzcvUnread"/>).</param>
    private void Flags(bool sub, X64Reg result, int rd, bool store = true)
    {
        var a = _a;
        _compare.Valid = false;
        if (sub) a.Cmc();
        if (store)
        {
            a.SetCondByte(X64Cond.O, Rax); // al = V
            a.Lahf();                      // ah = SF ZF 0 AF 0 PF 1 CF
            // The word alone: the CPU stores the whole slot at each call, so its upper bytes are 0 already.
            a.StoreSized(Context, Ctx.Nzcv, Rax, 2);
        }
        if (rd >= 0) Put(rd, result);
        _flagsSet = true;
    }

    /// <summary>
    /// The host condition that holds exactly when Arm condition <paramref name="cond"/> (not AL or NV) does, with
    /// the host's flags made to hold NZCV first unless the instruction before left them so. rax is scratch.
    /// </summary>
    private X64Cond HostCondition(int cond, bool flagsInHost)
    {
        var a = _a;
        if (!flagsInHost && _compare.Valid && Kept(_compare.Rn, out var n))
        {
            // Compared again: the context's NZCV came from this very compare of registers still unchanged.
            if (_compare.Rm < 0)
            {
                if (_compare.Sub) a.AluImm(X64Alu.Cmp, n, _compare.Imm, _compare.Wide);
                else a.TestImm(n, _compare.Imm, _compare.Wide);
            }
            else
            {
                Kept(_compare.Rm, out var m);
                if (_compare.Sub) a.AluReg(X64Alu.Cmp, n, m, _compare.Wide);
                else a.Test(n, m, _compare.Wide);
            }
            if (_compare.Sub) a.Cmc();
        }
        else if (!flagsInHost)
        {
            a.LoadExtend(Rax, Context, Ctx.Nzcv, 2, signed: false);
            a.AddAl(0x7f); // OF = (al == 1)
            a.Sahf();
        }
        switch (cond)
        {
            case 8: // HI: C && !Z, the host's "above" with CF complemented
                a.Cmc();
                return X64Cond.A;
            case 9: // LS: !C || Z
                a.Cmc();
                return X64Cond.BE;
        }
        return cond switch
        {
            0 => X64Cond.E,
            1 => X64Cond.NE,
            2 => X64Cond.B,
            3 => X64Cond.AE,
            4 => X64Cond.S,
            5 => X64Cond.NS,
            6 => X64Cond.O,
            7 => X64Cond.NO,
            10 => X64Cond.GE,
            11 => X64Cond.L,
            12 => X64Cond.G,
            _ => X64Cond.LE,
        };
    }

    /// <summary>
    /// The compare (TST or CMP: nothing written) whose NZCV the context holds, while its operands, kept in host
    /// registers, are unchanged (<see cref="Wrote"/> and every flag setter end it). A condition read later then
    /// compares again, one or two host instructions, instead of loading NZCV back from the context and SAHF: a
    /// store-to-load round trip on the condition's path, the hottest spot of bench_mmu.elf's loop (`tst x1, #1`,
    /// two instructions that change the host's flags, then `csel ... eq`).
    /// </summary>
    private struct FlagCompare
    {
        public bool Valid, Sub, Wide;
        /// <summary>The registers compared; Rm is -1 for an immediate (<see cref="Imm"/>).</summary>
        public int Rn, Rm, Imm;
    }

    private FlagCompare _compare;

    /// <summary>Notes the compare just emitted (after its <see cref="Flags"/>), where both operands are kept registers or an immediate.</summary>
    private void Compared(bool sub, bool wide, int rn, int rm, int imm)
    {
        if (rn >= 31 || !Kept(rn, out _) || (rm >= 0 && (rm >= 31 || !Kept(rm, out _)))) return;
        _compare = new FlagCompare { Valid = true, Sub = sub, Wide = wide, Rn = rn, Rm = rm, Imm = imm };
    }

    /// <summary>
    /// Whether the NZCV of the compare at <paramref name="k"/> (of <paramref name="rn"/> with <paramref name="rm"/>,
    /// -1 for an immediate) need not reach the context: the block's next flag setter comes first, with nothing in
    /// between that may leave native code (a load, a store, the block's end) or read NZCV from the context. A
    /// condition in between reads the host's flags right after the compare, or compares again (<see cref="Compared"/>),
    /// which needs both registers kept and unwritten until then. Only instructions known to write nothing but Rd
    /// count; anything else keeps the store. (bench_mmu.elf's `tst x1, #1 ... csel eq; tst x2, #0x1f`.)
    /// </summary>
    private bool NzcvUnread(int k, int rn, int rm)
    {
        bool again = rn < 31 && Kept(rn, out _) && (rm < 0 || (rm < 31 && Kept(rm, out _)));
        for (int j = k + 1; j < _ops.Length; j++)
        {
            var op = _ops[j];
            switch (op.Kind)
            {
                case A64Kind.AddsImm or A64Kind.AndsImm or A64Kind.AddsReg or A64Kind.AndsReg:
                    return true;
                case A64Kind.Csel:
                    if (j > k + 1 && !again) return false;
                    break;
                case A64Kind.Nop or A64Kind.Adr or A64Kind.Adrp or A64Kind.AddImm or A64Kind.AndImm or A64Kind.OrrImm
                    or A64Kind.EorImm or A64Kind.MovImm or A64Kind.Movk or A64Kind.Ubfm or A64Kind.Ubfm64 or A64Kind.Sbfm
                    or A64Kind.Bfm or A64Kind.MovReg or A64Kind.AndReg or A64Kind.OrrReg or A64Kind.EorReg or A64Kind.AddReg
                    or A64Kind.SubReg or (>= A64Kind.AddLsl64 and <= A64Kind.EorLsr64) or A64Kind.Madd or A64Kind.Msub
                    or A64Kind.Umulh or A64Kind.Smulh or A64Kind.ShiftVar:
                    break;
                default:
                    return false;
            }
            if (op.Rd == rn || op.Rd == rm) again = false;
        }
        return false;
    }

    /// <summary>The host condition that holds when <paramref name="c"/> does not (Jcc encodes pairs).</summary>
    private static X64Cond Not(X64Cond c) => (X64Cond)((int)c ^ 1);
}
