using Rewind.Core.Bus;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Devices;

/// <summary>
/// The platform-level interrupt controller of QEMU's virt board: level-triggered sources with
/// priorities 0..7, two contexts per hart (M then S). A source's pending bit follows its input level
/// while it is not claimed; completing a source whose input is still high makes it pending again.
/// </summary>
public sealed class Plic : IMmioDevice, IIrqSink, IStateful
{
    public const ulong PendingBase = 0x1000;
    public const ulong EnableBase = 0x2000;
    public const ulong EnableStride = 0x80;
    public const ulong ContextBase = 0x200000;
    public const ulong ContextStride = 0x1000;
    /// <summary>Offsets inside a context's block: priority threshold, and claim (read) / complete (write).</summary>
    private const ulong ThresholdOffset = 0, ClaimCompleteOffset = 4;
    public const uint PriorityMask = 7;
    private const int MeipBit = 11, SeipBit = 9;

    private readonly IInterruptTarget[] _harts;
    private readonly IRunControl _run;
    private readonly int _sources;
    private readonly int _words;
    private readonly uint[] _priority;
    private readonly uint[] _level;
    private readonly uint[] _pending;
    private readonly uint[] _claimed;
    private readonly uint[] _enable; // context-major, _words per context
    private readonly uint[] _threshold;
    private readonly bool[] _output;

    public Plic(IReadOnlyList<IInterruptTarget> harts, IRunControl run, int sources = VirtMemoryMap.PlicSources)
    {
        if (harts.Count == 0) throw new ArgumentException("the PLIC needs at least one hart", nameof(harts));
        if (sources < 2 || sources > 1024) throw new ArgumentOutOfRangeException(nameof(sources));
        _harts = [.. harts];
        _run = run;
        _sources = sources;
        _words = (sources + 31) / 32;
        _priority = new uint[sources];
        _level = new uint[_words];
        _pending = new uint[_words];
        _claimed = new uint[_words];
        _enable = new uint[_words * ContextCount];
        _threshold = new uint[ContextCount];
        _output = new bool[ContextCount];
    }

    public string Name => "plic";

    public int ContextCount => _harts.Length * 2;

    /// <summary>Sources 1..Sources-1 are usable; 0 means "none".</summary>
    public int Sources => _sources;

    public bool IsPending(int source) => (_pending[source >> 5] & (1u << (source & 31))) != 0;

    public void SetIrq(int line, bool level)
    {
        if (line <= 0 || line >= _sources) return;
        int w = line >> 5;
        uint bit = 1u << (line & 31);
        if (level) _level[w] |= bit; else _level[w] &= ~bit;
        if ((_claimed[w] & bit) == 0)
        {
            if (level) _pending[w] |= bit; else _pending[w] &= ~bit;
        }
        UpdateOutputs();
    }

    public ulong Read(ulong offset, int size)
    {
        if (offset < (ulong)_sources * 4)
            return (offset & 3) == 0 ? _priority[offset >> 2] : 0;
        if (offset >= PendingBase && offset < PendingBase + (ulong)_words * 4)
            return (offset & 3) == 0 ? _pending[(offset - PendingBase) >> 2] : 0;
        if (offset >= EnableBase && offset < EnableBase + EnableStride * (ulong)ContextCount)
        {
            ulong rel = offset - EnableBase;
            int ctx = (int)(rel / EnableStride);
            int word = (int)((rel % EnableStride) >> 2);
            return word < _words && (offset & 3) == 0 ? _enable[ctx * _words + word] : 0;
        }
        if (offset >= ContextBase && offset < ContextBase + ContextStride * (ulong)ContextCount)
        {
            ulong rel = offset - ContextBase;
            int ctx = (int)(rel / ContextStride);
            return (rel % ContextStride) switch
            {
                ThresholdOffset => _threshold[ctx],
                ClaimCompleteOffset => Claim(ctx),
                _ => 0,
            };
        }
        return 0;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        uint v = (uint)value;
        if (offset < (ulong)_sources * 4)
        {
            int src = (int)(offset >> 2);
            if ((offset & 3) != 0 || src == 0) return;
            _priority[src] = v & PriorityMask;
            UpdateOutputs();
            return;
        }
        if (offset >= EnableBase && offset < EnableBase + EnableStride * (ulong)ContextCount)
        {
            ulong rel = offset - EnableBase;
            int ctx = (int)(rel / EnableStride);
            int word = (int)((rel % EnableStride) >> 2);
            if (word >= _words || (offset & 3) != 0) return;
            if (word == 0) v &= ~1u; // source 0 does not exist
            if (word == _words - 1 && (_sources & 31) != 0) v &= (1u << (_sources & 31)) - 1;
            _enable[ctx * _words + word] = v;
            UpdateOutputs();
            return;
        }
        if (offset >= ContextBase && offset < ContextBase + ContextStride * (ulong)ContextCount)
        {
            ulong rel = offset - ContextBase;
            int ctx = (int)(rel / ContextStride);
            switch (rel % ContextStride)
            {
                case ThresholdOffset:
                    _threshold[ctx] = v & PriorityMask;
                    UpdateOutputs();
                    break;
                case ClaimCompleteOffset:
                    Complete(ctx, v);
                    break;
            }
        }
        // Pending bits are read-only.
    }

    private uint Claim(int ctx)
    {
        int best = FindBest(ctx);
        if (best != 0)
        {
            int w = best >> 5;
            uint bit = 1u << (best & 31);
            _pending[w] &= ~bit;
            _claimed[w] |= bit;
            UpdateOutputs();
        }
        return (uint)best;
    }

    private void Complete(int ctx, uint source)
    {
        if (source == 0 || source >= _sources) return;
        int w = (int)(source >> 5);
        uint bit = 1u << (int)(source & 31);
        // As in QEMU, a context may only complete a source it has enabled.
        if ((_enable[ctx * _words + w] & bit) == 0) return;
        _claimed[w] &= ~bit;
        if ((_level[w] & bit) != 0) _pending[w] |= bit;
        UpdateOutputs();
    }

    /// <summary>The highest-priority pending, enabled, unclaimed source above the threshold (lowest id on ties), or 0.</summary>
    private int FindBest(int ctx)
    {
        uint bestPriority = _threshold[ctx];
        int best = 0;
        for (int w = 0; w < _words; w++)
        {
            uint candidates = _pending[w] & ~_claimed[w] & _enable[ctx * _words + w];
            while (candidates != 0)
            {
                int b = System.Numerics.BitOperations.TrailingZeroCount(candidates);
                candidates &= candidates - 1;
                int src = (w << 5) + b;
                if (_priority[src] > bestPriority)
                {
                    bestPriority = _priority[src];
                    best = src;
                }
            }
        }
        return best;
    }

    private void UpdateOutputs()
    {
        bool changed = false;
        for (int ctx = 0; ctx < _output.Length; ctx++)
        {
            bool level = FindBest(ctx) != 0;
            if (level == _output[ctx]) continue;
            _output[ctx] = level;
            Drive(ctx);
            changed = true;
        }
        if (changed) _run.EndSlice();
    }

    private void Drive(int ctx) =>
        _harts[ctx >> 1].SetInterruptPending((ctx & 1) == 0 ? MeipBit : SeipBit, _output[ctx]);

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_harts.Length);
        writer.Write(_sources);
        foreach (uint p in _priority) writer.Write(p);
        foreach (uint x in _level) writer.Write(x);
        foreach (uint x in _pending) writer.Write(x);
        foreach (uint x in _claimed) writer.Write(x);
        foreach (uint x in _enable) writer.Write(x);
        foreach (uint x in _threshold) writer.Write(x);
    }

    public void LoadState(BinaryReader reader)
    {
        int harts = reader.ReadInt32();
        int sources = reader.ReadInt32();
        if (harts != _harts.Length || sources != _sources)
            throw new InvalidDataException($"PLIC snapshot is for {harts} harts and {sources} sources, this machine has {_harts.Length} and {_sources}");
        ReadInto(reader, _priority);
        ReadInto(reader, _level);
        ReadInto(reader, _pending);
        ReadInto(reader, _claimed);
        ReadInto(reader, _enable);
        ReadInto(reader, _threshold);
        for (int ctx = 0; ctx < _output.Length; ctx++)
        {
            _output[ctx] = FindBest(ctx) != 0;
            Drive(ctx);
        }
    }

    private static void ReadInto(BinaryReader reader, uint[] target)
    {
        for (int i = 0; i < target.Length; i++) target[i] = reader.ReadUInt32();
    }
}
