using Rewind.Core.Cpu;
using Rewind.Core.Memory;

namespace Rewind.Arm64;

internal enum Access : byte { Read, Write, Fetch }

/// <summary>
/// Loads, stores and fetches: stage 1 translation when SCTLR_EL1.M is set, RAM through its pointer,
/// devices through the bus, watchpoints, and the aborts all of these may raise.
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    private bool MmuOn => (_sctlr & 1) != 0;

    private ulong Translate(ulong va, Access access)
    {
        if (!MmuOn) return va;
        return TranslateWithTlb(va, access, El);
    }

    private void CheckWatch(ulong va, int size, Access access)
    {
        var list = _watchpoints;
        if (list == null || list.Count == 0 || LastWatchHit != null || Icount == _watchStopAt) return;
        foreach (var w in list)
        {
            if (va >= w.Address + w.Length || w.Address >= va + (ulong)size) continue;
            bool match = w.Kind switch
            {
                WatchKind.Write => access == Access.Write,
                WatchKind.Read => access == Access.Read,
                _ => true,
            };
            if (!match) continue;
            LastWatchHit = new WatchHit(w.Kind, Math.Max(va, w.Address));
            throw ArmFault.WatchStop;
        }
    }

    internal ulong Load(ulong va, int size)
    {
        if (_watchpoints != null) CheckWatch(va, size, Access.Read);
        if (((va ^ (va + (ulong)size - 1)) >> PhysicalMemory.PageShift) != 0 && MmuOn)
        {
            // Crosses a page: each byte translated on its own (either page may fault).
            ulong v = 0;
            for (int i = 0; i < size; i++) v |= LoadPhysical(Translate(va + (ulong)i, Access.Read), 1, va) << (8 * i);
            return v;
        }
        return LoadPhysical(Translate(va, Access.Read), size, va);
    }

    private ulong LoadPhysical(ulong pa, int size, ulong va)
    {
        ulong off = pa - _ramBase;
        if (off < _ramSize && off + (ulong)size <= _ramSize)
        {
            byte* p = _ramPtr + off;
            return size switch
            {
                1 => *p,
                2 => *(ushort*)p,
                4 => *(uint*)p,
                _ => *(ulong*)p,
            };
        }
        if (_spinExamining && !_bus.IsSteadyRead(pa, size)) _spinUnsteady = true;
        if (_bus.TryRead(pa, size, out ulong value)) return value;
        throw ArmFault.Exception(ExceptionClass.DataAbort, 0x10, va);
    }

    internal void Store(ulong va, int size, ulong value)
    {
        if (_watchpoints != null) CheckWatch(va, size, Access.Write);
        if (((va ^ (va + (ulong)size - 1)) >> PhysicalMemory.PageShift) != 0 && MmuOn)
        {
            // Translate both pages before writing anything, so a fault leaves memory untouched.
            _ = Translate(va, Access.Write);
            _ = Translate(va + (ulong)size - 1, Access.Write);
            for (int i = 0; i < size; i++) StorePhysical(Translate(va + (ulong)i, Access.Write), 1, value >> (8 * i), va);
            return;
        }
        StorePhysical(Translate(va, Access.Write), size, value, va);
    }

    private void StorePhysical(ulong pa, int size, ulong value, ulong va)
    {
        ulong off = pa - _ramBase;
        if (off < _ramSize && off + (ulong)size <= _ramSize)
        {
            byte* p = _ramPtr + off;
            switch (size)
            {
                case 1: *p = (byte)value; break;
                case 2: *(ushort*)p = (ushort)value; break;
                case 4: *(uint*)p = (uint)value; break;
                default: *(ulong*)p = value; break;
            }
            _ram.NoteWrite(off);
            if (((off + (ulong)size - 1) >> PhysicalMemory.PageShift) != off >> PhysicalMemory.PageShift)
                _ram.NoteWrite(off + (ulong)size - 1);
            return;
        }
        if (!_bus.TryWrite(pa, size, value))
            throw ArmFault.Exception(ExceptionClass.DataAbort, 1u << 6 | 0x10, va);
    }

    private uint Fetch(ulong pc)
    {
        if ((pc & 3) != 0) throw ArmFault.Exception(ExceptionClass.PcAlignment, 0, pc);
        ulong pa = MmuOn ? TranslateWithTlb(pc, Access.Fetch, El) : pc;
        ulong off = pa - _ramBase;
        if (off < _ramSize) return *(uint*)(_ramPtr + off);
        if (_bus.TryRead(pa, 4, out ulong v)) return (uint)v;
        throw ArmFault.Exception(ExceptionClass.InstructionAbort, 0x10, pc);
    }

    /// <summary>Reads memory as this CPU translates it, with no side effects (debugger access).</summary>
    public int DebugRead(ulong address, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length;)
        {
            ulong va = address + (ulong)i;
            if (!DebugTranslate(va, out ulong pa)) return i;
            int chunk = (int)Math.Min((ulong)(destination.Length - i), PhysicalMemory.PageSize - (va & (PhysicalMemory.PageSize - 1)));
            int n = _bus.ReadBytes(pa, destination.Slice(i, chunk));
            i += n;
            if (n < chunk) return i;
        }
        return destination.Length;
    }

    public int DebugWrite(ulong address, ReadOnlySpan<byte> source)
    {
        for (int i = 0; i < source.Length;)
        {
            ulong va = address + (ulong)i;
            if (!DebugTranslate(va, out ulong pa)) return i;
            int chunk = (int)Math.Min((ulong)(source.Length - i), PhysicalMemory.PageSize - (va & (PhysicalMemory.PageSize - 1)));
            int n = _bus.WriteBytes(pa, source.Slice(i, chunk));
            i += n;
            if (n < chunk) return i;
        }
        return source.Length;
    }

    public bool TryTranslate(ulong address, out ulong physical) => DebugTranslate(address, out physical);

    private bool DebugTranslate(ulong va, out ulong pa)
    {
        pa = va;
        if (!MmuOn) return true;
        var result = Walk(va);
        if (result.Fault != 0) return false;
        pa = result.Pa;
        return true;
    }
}
