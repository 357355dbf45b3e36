using Rewind.Core.Native;
using static Rewind.Core.Native.X64Reg;
using Ctx = Rewind.Arm64.Jit.ArmNativeContext;

namespace Rewind.Arm64.Jit;

/// <summary>
/// The native tier's guest registers: which a body keeps in host registers (chosen from a first pass's counts),
/// and the reads and writes that go to them or to the CPU's register array.
/// </summary>
internal sealed partial class ArmNativeCompiler
{
    /// <summary>
    /// Where a region keeps its most named guest registers (and SP) between its entry and its exits: every host
    /// register without a role above (the callee-saved ones pushed by the prologue). A store-to-load round trip
    /// through the register array costs a dependent chain four or five cycles an instruction.
    /// </summary>
    private static readonly X64Reg[] CacheRegs = [Rbx, Rbp, R12, R13, R14, R15, R8, R9];

    /// <summary>Whether the System V convention has a callee keep <paramref name="r"/>: the prologue saves those it uses.</summary>
    private static bool CalleeSaved(X64Reg r) => r is Rbx or Rbp or R12 or R13 or R14 or R15;

    /// <summary>The slot of SP in the tables below (a general register's is its number).</summary>
    private const int SpSlot = 31;

    // Per region: the host register each guest register (0-30) and SP (SpSlot) is kept in, if any; how often
    // the first pass saw each named (the choice); and which the region writes (flushed at every exit).
    private readonly X64Reg[] _home = new X64Reg[32];

    /// <summary>A slot of <see cref="_home"/> whose register is not kept (rsp is never a cache register).</summary>
    private const X64Reg NotKept = Rsp;

    /// <summary>
    /// Whether the register in <paramref name="slot"/> is kept, and where. (Not a nullable X64Reg: ReadyToRun
    /// cannot precompile code using a generic type of the runtime's over our enum, and the JIT then compiled
    /// these methods at the first translation, several milliseconds of a short run.)
    /// </summary>
    private bool Kept(int slot, out X64Reg host)
    {
        host = _home[slot];
        return host != NotKept;
    }
    private readonly int[] _uses = new int[32];
    private readonly bool[] _written = new bool[32];

    /// <summary>Keeps the registers named at least twice, the most named first, in the cache registers; false if none is.</summary>
    private bool Choose()
    {
        bool any = false;
        for (int n = 0; n < CacheRegs.Length; n++)
        {
            int best = -1;
            for (int r = 0; r < _uses.Length; r++)
            {
                if (_home[r] != NotKept || _uses[r] < 2) continue;
                if (best < 0 || _uses[r] > _uses[best]) best = r;
            }
            if (best < 0) break;
            _home[best] = CacheRegs[n];
            any = true;
        }
        return any;
    }

    /// <summary>Writes the kept registers the region writes back to where the interpreter and other bodies read them.</summary>
    private void Flush()
    {
        for (int r = 0; r < _home.Length; r++)
        {
            if (!Kept(r, out var host) || !_written[r]) continue;
            if (r == SpSlot) _a.Store(Context, Ctx.Sp, host);
            else _a.Store(Regs, Reg(r), host);
        }
    }

    /// <summary>dst = the general register, or the stack pointer for 31 where the kind reads SP.</summary>
    private void LoadBase(X64Reg dst, int rn)
    {
        if (rn != 31)
        {
            Get(dst, rn);
            return;
        }
        Used(SpSlot);
        if (Kept(SpSlot, out var host)) _a.Mov(dst, host);
        else _a.Load(dst, Context, Ctx.Sp);
    }

    private void StoreBase(int rn, X64Reg src)
    {
        if (rn != 31)
        {
            Put(rn, src);
            return;
        }
        Wrote(SpSlot);
        if (Kept(SpSlot, out var host)) _a.Mov(host, src);
        else _a.Store(Context, Ctx.Sp, src);
    }

    // ---- Guest registers: in their host register where the region keeps one, else in the CPU's array ----

    /// <summary>dst = general register r (31, the zero register, and 32, the sink, are always in the array).</summary>
    private void Get(X64Reg dst, int r)
    {
        if (r < 31) Used(r);
        if (r < 31 && Kept(r, out var host)) _a.Mov(dst, host);
        else _a.Load(dst, Regs, Reg(r));
    }

    /// <summary>General register r = src (a move either way: the host's flags are kept).</summary>
    private void Put(int r, X64Reg src)
    {
        // The zero register's sink is never read (and not machine state): TST and CMP store nothing.
        if (r == Arm64Cpu.ZeroSink) return;
        if (r < 31) Wrote(r);
        if (r < 31 && Kept(r, out var host)) _a.Mov(host, src);
        else _a.Store(Regs, Reg(r), src);
    }

    /// <summary>The host register holding general register r: its own where the body keeps it, else r loaded into <paramref name="scratch"/>.</summary>
    private X64Reg Source(int r, X64Reg scratch)
    {
        if (r < 31 && Kept(r, out var host))
        {
            Used(r);
            return host;
        }
        Get(scratch, r);
        return scratch;
    }

    /// <summary>As <see cref="Source"/>, for a base register: 31 is SP.</summary>
    private X64Reg BaseSource(int rn, X64Reg scratch)
    {
        if (rn != 31) return Source(rn, scratch);
        Used(SpSlot);
        if (Kept(SpSlot, out var host)) return host;
        _a.Load(scratch, Context, Ctx.Sp);
        return scratch;
    }

    /// <summary>
    /// Whether general register r is kept in a host register, counted as named if so (if not, the caller reads
    /// it another way, which counts it).
    /// </summary>
    private bool KeptUse(int r, out X64Reg host)
    {
        host = NotKept;
        if (r >= 31 || !Kept(r, out host)) return false;
        Used(r);
        return true;
    }

    /// <summary>The host register to compute Rd in: its own where the body keeps it, else <paramref name="scratch"/>.</summary>
    private X64Reg Target(int rd, X64Reg scratch) => rd < 31 && Kept(rd, out var host) ? host : scratch;

    /// <summary>t = general register r, unless t is where r is kept.</summary>
    private void GetInto(X64Reg t, int r)
    {
        if (r < 31 && _home[r] == t)
        {
            Used(r);
            return;
        }
        Get(t, r);
    }

    /// <summary>Rd was computed in t (<see cref="Target"/>): stored unless t is its own register.</summary>
    private void Done(int rd, X64Reg t, X64Reg scratch)
    {
        if (t == scratch) Put(rd, t);
        else Wrote(rd);
    }

    /// <summary>dst op= general register r.</summary>
    private void AluGuest(X64Alu op, X64Reg dst, int r, bool wide)
    {
        if (r < 31) Used(r);
        if (r < 31 && Kept(r, out var host)) _a.AluReg(op, dst, host, wide);
        else _a.AluMem(op, dst, Regs, Reg(r), wide);
    }

    /// <summary>dst *= general register r (the low half).</summary>
    private void ImulGuest(X64Reg dst, int r)
    {
        if (r < 31) Used(r);
        if (r < 31 && Kept(r, out var host)) _a.ImulReg(dst, host);
        else _a.ImulMem(dst, Regs, Reg(r));
    }

    private void Used(int slot) => _uses[slot]++;

    private void Wrote(int slot)
    {
        _uses[slot]++;
        _written[slot] = true;
        if (slot == _compare.Rn || slot == _compare.Rm) _compare.Valid = false;
    }
}
