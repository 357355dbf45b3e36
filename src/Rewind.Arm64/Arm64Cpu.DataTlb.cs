using System.Runtime.CompilerServices;

namespace Rewind.Arm64;

/// <summary>
/// The data TLB of the fast path: direct-mapped arrays for loads and stores whose entries map a virtual
/// page straight to its RAM offset, so an access that hits costs a compare and an add. An entry is made
/// only after the full path (<see cref="Load"/>, <see cref="Store"/>) has done the same access to a RAM
/// page without a fault, so it holds exactly what that path would find again: the translation and the
/// permission for this exception level (part of the key). Whatever can change either flushes it with the
/// TLB (<see cref="FlushTlb"/>: translation register writes, TLBI, restores) or changes the key (the
/// exception level); while watchpoints are set, every access takes the full path. Stores that hit still
/// report to <see cref="Rewind.Core.Memory.PhysicalMemory.NoteWrite"/> (dirty pages for snapshots, decoded code).
/// </summary>
public sealed unsafe partial class Arm64Cpu
{
    private const int DataTlbBits = 8;
    private const int DataTlbMask = (1 << DataTlbBits) - 1;
    /// <summary>Entries in each of the read and write arrays (native code indexes them itself).</summary>
    internal const int DataTlbEntries = 1 << DataTlbBits;
    /// <summary>A key bit no entry carries: lookups made with it always miss (watchpoints set).</summary>
    private const ulong DataTlbNever = 8;

    /// <summary>
    /// A write entry's key bit for a page that was not just dirty when mapped (clean, or watched for code), or
    /// has left that state since (<see cref="RevokeFastWrites"/>). The interpreter ignores it (it reports every
    /// store to NoteWrite anyway); native code's lookup misses on it, and its out-of-line path then tests the
    /// page's flags, so that a hit without the bit needs no test: a page mapped without it is dirty and unwatched.
    /// </summary>
    internal const ulong SlowWriteBit = 16;

    private struct DataTlbEntry
    {
        /// <summary>Page-aligned virtual address | context bits; 0 never matches.</summary>
        public ulong Key;
        /// <summary>RAM offset minus virtual address.</summary>
        public ulong Offset;
        /// <summary>Host address minus virtual address: native code's hit is then one add (<see cref="Jit.ArmNativeContext.TlbEntryBytes"/>).</summary>
        public ulong Host;
        private readonly ulong _padding;
    }

    // Both arrays live in the native context's pinned block (ArmNativeContext.TlbReadAt), which native code reaches
    // at fixed offsets from its context register.
    private DataTlbEntry* _dataTlbRead, _dataTlbWrite;
    private bool _dataTlbFilled;
    /// <summary>Low bits of every key: valid, and the exception level (EL0 and EL1 are permitted differently); or DataTlbNever.</summary>
    private ulong _dataContext = 1;

    private void SetUpDataTlb()
    {
        _dataTlbRead = (DataTlbEntry*)((byte*)NativeContextPointer + Jit.ArmNativeContext.TlbReadAt);
        _dataTlbWrite = (DataTlbEntry*)((byte*)NativeContextPointer + Jit.ArmNativeContext.TlbWriteAt);
    }

    /// <summary>The key bits from the exception level and watchpoints; called wherever either changes.</summary>
    private void UpdateDataContext()
    {
        _dataContext = _watchpoints != null ? DataTlbNever : 1UL | (ulong)El << 1;
        UpdateFastAccessLimit();
        ForgetFetchPage();
    }

    /// <summary>
    /// Untranslated accesses (MMU off, no watchpoints) with a RAM offset below this are served inline with
    /// no lookup at all; 0 (no offset is below it) while translation or watchpoints need the full path.
    /// </summary>
    private ulong _fastAccessLimit;

    private void UpdateFastAccessLimit() =>
        _fastAccessLimit = MmuOn || _watchpoints != null || _ramSize < 8 ? 0 : _ramSize - 7;

    /// <summary>
    /// True, with <paramref name="off"/> set to the RAM offset, when the read TLB maps va's page and an access of
    /// up to 8 bytes stays in it: the key is made from the address of the access's eighth byte, which is on
    /// va's page exactly when (va &amp; 0xfff) &lt;= 0xff8, so one compare tests both.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool DataTlbLoadHit(ulong va, ref ulong off)
    {
        // The key of the access's last byte (of up to 8): an access that runs into the next page misses.
        DataTlbEntry* e = _dataTlbRead + ((int)(va >> 12) & DataTlbMask);
        if (e->Key != (((va + 7) & ~0xfffUL) | _dataContext)) return false;
        off = va + e->Offset;
        return true;
    }

    /// <summary>As <see cref="DataTlbLoadHit"/> for stores; the caller reports the write to NoteWrite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool DataTlbStoreHit(ulong va, ref ulong off)
    {
        DataTlbEntry* e = _dataTlbWrite + ((int)(va >> 12) & DataTlbMask);
        if ((e->Key & ~SlowWriteBit) != (((va + 7) & ~0xfffUL) | _dataContext)) return false;
        off = va + e->Offset;
        return true;
    }

    private void FlushDataTlb()
    {
        ForgetFetchPage();
        UpdateFastAccessLimit();
        if (!_dataTlbFilled) return;
        _dataTlbFilled = false;
        new Span<DataTlbEntry>(_dataTlbRead, 2 << DataTlbBits).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong LoadData(ulong va, int size)
    {
        DataTlbEntry* e = _dataTlbRead + ((int)(va >> 12) & DataTlbMask);
        if (e->Key == (((va + 7) & ~0xfffUL) | _dataContext))
        {
            byte* p = _ramPtr + (va + e->Offset);
            return size switch
            {
                1 => *p,
                2 => *(ushort*)p,
                4 => *(uint*)p,
                _ => *(ulong*)p,
            };
        }
        return LoadAndFill(va, size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreData(ulong va, int size, ulong value)
    {
        DataTlbEntry* e = _dataTlbWrite + ((int)(va >> 12) & DataTlbMask);
        if ((e->Key & ~SlowWriteBit) == (((va + 7) & ~0xfffUL) | _dataContext))
        {
            ulong off = va + e->Offset;
            byte* p = _ramPtr + off;
            switch (size)
            {
                case 1: *p = (byte)value; break;
                case 2: *(ushort*)p = (ushort)value; break;
                case 4: *(uint*)p = (uint)value; break;
                default: *(ulong*)p = value; break;
            }
            _ram.NoteWrite(off);
            return;
        }
        StoreAndFill(va, size, value);
    }

    private ulong LoadAndFill(ulong va, int size)
    {
        ulong value = Load(va, size);
        FillDataTlb(va, Access.Read);
        return value;
    }

    private void StoreAndFill(ulong va, int size, ulong value)
    {
        Store(va, size, value);
        FillDataTlb(va, Access.Write);
    }

    /// <summary>After an access at va succeeded through the full path: remembers its page if it is RAM.</summary>
    private void FillDataTlb(ulong va, Access access)
    {
        if (_dataContext == DataTlbNever) return;
        // The access succeeded, so the translation is in the TLB and the permission holds: this only looks it up.
        ulong pa = MmuOn ? TranslateWithTlb(va, access, El) : va;
        ulong off = (pa & ~0xfffUL) - _ramBase;
        if (off >= _ramSize) return;
        DataTlbEntry* e = (access == Access.Write ? _dataTlbWrite : _dataTlbRead) + ((int)(va >> 12) & DataTlbMask);
        ulong key = (va & ~0xfffUL) | _dataContext;
        if (access == Access.Write)
        {
            int page = (int)(off >> Core.Memory.PhysicalMemory.PageShift);
            if (_pageFlags[page] == Core.Memory.PhysicalMemory.DirtyFlag) _ram.NoteFastWrites(page);
            else key |= SlowWriteBit;
        }
        e->Key = key;
        e->Offset = off - (va & ~0xfffUL);
        e->Host = (ulong)_ramPtr + e->Offset;
        _dataTlbFilled = true;
    }

    /// <summary>
    /// Stores to RAM page <paramref name="page"/> (every page for -1) must test its flags again: the write entries
    /// mapping it get <see cref="SlowWriteBit"/>; for every page they are dropped instead (the dirty set was
    /// cleared, for a snapshot), so that each is mapped again, fast, by the store that dirties it next.
    /// </summary>
    private void RevokeFastWrites(int page)
    {
        if (!_dataTlbFilled) return;
        if (page < 0)
        {
            new Span<DataTlbEntry>(_dataTlbWrite, DataTlbEntries).Clear();
            return;
        }
        for (int i = 0; i < DataTlbEntries; i++)
        {
            ref DataTlbEntry e = ref _dataTlbWrite[i];
            if (e.Key == 0) continue;
            ulong ramPage = ((e.Key & ~0xfffUL) + e.Offset) >> Core.Memory.PhysicalMemory.PageShift;
            if (ramPage == (ulong)page) e.Key |= SlowWriteBit;
        }
    }
}
