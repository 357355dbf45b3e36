using Rewind.Core.Bus;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Devices;

/// <summary>
/// Goldfish real-time clock (nanoseconds since the Unix epoch) with one alarm. The host wall clock is
/// read once, the first time the guest needs the time, through the input boundary (so it is logged
/// once); afterwards the clock runs with virtual time, which keeps replay exact and the log tiny.
/// </summary>
public sealed class GoldfishRtc : IMmioDevice, ITimedDevice, IStateful
{
    public const ulong TimeLow = 0x00, TimeHigh = 0x04, AlarmLow = 0x08, AlarmHigh = 0x0c;
    public const ulong IrqEnabled = 0x10, ClearAlarm = 0x14, AlarmStatus = 0x18, ClearInterrupt = 0x1c;

    private readonly IInputBoundary _input;
    private readonly IrqLine _irq;
    private readonly IRunControl _run;

    private bool _anchored;
    private ulong _hostAnchorNs;
    private ulong _virtualAnchorNs;
    private ulong _guestAdjustNs;
    private uint _timeHigh;
    private ulong _alarmNext;
    private bool _alarmRunning;
    private ulong _alarmDeadline = ulong.MaxValue;
    private bool _irqEnabled;
    private bool _irqPending;

    public GoldfishRtc(IInputBoundary input, IrqLine irq, IRunControl run)
    {
        _input = input;
        _irq = irq;
        _run = run;
    }

    public string Name => "goldfish_rtc";

    /// <summary>The RTC's count in nanoseconds at an instruction count; reads the host clock on first use.</summary>
    public ulong CountAt(ulong icount)
    {
        ulong virtualNs = _run.Clock.NanosecondsAt(icount);
        if (!_anchored)
        {
            _hostAnchorNs = _input.ReadHostClock(icount);
            _virtualAnchorNs = virtualNs;
            _anchored = true;
        }
        return _hostAnchorNs + (virtualNs - _virtualAnchorNs) + _guestAdjustNs;
    }

    public ulong Read(ulong offset, int size)
    {
        switch (offset)
        {
            case TimeLow:
                {
                    ulong now = CountAt(_run.Icount);
                    // The guest reads low then high; latching keeps the pair consistent.
                    _timeHigh = (uint)(now >> 32);
                    return (uint)now;
                }
            case TimeHigh: return _timeHigh;
            case AlarmLow: return (uint)_alarmNext;
            case AlarmHigh: return (uint)(_alarmNext >> 32);
            case IrqEnabled: return _irqEnabled ? 1UL : 0;
            case AlarmStatus: return _alarmRunning ? 1UL : 0;
            default: return 0;
        }
    }

    public void Write(ulong offset, int size, ulong value)
    {
        uint v = (uint)value;
        switch (offset)
        {
            case TimeLow:
            case TimeHigh:
                {
                    ulong now = CountAt(_run.Icount);
                    ulong updated = offset == TimeLow
                    ? (now & 0xffff_ffff_0000_0000UL) | v
                    : (now & 0xffff_ffffUL) | ((ulong)v << 32);
                    _guestAdjustNs += updated - now;
                    break;
                }
            case AlarmLow:
                _alarmNext = (_alarmNext & 0xffff_ffff_0000_0000UL) | v;
                ArmAlarm();
                break;
            case AlarmHigh:
                // Only the low half arms the alarm, so guests write high first.
                _alarmNext = (_alarmNext & 0xffff_ffffUL) | ((ulong)v << 32);
                break;
            case IrqEnabled:
                _irqEnabled = (v & 1) != 0;
                UpdateIrq();
                break;
            case ClearAlarm:
                StopAlarm();
                break;
            case ClearInterrupt:
                _irqPending = false;
                UpdateIrq();
                break;
        }
    }

    private void ArmAlarm()
    {
        ulong icount = _run.Icount;
        ulong now = CountAt(icount);
        if (_alarmNext <= now)
        {
            StopAlarm();
            _irqPending = true;
            UpdateIrq();
            return;
        }
        var clock = _run.Clock;
        ulong targetNs = clock.NanosecondsAt(icount) + (_alarmNext - now);
        _alarmDeadline = targetNs < clock.NanosecondsAt(icount) ? ulong.MaxValue : clock.IcountForNanoseconds(targetNs);
        _alarmRunning = true;
        _run.EndSlice();
    }

    private void StopAlarm()
    {
        _alarmRunning = false;
        _alarmDeadline = ulong.MaxValue;
    }

    public ulong NextDeadline(ulong icount) => _alarmRunning ? _alarmDeadline : ulong.MaxValue;

    public void Advance(ulong icount)
    {
        if (!_alarmRunning || icount < _alarmDeadline) return;
        StopAlarm();
        _irqPending = true;
        UpdateIrq();
    }

    private void UpdateIrq() => _irq.Set(_irqPending && _irqEnabled);

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_anchored);
        writer.Write(_hostAnchorNs);
        writer.Write(_virtualAnchorNs);
        writer.Write(_guestAdjustNs);
        writer.Write(_timeHigh);
        writer.Write(_alarmNext);
        writer.Write(_alarmRunning);
        writer.Write(_alarmDeadline);
        writer.Write(_irqEnabled);
        writer.Write(_irqPending);
    }

    public void LoadState(BinaryReader reader)
    {
        _anchored = reader.ReadBoolean();
        _hostAnchorNs = reader.ReadUInt64();
        _virtualAnchorNs = reader.ReadUInt64();
        _guestAdjustNs = reader.ReadUInt64();
        _timeHigh = reader.ReadUInt32();
        _alarmNext = reader.ReadUInt64();
        _alarmRunning = reader.ReadBoolean();
        _alarmDeadline = reader.ReadUInt64();
        _irqEnabled = reader.ReadBoolean();
        _irqPending = reader.ReadBoolean();
        UpdateIrq();
    }
}
