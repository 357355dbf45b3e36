namespace Rewind.Arm64;

/// <summary>
/// Loads and stores (bits 27 and 25 = 1, 0): literal, register (unsigned offset, unscaled, pre/post-index,
/// register offset), pairs, exclusives and acquire/release, for general and FP/SIMD registers, and
/// LD1/ST1 of multiple registers; the LSE atomics they share encodings with are in Arm64Cpu.Atomics.cs.
/// </summary>
public sealed partial class Arm64Cpu
{
    private bool _exclusiveValid;
    private ulong _exclusiveAddress;
    private int _exclusiveSize;

    private void LoadStore(uint insn, ulong pc)
    {
        if ((insn & 0x3f00_0000) == 0x0800_0000) Exclusive(insn);
        else if ((insn & 0x3b00_0000) == 0x1800_0000) LoadLiteral(insn, pc);
        else if ((insn & 0x3a00_0000) == 0x2800_0000) Pair(insn);
        else if ((insn & 0x3a00_0000) == 0x3800_0000) Register(insn);
        else if ((insn & 0xbf20_0000) == 0x0c00_0000) SimdMultiple(insn);
        else throw Undefined();
    }

    /// <summary>Alignment fault for accesses that must be aligned (exclusives, acquire/release).</summary>
    private static void CheckAligned(ulong address, int size, bool write)
    {
        if ((address & (ulong)(size - 1)) != 0)
            throw ArmFault.Exception(ExceptionClass.DataAbort, 0x21 | (write ? 1u << 6 : 0), address);
    }

    private void Exclusive(uint insn)
    {
        int size = 1 << (int)(insn >> 30);
        bool o2 = (insn & (1u << 23)) != 0, load = (insn & (1u << 22)) != 0, o1 = (insn & (1u << 21)) != 0;
        int rs = (int)((insn >> 16) & 31), rt2 = (int)((insn >> 10) & 31), rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);
        ulong address = Xs(rn);
        if (o2 && !o1)
        {
            // LDAR/STLR and the LORegion forms: ordinary accesses here, but aligned.
            CheckAligned(address, size, !load);
            if (load) SetXr(rt, Load(address, size));
            else Store(address, size, Xr(rt));
            return;
        }
        if (o1 && o2)
        {
            CompareAndSwap(insn);
            return;
        }
        if (o1 && size < 4)
        {
            CompareAndSwapPair(insn);
            return;
        }
        bool pair = o1;
        int total = pair ? size * 2 : size;
        CheckAligned(address, total, !load);
        if (load)
        {
            if (pair)
            {
                ulong a = Load(address, size), b = Load(address + (ulong)size, size);
                SetXr(rt, a);
                SetXr(rt2, b);
            }
            else SetXr(rt, Load(address, size));
            _exclusiveValid = true;
            _exclusiveAddress = address;
            _exclusiveSize = total;
            return;
        }
        bool ok = _exclusiveValid && _exclusiveAddress == address && _exclusiveSize == total;
        if (ok)
        {
            if (pair)
            {
                ulong a = Xr(rt), b = Xr(rt2);
                if (size == 8)
                {
                    Store(address, 8, a);
                    Store(address + 8, 8, b);
                }
                else Store(address, 8, (uint)a | (ulong)(uint)b << 32);
            }
            else Store(address, size, Xr(rt));
        }
        _exclusiveValid = false;
        SetXr(rs, ok ? 0UL : 1UL);
    }

    private void LoadLiteral(uint insn, ulong pc)
    {
        uint opc = insn >> 30;
        int rt = (int)(insn & 31);
        ulong address = pc + (ulong)(SignExtend((insn >> 5) & 0x7ffff, 19) << 2);
        if ((insn & (1u << 26)) != 0)
        {
            switch (opc)
            {
                case 0: SetV(rt, Load(address, 4), 0); break;
                case 1: SetV(rt, Load(address, 8), 0); break;
                case 2:
                    {
                        ulong lo = Load(address, 8), hi = Load(address + 8, 8);
                        SetV(rt, lo, hi);
                        break;
                    }
                default: throw Undefined();
            }
            return;
        }
        switch (opc)
        {
            case 0: SetXr(rt, Load(address, 4)); break;
            case 1: SetXr(rt, Load(address, 8)); break;
            case 2: SetXr(rt, (ulong)(int)Load(address, 4)); break;
            default: break; // PRFM (literal)
        }
    }

    private void Pair(uint insn)
    {
        uint opc = insn >> 30, index = (insn >> 23) & 3;
        bool simd = (insn & (1u << 26)) != 0, load = (insn & (1u << 22)) != 0;
        int rt2 = (int)((insn >> 10) & 31), rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);
        int scale;
        bool signed = false;
        if (simd)
        {
            if (opc == 3) throw Undefined();
            scale = 2 + (int)opc;
        }
        else
        {
            if (opc == 3 || (opc == 1 && !load)) throw Undefined(); // STGP (MTE) is not implemented
            signed = opc == 1;
            scale = opc == 2 ? 3 : 2;
        }
        int size = 1 << scale;
        long offset = SignExtend((insn >> 15) & 0x7f, 7) << scale;
        ulong baseAddress = Xs(rn);
        ulong address = index == 1 ? baseAddress : baseAddress + (ulong)offset;
        if (simd)
        {
            if (load)
            {
                var (a0, a1) = LoadVector(address, size);
                var (b0, b1) = LoadVector(address + (ulong)size, size);
                SetV(rt, a0, a1);
                SetV(rt2, b0, b1);
            }
            else
            {
                StoreVector(address, size, rt);
                StoreVector(address + (ulong)size, size, rt2);
            }
        }
        else if (load)
        {
            ulong a = LoadAndFill(address, size), b = LoadAndFill(address + (ulong)size, size);
            if (signed)
            {
                a = (ulong)(int)a;
                b = (ulong)(int)b;
            }
            SetXr(rt, a);
            SetXr(rt2, b);
        }
        else
        {
            ulong a = Xr(rt), b = Xr(rt2);
            StoreAndFill(address, size, a);
            StoreAndFill(address + (ulong)size, size, b);
        }
        if (index is 1 or 3) SetXs(rn, baseAddress + (ulong)offset);
    }

    private void Register(uint insn)
    {
        int sizeBits = (int)(insn >> 30);
        uint opc = (insn >> 22) & 3;
        bool simd = (insn & (1u << 26)) != 0;
        int rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);

        // The access: size, and for general registers how the value is extended.
        int scale;
        if (simd)
        {
            scale = (int)(opc & 2) << 1 | sizeBits;
            if (scale > 4) throw Undefined();
        }
        else scale = sizeBits;

        ulong baseAddress = Xs(rn);
        ulong address;
        bool writeBack = false, postIndex = false;
        long imm = 0;
        if ((insn & (1u << 24)) != 0)
        {
            address = baseAddress + (((insn >> 10) & 0xfff) << scale);
        }
        else if ((insn & (1u << 21)) == 0)
        {
            imm = SignExtend((insn >> 12) & 0x1ff, 9);
            switch ((insn >> 10) & 3)
            {
                case 0: address = baseAddress + (ulong)imm; break; // unscaled (LDUR/STUR)
                case 1: address = baseAddress; writeBack = postIndex = true; break;
                case 2: // unprivileged (LDTR/STTR): the same access here
                    if (simd) throw Undefined();
                    address = baseAddress + (ulong)imm;
                    break;
                default: address = baseAddress + (ulong)imm; writeBack = true; break;
            }
        }
        else if (((insn >> 10) & 3) == 2)
        {
            uint option = (insn >> 13) & 7;
            if ((option & 2) == 0) throw Undefined();
            int shift = (insn & (1u << 12)) != 0 ? scale : 0;
            address = baseAddress + ExtendReg(Xr((int)((insn >> 16) & 31)), option, shift);
        }
        else if (((insn >> 10) & 3) == 0 && !simd)
        {
            AtomicMemoryOperation(insn);
            return;
        }
        else throw Undefined(); // pointer-authenticated loads are not implemented

        if (simd)
        {
            int size = 1 << scale;
            if ((opc & 1) != 0)
            {
                var (lo, hi) = LoadVector(address, size);
                SetV(rt, lo, hi);
            }
            else StoreVector(address, size, rt);
        }
        else
        {
            int size = 1 << scale;
            switch (opc)
            {
                case 0:
                    StoreAndFill(address, size, Xr(rt));
                    break;
                case 1:
                    SetXr(rt, LoadAndFill(address, size));
                    break;
                case 2:
                    if (sizeBits == 3)
                    {
                        // PRFM / PRFUM: a hint; the unprivileged and write-back encodings are unallocated.
                        if (writeBack || ((insn & (1u << 24)) == 0 && (insn & (1u << 21)) == 0 && ((insn >> 10) & 3) == 2)) throw Undefined();
                        return;
                    }
                    SetXr(rt, (ulong)SignExtend(LoadAndFill(address, size), size * 8));
                    break;
                default:
                    if (sizeBits >= 2) throw Undefined();
                    SetXr(rt, (uint)SignExtend(LoadAndFill(address, size), size * 8));
                    break;
            }
        }
        if (writeBack) SetXs(rn, postIndex ? baseAddress + (ulong)imm : address);
    }

    private (ulong Low, ulong High) LoadVector(ulong address, int size) => size switch
    {
        16 => (Load(address, 8), Load(address + 8, 8)),
        _ => (Load(address, size), 0),
    };

    private void StoreVector(ulong address, int size, int reg)
    {
        ulong lo = _v[2 * reg], hi = _v[2 * reg + 1];
        if (size == 16)
        {
            Store(address, 8, lo);
            Store(address + 8, 8, hi);
        }
        else Store(address, size, lo);
    }

    /// <summary>LD1/ST1 (multiple structures, 1 to 4 registers), with optional post-index.</summary>
    private void SimdMultiple(uint insn)
    {
        bool q = (insn & (1u << 30)) != 0, load = (insn & (1u << 22)) != 0, post = (insn & (1u << 23)) != 0;
        uint opcode = (insn >> 12) & 15;
        int rm = (int)((insn >> 16) & 31), rn = (int)((insn >> 5) & 31), rt = (int)(insn & 31);
        if (!post && rm != 0) throw Undefined();
        int regs = opcode switch
        {
            0b0111 => 1,
            0b1010 => 2,
            0b0110 => 3,
            0b0010 => 4,
            _ => throw Undefined(),
        };
        int bytes = q ? 16 : 8;
        ulong address = Xs(rn);
        if (load)
        {
            Span<ulong> values = stackalloc ulong[8];
            for (int r = 0; r < regs; r++)
            {
                values[2 * r] = Load(address + (ulong)(r * bytes), 8);
                values[2 * r + 1] = q ? Load(address + (ulong)(r * bytes) + 8, 8) : 0;
            }
            for (int r = 0; r < regs; r++) SetV((rt + r) & 31, values[2 * r], values[2 * r + 1]);
        }
        else
        {
            for (int r = 0; r < regs; r++)
            {
                int reg = (rt + r) & 31;
                Store(address + (ulong)(r * bytes), 8, _v[2 * reg]);
                if (q) Store(address + (ulong)(r * bytes) + 8, 8, _v[2 * reg + 1]);
            }
        }
        if (post) SetXs(rn, address + (ulong)(rm == 31 ? regs * bytes : (long)Xr(rm)));
    }
}
