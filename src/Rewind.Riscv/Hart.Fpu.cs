using Rewind.Riscv.Decode;
using Rewind.Riscv.Fpu;

namespace Rewind.Riscv;

/// <summary>
/// F and D extensions: 32 64-bit FP registers (singles NaN-boxed), fcsr, and the instructions, computed
/// in software by <see cref="SoftFloat"/>. mstatus.FS resets to Off; while it is Off every FP
/// instruction and FP CSR access is illegal. Writing FP registers or changing fflags/frm marks FS Dirty.
/// </summary>
public sealed partial class Hart
{
    private const ulong BoxUpper = 0xffffffff00000000;
    private const uint CanonicalNaNSingle = 0x7fc00000;

    private readonly ulong[] _f = new ulong[32];
    private uint _fflags;
    private uint _frm;

    /// <summary>Raw FP register (a single is NaN-boxed, as stored).</summary>
    public ulong GetF(int index) => _f[index];

    /// <summary>Sets a raw FP register (debugger access: no mstatus.FS check or update).</summary>
    public void SetF(int index, ulong value) => _f[index] = value;

    private void ResetFpu()
    {
        Array.Clear(_f);
        _fflags = 0;
        _frm = 0;
    }

    private void SaveFpu(BinaryWriter w)
    {
        for (int i = 0; i < 32; i++) w.Write(_f[i]);
        w.Write((byte)(_fflags | (_frm << 5)));
    }

    private void LoadFpu(BinaryReader r)
    {
        for (int i = 0; i < 32; i++) _f[i] = r.ReadUInt64();
        byte fcsr = r.ReadByte();
        _fflags = fcsr & 0x1fu;
        _frm = (uint)fcsr >> 5;
    }

    private bool FpuEnabled => (_mstatus & Riscv.Mstatus.Fs) != 0;

    private void MarkFpDirty() => _mstatus |= Riscv.Mstatus.Fs;

    /// <summary>
    /// fflags, frm or fcsr as a debugger reads them: whatever mstatus.FS says, as QEMU's gdbstub reads
    /// them (its FS predicate lets the debugger through). GDB reads them when it stores a register,
    /// and a guest that never enabled the FPU must not make that fail.
    /// </summary>
    public ulong DebugReadFpuCsr(ushort csr) => csr switch
    {
        Csr.Fflags => _fflags,
        Csr.Frm => _frm,
        _ => _fflags | (_frm << 5),
    };

    private bool FpuCsrRead(ushort csr, out ulong value)
    {
        value = 0;
        if (!FpuEnabled) return false;
        value = csr switch
        {
            Csr.Fflags => _fflags,
            Csr.Frm => _frm,
            _ => _fflags | (_frm << 5),
        };
        return true;
    }

    private bool FpuCsrWrite(ushort csr, ulong value)
    {
        if (!FpuEnabled) return false;
        switch (csr)
        {
            case Csr.Fflags: _fflags = (uint)value & 0x1f; break;
            case Csr.Frm: _frm = (uint)value & 7; break;
            default:
                _fflags = (uint)value & 0x1f;
                _frm = ((uint)value >> 5) & 7;
                break;
        }
        MarkFpDirty();
        return true;
    }

    private static ulong Unbox(ulong v) => (v >> 32) == 0xffffffff ? (uint)v : CanonicalNaNSingle;

    /// <summary>The instruction's rounding mode (rm, or frm when rm = 7); false if it names no valid mode.</summary>
    private bool TryRoundingMode(ref DecodedInsn d, out RoundingMode rm)
    {
        uint r = ((uint)d.Aux >> 8) & 7;
        if (r == 7) r = _frm;
        rm = (RoundingMode)r;
        return r <= 4;
    }

    private void AccrueFlags(uint flags)
    {
        if ((flags & ~_fflags) == 0) return;
        _fflags |= flags;
        MarkFpDirty();
    }

    private ulong ExecuteFloat(ref DecodedInsn d, ulong next)
    {
        if (!FpuEnabled) return Illegal();
        Op op = d.Op;
        int rd = d.Rd & 31;
        switch (op)
        {
            case Op.Flw:
            case Op.Fld:
                {
                    bool word = op == Op.Flw;
                    if (!LoadSlow(GetX(d.Rs1) + (ulong)d.Imm, word ? 4 : 8, out ulong v)) return Pc;
                    _f[rd] = word ? BoxUpper | (uint)v : v;
                    MarkFpDirty();
                    return next;
                }
            case Op.Fsw:
            case Op.Fsd:
                {
                    bool word = op == Op.Fsw;
                    if (!StoreSlow(GetX(d.Rs1) + (ulong)d.Imm, word ? 4 : 8, _f[d.Rs2])) return Pc;
                    return next;
                }
            case Op.FcvtSD:
            case Op.FcvtDS:
                {
                    if (!TryRoundingMode(ref d, out var rm)) return Illegal();
                    uint flags = 0;
                    _f[rd] = op == Op.FcvtSD
                        ? BoxUpper | SoftFloat.Convert(_f[d.Rs1], FloatFormat.Double, FloatFormat.Single, rm, ref flags)
                        : SoftFloat.Convert(Unbox(_f[d.Rs1]), FloatFormat.Single, FloatFormat.Double, rm, ref flags);
                    MarkFpDirty();
                    AccrueFlags(flags);
                    return next;
                }
        }

        bool dbl = op >= Op.FmaddD;
        Op k = dbl ? op - (Op.FmaddD - Op.FmaddS) : op;
        var f = dbl ? FloatFormat.Double : FloatFormat.Single;
        ulong a = dbl ? _f[d.Rs1] : Unbox(_f[d.Rs1]);
        ulong b = dbl ? _f[d.Rs2] : Unbox(_f[d.Rs2]);
        uint fl = 0;
        ulong result;
        bool toInt = false;
        switch (k)
        {
            case Op.FmaddS:
            case Op.FmsubS:
            case Op.FnmsubS:
            case Op.FnmaddS:
                {
                    if (!TryRoundingMode(ref d, out var rm)) return Illegal();
                    int rs3 = d.Aux & 31;
                    ulong c = dbl ? _f[rs3] : Unbox(_f[rs3]);
                    bool negProduct = k is Op.FnmsubS or Op.FnmaddS;
                    bool negAddend = k is Op.FmsubS or Op.FnmaddS;
                    result = SoftFloat.MulAdd(a, b, c, negProduct, negAddend, f, rm, ref fl);
                    break;
                }
            case Op.FaddS:
            case Op.FsubS:
            case Op.FmulS:
            case Op.FdivS:
            case Op.FsqrtS:
                {
                    if (!TryRoundingMode(ref d, out var rm)) return Illegal();
                    result = k switch
                    {
                        Op.FaddS => SoftFloat.Add(a, b, f, rm, ref fl),
                        Op.FsubS => SoftFloat.Sub(a, b, f, rm, ref fl),
                        Op.FmulS => SoftFloat.Mul(a, b, f, rm, ref fl),
                        Op.FdivS => SoftFloat.Div(a, b, f, rm, ref fl),
                        _ => SoftFloat.Sqrt(a, f, rm, ref fl),
                    };
                    break;
                }
            case Op.FsgnjS: result = (a & ~f.SignBit) | (b & f.SignBit); break;
            case Op.FsgnjnS: result = (a & ~f.SignBit) | (~b & f.SignBit); break;
            case Op.FsgnjxS: result = a ^ (b & f.SignBit); break;
            case Op.FminS: result = SoftFloat.MinMax(a, b, max: false, f, ref fl); break;
            case Op.FmaxS: result = SoftFloat.MinMax(a, b, max: true, f, ref fl); break;
            case Op.FcvtWS:
            case Op.FcvtWuS:
            case Op.FcvtLS:
            case Op.FcvtLuS:
                {
                    if (!TryRoundingMode(ref d, out var rm)) return Illegal();
                    bool signed = k is Op.FcvtWS or Op.FcvtLS;
                    int bits = k is Op.FcvtWS or Op.FcvtWuS ? 32 : 64;
                    result = SoftFloat.ToInt(a, f, signed, bits, rm, ref fl);
                    toInt = true;
                    break;
                }
            case Op.FcvtSW:
            case Op.FcvtSWu:
            case Op.FcvtSL:
            case Op.FcvtSLu:
                {
                    if (!TryRoundingMode(ref d, out var rm)) return Illegal();
                    bool signed = k is Op.FcvtSW or Op.FcvtSL;
                    int bits = k is Op.FcvtSW or Op.FcvtSWu ? 32 : 64;
                    result = SoftFloat.FromInt(GetX(d.Rs1), signed, bits, f, rm, ref fl);
                    break;
                }
            case Op.FmvXW:
                result = dbl ? _f[d.Rs1] : (ulong)(long)(int)_f[d.Rs1];
                toInt = true;
                break;
            case Op.FmvWX: result = dbl ? GetX(d.Rs1) : (uint)GetX(d.Rs1); break;
            case Op.FclassS: result = SoftFloat.Classify(a, f); toInt = true; break;
            case Op.FeqS: result = SoftFloat.Eq(a, b, f, ref fl) ? 1UL : 0; toInt = true; break;
            case Op.FltS: result = SoftFloat.Lt(a, b, orEqual: false, f, ref fl) ? 1UL : 0; toInt = true; break;
            case Op.FleS: result = SoftFloat.Lt(a, b, orEqual: true, f, ref fl) ? 1UL : 0; toInt = true; break;
            default: return Illegal();
        }
        if (toInt)
        {
            _regs[d.Rd] = result;
        }
        else
        {
            _f[rd] = dbl ? result : BoxUpper | result;
            MarkFpDirty();
        }
        AccrueFlags(fl);
        return next;
    }
}
