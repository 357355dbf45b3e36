using Rewind.Core.Bus;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Arm;

/// <summary>
/// Arm's PL031 real-time clock (seconds). The host wall clock is read once, the first time the guest
/// reads the time, through the input boundary (so a recording logs it once); afterwards it runs with
/// virtual time. The match register raises the interrupt when the guest reads or writes past it.
/// </summary>
public sealed class Pl031(IInputBoundary input, IrqLine irq, IRunControl run) : IMmioDevice, IStateful
{
    public const int Dr = 0x00, Mr = 0x04, Lr = 0x08, Cr = 0x0c, Imsc = 0x10, Ris = 0x14, Mis = 0x18, Icr = 0x1c;
    private static readonly byte[] Id = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

    private bool _anchored;
    private ulong _hostAnchorNs, _virtualAnchorNs;
    private long _adjustSeconds;
    private uint _mr, _imsc, _ris;

    public string Name => "pl031";

    private uint Seconds()
    {
        ulong icount = run.Icount;
        ulong virtualNs = run.Clock.NanosecondsAt(icount);
        if (!_anchored)
        {
            _hostAnchorNs = input.ReadHostClock(icount);
            _virtualAnchorNs = virtualNs;
            _anchored = true;
        }
        return (uint)((long)((_hostAnchorNs + (virtualNs - _virtualAnchorNs)) / 1_000_000_000) + _adjustSeconds);
    }

    public ulong Read(ulong offset, int size)
    {
        if (offset >= 0xfe0 && offset < 0x1000) return Id[(offset - 0xfe0) >> 2];
        switch ((int)offset)
        {
            case Dr:
                {
                    uint now = Seconds();
                    if (now >= _mr && _mr != 0) _ris = 1;
                    Update();
                    return now;
                }
            case Mr: return _mr;
            case Lr: return Seconds();
            case Cr: return 1;
            case Imsc: return _imsc;
            case Ris: return _ris;
            case Mis: return _ris & _imsc;
            default: return 0;
        }
    }

    public void Write(ulong offset, int size, ulong value)
    {
        uint v = (uint)value;
        switch ((int)offset)
        {
            case Mr: _mr = v; break;
            case Lr: _adjustSeconds += (long)v - Seconds(); break;
            case Imsc: _imsc = v & 1; break;
            case Icr: _ris &= ~v; break;
        }
        Update();
    }

    private void Update() => irq.Set((_ris & _imsc) != 0);

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_anchored);
        writer.Write(_hostAnchorNs);
        writer.Write(_virtualAnchorNs);
        writer.Write(_adjustSeconds);
        writer.Write(_mr);
        writer.Write(_imsc);
        writer.Write(_ris);
    }

    public void LoadState(BinaryReader reader)
    {
        _anchored = reader.ReadBoolean();
        _hostAnchorNs = reader.ReadUInt64();
        _virtualAnchorNs = reader.ReadUInt64();
        _adjustSeconds = reader.ReadInt64();
        _mr = reader.ReadUInt32();
        _imsc = reader.ReadUInt32();
        _ris = reader.ReadUInt32();
        Update();
    }
}
