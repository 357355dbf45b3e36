using Rewind.Core.Bus;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Devices;

/// <summary>
/// The core-local interruptor: software interrupts (MSIP) and the machine timer (MTIP) for each hart.
/// mtime is computed from the instruction count, never counted, so it costs nothing between accesses
/// and needs no logging; a guest write to mtime only moves an offset.
/// </summary>
public sealed class Clint : IMmioDevice, ITimedDevice, ITimebase, IStateful
{
    public const ulong MtimecmpBase = 0x4000;
    public const ulong MtimeOffset = 0xbff8;
    private const int MsipBit = 3, MtipBit = 7;

    private readonly IInterruptTarget[] _harts;
    private readonly IRunControl _run;
    private readonly bool[] _msip;
    private readonly ulong[] _mtimecmp;
    private readonly bool[] _mtip;
    private ulong _mtimeOffset;

    public Clint(IReadOnlyList<IInterruptTarget> harts, IRunControl run)
    {
        if (harts.Count == 0 || harts.Count > 4095) throw new ArgumentException("the CLINT serves 1 to 4095 harts", nameof(harts));
        _harts = [.. harts];
        _run = run;
        _msip = new bool[_harts.Length];
        _mtimecmp = new ulong[_harts.Length];
        _mtip = new bool[_harts.Length];
        Array.Fill(_mtimecmp, ulong.MaxValue);
    }

    public string Name => "clint";

    public int HartCount => _harts.Length;

    public ulong MtimeAt(ulong icount) => _run.Clock.TicksAt(icount) + _mtimeOffset;

    public ulong ReadTime() => MtimeAt(_run.Icount);

    public ulong GetMtimecmp(int hart) => _mtimecmp[hart];

    public ulong Read(ulong offset, int size)
    {
        if (offset < MtimecmpBase)
        {
            int hart = (int)(offset >> 2);
            return hart < _harts.Length && (offset & 3) == 0 ? (_msip[hart] ? 1UL : 0) : 0;
        }
        if (offset >= MtimeOffset && offset < MtimeOffset + 8)
            return Slice(ReadTime(), offset - MtimeOffset, size);
        if (offset < MtimecmpBase + 8 * (ulong)_harts.Length)
        {
            ulong rel = offset - MtimecmpBase;
            return Slice(_mtimecmp[rel >> 3], rel & 7, size);
        }
        return 0;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset < MtimecmpBase)
        {
            int hart = (int)(offset >> 2);
            if (hart >= _harts.Length || (offset & 3) != 0) return;
            bool level = (value & 1) != 0;
            if (level == _msip[hart]) return;
            _msip[hart] = level;
            _harts[hart].SetInterruptPending(MsipBit, level);
            _run.EndSlice();
            return;
        }
        ulong icount = _run.Icount;
        if (offset >= MtimeOffset && offset < MtimeOffset + 8)
        {
            ulong now = MtimeAt(icount);
            ulong updated = Merge(now, offset - MtimeOffset, size, value);
            _mtimeOffset = updated - _run.Clock.TicksAt(icount);
        }
        else if (offset < MtimecmpBase + 8 * (ulong)_harts.Length)
        {
            ulong rel = offset - MtimecmpBase;
            int hart = (int)(rel >> 3);
            _mtimecmp[hart] = Merge(_mtimecmp[hart], rel & 7, size, value);
        }
        else
        {
            return;
        }
        Advance(icount);
        // The deadline moved, so the slice the run loop planned may end too late.
        _run.EndSlice();
    }

    private static ulong Slice(ulong register, ulong byteOffset, int size)
    {
        ulong v = register >> (int)(byteOffset * 8);
        return size >= 8 ? v : v & ((1UL << (size * 8)) - 1);
    }

    private static ulong Merge(ulong register, ulong byteOffset, int size, ulong value)
    {
        int shift = (int)(byteOffset * 8);
        if (size >= 8 && shift == 0) return value;
        ulong mask = (size >= 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1) << shift;
        return (register & ~mask) | ((value << shift) & mask);
    }

    public ulong NextDeadline(ulong icount)
    {
        ulong best = ulong.MaxValue;
        for (int h = 0; h < _harts.Length; h++)
        {
            if (_mtip[h]) continue;
            best = Math.Min(best, IcountWhenMtimeReaches(_mtimecmp[h], icount));
        }
        return best;
    }

    /// <summary>The first count, from <paramref name="icount"/> on, at which mtime &gt;= <paramref name="compare"/>; ulong.MaxValue for never.</summary>
    public ulong IcountWhenMtimeReaches(ulong compare, ulong icount)
    {
        if (compare == ulong.MaxValue) return ulong.MaxValue;
        ulong mtime = MtimeAt(icount);
        if (mtime >= compare) return icount;
        ulong ticks = _run.Clock.TicksAt(icount);
        ulong target = ticks + (compare - mtime);
        if (target < ticks) return ulong.MaxValue; // beyond the end of time
        return _run.Clock.IcountForTicks(target);
    }

    public void Advance(ulong icount)
    {
        ulong mtime = MtimeAt(icount);
        for (int h = 0; h < _harts.Length; h++)
        {
            bool level = mtime >= _mtimecmp[h];
            if (level == _mtip[h]) continue;
            _mtip[h] = level;
            _harts[h].SetInterruptPending(MtipBit, level);
        }
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_harts.Length);
        writer.Write(_mtimeOffset);
        for (int h = 0; h < _harts.Length; h++)
        {
            writer.Write(_msip[h]);
            writer.Write(_mtimecmp[h]);
            writer.Write(_mtip[h]);
        }
    }

    public void LoadState(BinaryReader reader)
    {
        int n = reader.ReadInt32();
        if (n != _harts.Length) throw new InvalidDataException($"CLINT snapshot is for {n} harts, this machine has {_harts.Length}");
        _mtimeOffset = reader.ReadUInt64();
        for (int h = 0; h < n; h++)
        {
            _msip[h] = reader.ReadBoolean();
            _mtimecmp[h] = reader.ReadUInt64();
            _mtip[h] = reader.ReadBoolean();
            // Drive the outputs unconditionally: the harts may still hold levels from another point in time.
            _harts[h].SetInterruptPending(MsipBit, _msip[h]);
            _harts[h].SetInterruptPending(MtipBit, _mtip[h]);
        }
    }
}
