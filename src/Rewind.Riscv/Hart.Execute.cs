using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rewind.Core.Cpu;
using Rewind.Riscv.Decode;

namespace Rewind.Riscv;

/// <summary>
/// The interpreter loop. Locals hold pc and the count; the pointer fast path serves RAM, untranslated
/// or through a TLB hit; everything else (devices, TLB misses, watchpoints, traps) leaves through small slow-path calls that
/// return false when they took a trap. This method is the hot path: measure before changing it.
/// </summary>
public sealed unsafe partial class Hart
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CpuStop ExecuteSlice()
    {
        ulong* x = _x;
        byte* ram = _ramPtr;
        ulong ramBase = _ramBase;
        ulong pc = Pc;
        ulong ic = Icount;
        // The block compiler (Hart.Jit.cs) stands aside while a watchpoint needs every access checked.
        var blocks = _watchpoints is { Count: > 0 } ? null : _codeCache.Blocks;
        if (blocks is { AnyFinished: true }) blocks.InstallFinished(_codeCache);
        int hot = blocks == null ? 0 : -blocks.Threshold;
        bool atTarget = true;
        Counters.Slices++;

        while (ic < _sliceEnd)
        {
            if ((pc >> 12) != _fetchVpn)
            {
                Pc = pc;
                if (!RefillFetch(pc))
                {
                    pc = Pc;
                    ic++;
                    continue;
                }
            }
            // No bounds check: the window always holds a whole page of slots once pc's page matches it
            // (_fetchVpn never matches before the first refill), and the index is below 2048.
            ref DecodedInsn d = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_fetchPage), (nint)((pc & 0xfff) >> 1));
            if (d.Op == Op.Undecoded) DecodeSlot(ref d, pc);
            if (blocks != null)
            {
                int mark = d.Jit;
                if (mark > 0)
                {
                    Pc = pc;
                    Icount = ic;
                    if (RunCompiled(blocks, mark))
                    {
                        pc = Pc;
                        ic = Icount;
                        atTarget = true;
                        continue;
                    }
                }
                else if (atTarget && mark > hot && (d.Jit = mark - 1) == hot)
                {
                    Pc = pc;
                    CompileAt(blocks, pc, blocks.FirstTier);
                }
            }
        dispatch:
            ulong next = pc + d.Length;
            switch (d.Op)
            {
                case Op.Lui: x[d.Rd] = (ulong)d.Imm; break;
                case Op.Auipc: x[d.Rd] = pc + (ulong)d.Imm; break;
                case Op.Jal: x[d.Rd] = next; next = pc + (ulong)d.Imm; break;
                case Op.Jalr:
                    {
                        ulong target = (x[d.Rs1] + (ulong)d.Imm) & ~1UL;
                        x[d.Rd] = next;
                        next = target;
                        break;
                    }
                case Op.Beq: if (x[d.Rs1] == x[d.Rs2]) next = pc + (ulong)d.Imm; break;
                case Op.Bne: if (x[d.Rs1] != x[d.Rs2]) next = pc + (ulong)d.Imm; break;
                case Op.Blt: if ((long)x[d.Rs1] < (long)x[d.Rs2]) next = pc + (ulong)d.Imm; break;
                case Op.Bge: if ((long)x[d.Rs1] >= (long)x[d.Rs2]) next = pc + (ulong)d.Imm; break;
                case Op.Bltu: if (x[d.Rs1] < x[d.Rs2]) next = pc + (ulong)d.Imm; break;
                case Op.Bgeu: if (x[d.Rs1] >= x[d.Rs2]) next = pc + (ulong)d.Imm; break;

                case Op.Lb:
                case Op.Lh:
                case Op.Lw:
                case Op.Ld:
                case Op.Lbu:
                case Op.Lhu:
                case Op.Lwu:
                    {
                        ulong a = x[d.Rs1] + (ulong)d.Imm;
                        ulong off = a - ramBase;
                        ulong v;
                        if (off < _fastLoadLimit || TlbLoadHit(a, ref off))
                        {
                            byte* p = ram + off;
                            v = d.Op switch
                            {
                                Op.Lb => (ulong)(sbyte)*p,
                                Op.Lh => (ulong)*(short*)p,
                                Op.Lw => (ulong)*(int*)p,
                                Op.Ld => *(ulong*)p,
                                Op.Lbu => *p,
                                Op.Lhu => *(ushort*)p,
                                _ => *(uint*)p,
                            };
                        }
                        else
                        {
                            // A page-table walk may write (A/D bits) into this very code page and drop d.
                            Op op = d.Op;
                            byte rd = d.Rd;
                            Pc = pc;
                            Icount = ic;
                            int size = op switch { Op.Lb or Op.Lbu => 1, Op.Lh or Op.Lhu => 2, Op.Lw or Op.Lwu => 4, _ => 8 };
                            if (!LoadSlow(a, size, out v))
                            {
                                next = Pc;
                                break;
                            }
                            x[rd] = op switch
                            {
                                Op.Lb => (ulong)(sbyte)v,
                                Op.Lh => (ulong)(short)v,
                                Op.Lw => (ulong)(int)v,
                                _ => v,
                            };
                            break;
                        }
                        x[d.Rd] = v;
                        break;
                    }
                case Op.Sb:
                case Op.Sh:
                case Op.Sw:
                case Op.Sd:
                    {
                        ulong a = x[d.Rs1] + (ulong)d.Imm;
                        ulong off = a - ramBase;
                        ulong v = x[d.Rs2];
                        if (off < _fastStoreLimit || TlbStoreHit(a, ref off))
                        {
                            byte* p = ram + off;
                            int last;
                            switch (d.Op)
                            {
                                case Op.Sb: *p = (byte)v; last = 0; break;
                                case Op.Sh: *(ushort*)p = (ushort)v; last = 1; break;
                                case Op.Sw: *(uint*)p = (uint)v; last = 3; break;
                                default: *(ulong*)p = v; last = 7; break;
                            }
                            _ram.NoteWrite(off);
                            // Only a store straddling a page boundary touches a second page.
                            if ((int)(off & 0xfff) + last > 0xfff) _ram.NoteWrite(off + (ulong)last);
                        }
                        else
                        {
                            Pc = pc;
                            Icount = ic;
                            int size = d.Op switch { Op.Sb => 1, Op.Sh => 2, Op.Sw => 4, _ => 8 };
                            if (!StoreSlow(a, size, v)) next = Pc;
                        }
                        break;
                    }

                case Op.Addi: x[d.Rd] = x[d.Rs1] + (ulong)d.Imm; break;
                case Op.Slti: x[d.Rd] = (long)x[d.Rs1] < d.Imm ? 1UL : 0; break;
                case Op.Sltiu: x[d.Rd] = x[d.Rs1] < (ulong)d.Imm ? 1UL : 0; break;
                case Op.Xori: x[d.Rd] = x[d.Rs1] ^ (ulong)d.Imm; break;
                case Op.Ori: x[d.Rd] = x[d.Rs1] | (ulong)(long)d.Imm; break;
                case Op.Andi: x[d.Rd] = x[d.Rs1] & (ulong)d.Imm; break;
                case Op.Slli: x[d.Rd] = x[d.Rs1] << (int)d.Imm; break;
                case Op.Srli: x[d.Rd] = x[d.Rs1] >> (int)d.Imm; break;
                case Op.Srai: x[d.Rd] = (ulong)((long)x[d.Rs1] >> (int)d.Imm); break;
                case Op.Add: x[d.Rd] = x[d.Rs1] + x[d.Rs2]; break;
                case Op.Sub: x[d.Rd] = x[d.Rs1] - x[d.Rs2]; break;
                case Op.Sll: x[d.Rd] = x[d.Rs1] << (int)(x[d.Rs2] & 63); break;
                case Op.Slt: x[d.Rd] = (long)x[d.Rs1] < (long)x[d.Rs2] ? 1UL : 0; break;
                case Op.Sltu: x[d.Rd] = x[d.Rs1] < x[d.Rs2] ? 1UL : 0; break;
                case Op.Xor: x[d.Rd] = x[d.Rs1] ^ x[d.Rs2]; break;
                case Op.Srl: x[d.Rd] = x[d.Rs1] >> (int)(x[d.Rs2] & 63); break;
                case Op.Sra: x[d.Rd] = (ulong)((long)x[d.Rs1] >> (int)(x[d.Rs2] & 63)); break;
                case Op.Or: x[d.Rd] = x[d.Rs1] | x[d.Rs2]; break;
                case Op.And: x[d.Rd] = x[d.Rs1] & x[d.Rs2]; break;
                case Op.Addiw: x[d.Rd] = (ulong)(long)(int)(x[d.Rs1] + (ulong)d.Imm); break;
                case Op.Slliw: x[d.Rd] = (ulong)(long)(int)((uint)x[d.Rs1] << (int)d.Imm); break;
                case Op.Srliw: x[d.Rd] = (ulong)(long)(int)((uint)x[d.Rs1] >> (int)d.Imm); break;
                case Op.Sraiw: x[d.Rd] = (ulong)(long)((int)x[d.Rs1] >> (int)d.Imm); break;
                case Op.Addw: x[d.Rd] = (ulong)(long)(int)(x[d.Rs1] + x[d.Rs2]); break;
                case Op.Subw: x[d.Rd] = (ulong)(long)(int)(x[d.Rs1] - x[d.Rs2]); break;
                case Op.Sllw: x[d.Rd] = (ulong)(long)(int)((uint)x[d.Rs1] << (int)(x[d.Rs2] & 31)); break;
                case Op.Srlw: x[d.Rd] = (ulong)(long)(int)((uint)x[d.Rs1] >> (int)(x[d.Rs2] & 31)); break;
                case Op.Sraw: x[d.Rd] = (ulong)(long)((int)x[d.Rs1] >> (int)(x[d.Rs2] & 31)); break;

                case Op.Mul: x[d.Rd] = x[d.Rs1] * x[d.Rs2]; break;
                case Op.Mulh: x[d.Rd] = (ulong)Math.BigMul((long)x[d.Rs1], (long)x[d.Rs2], out _); break;
                case Op.Mulhu: x[d.Rd] = Math.BigMul(x[d.Rs1], x[d.Rs2], out _); break;
                case Op.Mulhsu: x[d.Rd] = MulHsu((long)x[d.Rs1], x[d.Rs2]); break;
                case Op.Div: x[d.Rd] = Div((long)x[d.Rs1], (long)x[d.Rs2]); break;
                case Op.Divu: x[d.Rd] = x[d.Rs2] == 0 ? ulong.MaxValue : x[d.Rs1] / x[d.Rs2]; break;
                case Op.Rem: x[d.Rd] = Rem((long)x[d.Rs1], (long)x[d.Rs2]); break;
                case Op.Remu: x[d.Rd] = x[d.Rs2] == 0 ? x[d.Rs1] : x[d.Rs1] % x[d.Rs2]; break;
                case Op.Mulw: x[d.Rd] = (ulong)(long)(int)((uint)x[d.Rs1] * (uint)x[d.Rs2]); break;
                case Op.Divw: x[d.Rd] = (ulong)(long)(int)Div((int)x[d.Rs1], (int)x[d.Rs2]); break;
                case Op.Divuw:
                    x[d.Rd] = (uint)x[d.Rs2] == 0 ? ulong.MaxValue : (ulong)(long)(int)((uint)x[d.Rs1] / (uint)x[d.Rs2]);
                    break;
                case Op.Remw: x[d.Rd] = (ulong)(long)(int)Rem((int)x[d.Rs1], (int)x[d.Rs2]); break;
                case Op.Remuw:
                    x[d.Rd] = (uint)x[d.Rs2] == 0
                        ? (ulong)(long)(int)x[d.Rs1]
                        : (ulong)(long)(int)((uint)x[d.Rs1] % (uint)x[d.Rs2]);
                    break;

                case Op.Fence: break;
                case Op.FenceI: break;

                case Op.Breakpoint:
                    // The shared code cache marks every hart's breakpoints: stop only at this hart's own.
                    if (pc == _resumePc) _resumePc = NoPc;
                    else if (_breakpoints.Contains(pc))
                    {
                        Pc = pc;
                        Icount = ic;
                        return CpuStop.Breakpoint;
                    }
                    Pc = pc;
                    if (!FetchUncached(pc, out _scratch))
                    {
                        next = Pc;
                        break;
                    }
                    d = ref _scratch;
                    goto dispatch;
                case Op.CrossPage:
                    Pc = pc;
                    if (!FetchUncached(pc, out _scratch))
                    {
                        next = Pc;
                        break;
                    }
                    d = ref _scratch;
                    goto dispatch;

                default:
                    // Everything rarer goes through one call so the switch above stays compact.
                    Pc = pc;
                    Icount = ic;
                    // A copy: the instruction may write its own code page, which drops the decoded slot.
                    _scratch = d;
                    Counters.RareOps[(int)d.Op]++;
                    next = ExecuteSystem(ref _scratch, next);
                    if (_sliceEnd == 0 && _waiting)
                    {
                        Pc = next;
                        Icount = ic + 1;
                        return CpuStop.Idle;
                    }
                    break;
            }
            // A taken jump or branch, or a trap: where blocks start.
            atTarget = next - pc != d.Length;
            pc = next;
            ic++;
        }
        Pc = pc;
        Icount = ic;
        if (_watchStopPending)
        {
            // The watched access was refused before it happened: its instruction did not retire.
            _watchStopPending = false;
            Icount = ic - 1;
            _watchStopAt = Icount;
            return CpuStop.Watchpoint;
        }
        return _yieldRequested ? CpuStop.Yield : CpuStop.Limit;
    }

    private static ulong MulHsu(long a, ulong b)
    {
        ulong hi = Math.BigMul((ulong)a, b, out _);
        return a < 0 ? hi - b : hi;
    }

    private static ulong Div(long a, long b) =>
        b == 0 ? ulong.MaxValue : (a == long.MinValue && b == -1) ? (ulong)a : (ulong)(a / b);

    private static ulong Rem(long a, long b) =>
        b == 0 ? (ulong)a : (a == long.MinValue && b == -1) ? 0 : (ulong)(a % b);
}
