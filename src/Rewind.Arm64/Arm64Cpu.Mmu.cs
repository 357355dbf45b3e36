namespace Rewind.Arm64;

/// <summary>
/// Stage 1 translation of the EL1&amp;0 regime: a small direct-mapped TLB of 4 KiB pieces of the walk's
/// pages (Arm64Cpu.TranslationWalk.cs) that TLBI and register writes flush.
/// </summary>
public sealed partial class Arm64Cpu
{
    private const int TlbSize = 256;
    private const ulong NoTag = ulong.MaxValue;
    private readonly ulong[] _tlbTag = new ulong[TlbSize];
    private readonly ulong[] _tlbPage = new ulong[TlbSize];
    // Per entry: bit 0 EL1 read, 1 EL1 write, 2 EL1 execute, 3 EL0 read, 4 EL0 write, 5 EL0 execute.
    private readonly byte[] _tlbPerm = new byte[TlbSize];

    internal readonly record struct WalkResult(ulong Pa, byte Perm, uint Fault, int Level = 3);

    public void FlushTlb()
    {
        Array.Fill(_tlbTag, NoTag);
        FlushDataTlb();
    }

    private ulong TranslateWithTlb(ulong va, Access access, int el)
    {
        ulong vpn = va >> 12;
        int slot = (int)(vpn & (TlbSize - 1));
        byte perm;
        ulong page;
        if (_tlbTag[slot] == vpn)
        {
            perm = _tlbPerm[slot];
            page = _tlbPage[slot];
        }
        else
        {
            var r = Walk(va);
            if (r.Fault != 0) throw Abort(access, r.Fault, va);
            _tlbTag[slot] = vpn;
            _tlbPage[slot] = page = r.Pa & ~0xfffUL;
            _tlbPerm[slot] = perm = (byte)(r.Perm | r.Level << 6); // bits 7:6: the leaf's level
        }
        int bit = (access == Access.Read ? 0 : access == Access.Write ? 1 : 2) + (el == 0 ? 3 : 0);
        if ((perm & (1 << bit)) == 0)
        {
            // Permission fault, at the level of the descriptor that gave the permissions.
            throw Abort(access, 0x0c + (uint)(perm >> 6), va);
        }
        return page | (va & 0xfff);
    }

    private static ArmFault Abort(Access access, uint fsc, ulong va) => access == Access.Fetch
        ? ArmFault.Exception(ExceptionClass.InstructionAbort, fsc, va)
        : ArmFault.Exception(ExceptionClass.DataAbort, fsc | (access == Access.Write ? 1u << 6 : 0), va);
}
