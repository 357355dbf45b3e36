namespace Rewind.Arm64;

/// <summary>
/// The ARMv8.1 Large System Extensions (FEAT_LSE), offered by -cpu max only, as QEMU does: the atomic
/// memory operations LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN and SWP (and their
/// ST* aliases, Rt = zero register), CAS and CASP, in every size with the acquire/release variants.
/// One instruction is one step of one CPU, so each is atomic by construction; the orderings are no-ops.
/// As QEMU in its single-threaded (icount, record/replay) mode, each is a load then a store: aligned to
/// its size, faults of the read reported as reads (WnR = 0), a read-only page's as a write, and CAS
/// writes the old value back when the comparison fails. A fault leaves memory and registers as they were.
/// </summary>
public sealed partial class Arm64Cpu
{
    /// <summary>FEAT_LSE: QEMU's -cpu max has it, its Cortex-A53/A57/A72 do not.</summary>
    private bool HasLse => Model == ArmCpuModel.Max;

    /// <summary>LDADD..LDUMIN and SWP: size 111 0 00 A R 1 Rs o3 opc 00 Rn Rt.</summary>
    private void AtomicMemoryOperation(uint insn)
    {
        if (!HasLse) throw Undefined();
        int size = 1 << (int)(insn >> 30);
        bool o3 = (insn & (1u << 15)) != 0;
        uint opc = (insn >> 12) & 7;
        if (o3 && opc != 0) throw Undefined(); // LDAPR (FEAT_LRCPC) and the rest are not offered
        int rs = (int)((insn >> 16) & 31), rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);
        ulong address = Xs(rn);
        ulong operand = Xr(rs) & Mask(8 * size);
        ulong pa = AtomicAddress(address, size);
        ulong old = LoadPhysical(pa, size, address);
        int bits = 8 * size;
        ulong result = o3 ? operand : opc switch
        {
            0 => old + operand, // LDADD
            1 => old & ~operand, // LDCLR
            2 => old ^ operand, // LDEOR
            3 => old | operand, // LDSET
            4 => SignExtend(old, bits) >= SignExtend(operand, bits) ? old : operand, // LDSMAX
            5 => SignExtend(old, bits) <= SignExtend(operand, bits) ? old : operand, // LDSMIN
            6 => Math.Max(old, operand), // LDUMAX
            _ => Math.Min(old, operand), // LDUMIN
        };
        AtomicWrite(pa, size, result & Mask(bits), old, address);
        SetXr(rt, old);
    }

    /// <summary>CAS, CASA, CASL, CASAL in bytes, halfwords, words and doublewords (the exclusive group, o2 = o1 = 1).</summary>
    private void CompareAndSwap(uint insn)
    {
        int rs = (int)((insn >> 16) & 31), rt2 = (int)((insn >> 10) & 31), rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);
        if (!HasLse || rt2 != 31) throw Undefined();
        int size = 1 << (int)(insn >> 30);
        ulong address = Xs(rn);
        ulong pa = AtomicAddress(address, size);
        ulong old = LoadPhysical(pa, size, address);
        ulong value = old == (Xr(rs) & Mask(8 * size)) ? Xr(rt) & Mask(8 * size) : old;
        AtomicWrite(pa, size, value, old, address);
        SetXr(rs, old);
    }

    /// <summary>CASP and its A/L variants: two even-numbered register pairs, 32 or 64 bits each (o2 = 0, o1 = 1).</summary>
    private void CompareAndSwapPair(uint insn)
    {
        int rs = (int)((insn >> 16) & 31), rt2 = (int)((insn >> 10) & 31), rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);
        if (!HasLse || rt2 != 31 || ((rs | rt) & 1) != 0) throw Undefined();
        bool wide = (insn & (1u << 30)) != 0;
        ulong address = Xs(rn);
        if (!wide)
        {
            // Two words as one doubleword: Rs at the lower address.
            ulong pa = AtomicAddress(address, 8);
            ulong old = LoadPhysical(pa, 8, address);
            ulong expected = (uint)Xr(rs) | (ulong)(uint)Xr(rs + 1) << 32;
            AtomicWrite(pa, 8, old == expected ? (uint)Xr(rt) | (ulong)(uint)Xr(rt + 1) << 32 : old, old, address);
            SetXr(rs, (uint)old);
            SetXr(rs + 1, old >> 32);
            return;
        }
        ulong pa16 = AtomicAddress(address, 16);
        ulong oldLo = LoadPhysical(pa16, 8, address), oldHi = LoadPhysical(pa16 + 8, 8, address);
        bool equal = oldLo == Xr(rs) && oldHi == Xr(rs + 1);
        AtomicWrite(pa16, 8, equal ? Xr(rt) : oldLo, oldLo, address);
        AtomicWrite(pa16 + 8, 8, equal ? Xr(rt + 1) : oldHi, oldHi, address + 8);
        SetXr(rs, oldLo);
        SetXr(rs + 1, oldHi);
    }

    /// <summary>
    /// The read half of an atomic, checked as QEMU's single-threaded (icount) translation checks it, as
    /// a load then a store: alignment (a read's fault), watchpoints for reading then writing, translation
    /// for reading, then for writing. Every check comes before anything changes.
    /// </summary>
    private ulong AtomicAddress(ulong va, int size)
    {
        CheckAligned(va, size, write: false);
        if (_watchpoints != null)
        {
            CheckWatch(va, size, Access.Read);
            CheckWatch(va, size, Access.Write);
        }
        // Aligned and at most 16 bytes: never crosses a page.
        ulong pa = Translate(va, Access.Read);
        return MmuOn ? Translate(va, Access.Write) : pa;
    }

    /// <summary>
    /// The store half of an atomic: an ordinary physical store (dirty pages, devices), which also ends
    /// this CPU's own reservation when it changes reserved bytes, as QEMU's STXR (a compare of the
    /// value LDXR read) then fails.
    /// </summary>
    private void AtomicWrite(ulong pa, int size, ulong value, ulong old, ulong va)
    {
        StorePhysical(pa, size, value, va);
        if (_exclusiveValid && value != old && va < _exclusiveAddress + (ulong)_exclusiveSize && _exclusiveAddress < va + (ulong)size)
            _exclusiveValid = false;
    }
}
