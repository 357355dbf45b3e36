using Rewind.Core.Bus;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Devices;

/// <summary>
/// A 16550A UART with register shift 0, behaving as QEMU's serial.c does where a guest can tell:
/// transmission completes at once, the receive FIFO raises its data interrupt at the trigger level or
/// after four character times (in virtual time), and host bytes that do not fit wait in a queue
/// instead of overrunning, because QEMU's character layer only offers bytes the UART can take.
/// </summary>
public sealed class Uart16550 : IMmioDevice, ISteadyReads, IInputSink, ITimedDevice, IStateful
{
    public const int FifoLength = 16;
    /// <summary>The baud base QEMU's virt board gives its UART (clock 3.6864 MHz / 16, as QEMU rounds it).</summary>
    public const uint VirtBaudBase = 399193;

    /// <summary>Register offsets (shift 0). With LCR.DLAB set, offsets 0 and 1 are the divisor latch.</summary>
    private static class Reg
    {
        public const int Rbr = 0, Thr = 0, Dll = 0;
        public const int Ier = 1, Dlm = 1;
        public const int Iir = 2, Fcr = 2;
        public const int Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;
        public const int Count = 8;
    }

    private const byte IerRdi = 0x01, IerThri = 0x02, IerRlsi = 0x04, IerMsi = 0x08;
    private const byte IerWritable = IerRdi | IerThri | IerRlsi | IerMsi;
    private const byte IirNoInt = 0x01, IirMsi = 0x00, IirThri = 0x02, IirRdi = 0x04, IirRlsi = 0x06, IirCti = 0x0c;
    private const byte IirIdMask = 0x0f;
    private const byte IirFifoEnabled = 0xc0;
    private const byte FcrEnable = 0x01, FcrClearRx = 0x02, FcrClearTx = 0x04, FcrDmaMode = 0x08;
    private const byte FcrTriggerMask = 0xc0;
    private const int FcrTriggerShift = 6;
    private const byte FcrKept = FcrEnable | FcrDmaMode | FcrTriggerMask;
    private const byte LcrWordLength = 0x03, LcrTwoStopBits = 0x04, LcrParity = 0x08, LcrDlab = 0x80;
    private const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10;
    private const byte McrWritable = McrDtr | McrRts | McrOut1 | McrOut2 | McrLoop;
    private const byte LsrDr = 0x01, LsrOe = 0x02, LsrBi = 0x10, LsrThre = 0x20, LsrTemt = 0x40;
    private const byte LsrIntAny = 0x1e;
    private const byte MsrDcd = 0x80, MsrDsr = 0x20, MsrCts = 0x10, MsrAnyDelta = 0x0f;

    private readonly ISerialBackend _backend;
    private readonly IrqLine _irq;
    private readonly IRunControl _run;
    private readonly uint _baudBase;
    private readonly ByteFifo _rxFifo = new(FifoLength);
    // Host bytes waiting for room in the FIFO; part of guest state because replay delivers them once.
    private readonly Queue<byte> _waiting = new();

    private byte _rbr, _ier, _iir, _fcr, _lcr, _mcr, _lsr, _msr, _scr;
    private ushort _divisor;
    private bool _thrPending, _timeoutPending;
    private ulong _charTimeNs;
    private ulong _timeoutDeadline = ulong.MaxValue;

    public Uart16550(ISerialBackend backend, IrqLine irq, IRunControl run, uint baudBase = VirtBaudBase)
    {
        _backend = backend;
        _irq = irq;
        _run = run;
        _baudBase = baudBase;
        Reset();
    }

    public string Name => "uart0";

    /// <summary>Bytes accepted from the host that still wait for FIFO space.</summary>
    public int WaitingCount => _waiting.Count;

    public void Reset()
    {
        _rbr = 0;
        _ier = 0;
        _iir = IirNoInt;
        _fcr = 0;
        _lcr = 0;
        _lsr = LsrTemt | LsrThre;
        _msr = MsrDcd | MsrDsr | MsrCts;
        _mcr = McrOut2;
        _scr = 0;
        _divisor = 0;
        _thrPending = false;
        _timeoutPending = false;
        _charTimeNs = 1_000_000_000UL / 9600 * 10;
        _timeoutDeadline = ulong.MaxValue;
        _rxFifo.Clear();
        _waiting.Clear();
        UpdateIrq();
    }

    private bool FifoEnabled => (_fcr & FcrEnable) != 0;

    private int TriggerLevel => (_fcr >> FcrTriggerShift) switch { 0 => 1, 1 => 4, 2 => 8, _ => 14 };

    public ulong Read(ulong offset, int size)
    {
        if (offset >= Reg.Count) return 0;
        switch ((int)offset)
        {
            case Reg.Rbr: // or DLL
                if ((_lcr & LcrDlab) != 0) return (byte)_divisor;
                return ReadRbr();
            case Reg.Ier: // or DLM
                if ((_lcr & LcrDlab) != 0) return (byte)(_divisor >> 8);
                return _ier;
            case Reg.Iir:
                {
                    byte v = _iir;
                    // Reading IIR acknowledges a THR-empty interrupt, as on the real part.
                    if ((v & IirIdMask) == IirThri)
                    {
                        _thrPending = false;
                        UpdateIrq();
                    }
                    return v;
                }
            case Reg.Lcr: return _lcr;
            case Reg.Mcr: return _mcr;
            case Reg.Lsr:
                {
                    byte v = _lsr;
                    if ((_lsr & (LsrBi | LsrOe)) != 0)
                    {
                        _lsr &= unchecked((byte)~(LsrBi | LsrOe));
                        UpdateIrq();
                    }
                    return v;
                }
            case Reg.Msr:
                {
                    if ((_mcr & McrLoop) != 0)
                    {
                        // Loopback wires the modem outputs back to the inputs: OUT1, OUT2 to RI, DCD; RTS to
                        // CTS; DTR to DSR.
                        return (byte)(((_mcr & (McrOut1 | McrOut2)) << 4) | ((_mcr & McrRts) << 3)
                            | ((_mcr & McrDtr) << 5));
                    }
                    byte v = _msr;
                    if ((_msr & MsrAnyDelta) != 0)
                    {
                        _msr &= unchecked((byte)~MsrAnyDelta);
                        UpdateIrq();
                    }
                    return v;
                }
            default: return _scr; // Reg.Scr
        }
    }

    /// <summary>
    /// What a polling loop reads: LSR while it holds no error to clear, and the registers that only
    /// writes change. Not RBR (it pops the FIFO), IIR (it acknowledges) or MSR (it clears deltas).
    /// </summary>
    public bool IsSteadyRead(ulong offset, int size) => offset switch
    {
        Reg.Lsr => (_lsr & (LsrBi | LsrOe)) == 0,
        Reg.Rbr => (_lcr & LcrDlab) != 0,
        Reg.Ier or Reg.Lcr or Reg.Mcr or Reg.Scr => true,
        _ => false,
    };

    private byte ReadRbr()
    {
        byte v;
        if (FifoEnabled)
        {
            v = _rxFifo.Pop();
            Refill();
            if (_rxFifo.IsEmpty)
            {
                _lsr &= unchecked((byte)~(LsrDr | LsrBi));
                _timeoutDeadline = ulong.MaxValue;
            }
            else
            {
                ArmTimeout();
            }
            _timeoutPending = false;
        }
        else
        {
            v = _rbr;
            _lsr &= unchecked((byte)~(LsrDr | LsrBi));
            Refill();
        }
        UpdateIrq();
        return v;
    }

    public void Write(ulong offset, int size, ulong value)
    {
        if (offset >= Reg.Count) return;
        byte v = (byte)value;
        switch ((int)offset)
        {
            case Reg.Thr: // or DLL
                if ((_lcr & LcrDlab) != 0)
                {
                    _divisor = (ushort)((_divisor & 0xff00) | v);
                    UpdateParameters();
                }
                else
                {
                    Transmit(v);
                }
                break;
            case Reg.Ier: // or DLM
                if ((_lcr & LcrDlab) != 0)
                {
                    _divisor = (ushort)((_divisor & 0x00ff) | (v << 8));
                    UpdateParameters();
                }
                else
                {
                    WriteIer(v);
                }
                break;
            case Reg.Fcr: WriteFcr(v); break;
            case Reg.Lcr:
                _lcr = v;
                UpdateParameters();
                break;
            case Reg.Mcr: _mcr = (byte)(v & McrWritable); break;
            case Reg.Lsr: break; // LSR is read-only
            case Reg.Msr: break; // MSR inputs come from the (absent) modem
            default: _scr = v; break; // Reg.Scr
        }
    }

    private void Transmit(byte b)
    {
        _lsr &= unchecked((byte)~(LsrThre | LsrTemt));
        _thrPending = false;
        if ((_mcr & McrLoop) != 0)
            ReceiveOne(b);
        else
            _backend.Write(b);
        // The byte leaves at once: QEMU's backend never pushes back on a console.
        _lsr |= LsrThre | LsrTemt;
        _thrPending = true;
        UpdateIrq();
    }

    private void WriteIer(byte v)
    {
        byte changed = (byte)((_ier ^ v) & IerWritable);
        _ier = (byte)(v & IerWritable);
        if ((changed & IerThri) != 0)
            // Enabling THRI while THR is empty raises the interrupt again even if IIR had acknowledged it.
            _thrPending = (_ier & IerThri) != 0 && (_lsr & LsrThre) != 0;
        if (changed != 0) UpdateIrq();
    }

    private void WriteFcr(byte v)
    {
        if (v == _fcr) return;
        if (((v ^ _fcr) & FcrEnable) != 0) v |= FcrClearRx | FcrClearTx;
        if ((v & FcrClearRx) != 0)
        {
            _lsr &= unchecked((byte)~(LsrDr | LsrBi));
            _timeoutDeadline = ulong.MaxValue;
            _timeoutPending = false;
            _rxFifo.Clear();
        }
        if ((v & FcrClearTx) != 0)
        {
            _lsr |= LsrThre;
            _thrPending = true;
        }
        _fcr = (byte)(v & FcrKept);
        _iir = FifoEnabled ? (byte)(_iir | IirFifoEnabled) : (byte)(_iir & ~IirFifoEnabled);
        Refill();
        UpdateIrq();
    }

    private void UpdateParameters()
    {
        if (_divisor == 0 || _divisor > _baudBase) return;
        int frame = 1 + (_lcr & LcrWordLength) + 5 + ((_lcr & LcrTwoStopBits) != 0 ? 2 : 1)
            + ((_lcr & LcrParity) != 0 ? 1 : 0);
        ulong speed = _baudBase / _divisor;
        _charTimeNs = 1_000_000_000UL / speed * (ulong)frame;
    }

    /// <summary>Host input (live or from the replay log) at a slice boundary.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) _waiting.Enqueue(b);
        Refill();
        UpdateIrq();
    }

    private void Refill()
    {
        bool any = false;
        while (_waiting.Count > 0)
        {
            if (FifoEnabled)
            {
                if (_rxFifo.IsFull) break;
                _rxFifo.TryPush(_waiting.Dequeue());
            }
            else
            {
                if ((_lsr & LsrDr) != 0) break;
                _rbr = _waiting.Dequeue();
            }
            _lsr |= LsrDr;
            any = true;
        }
        if (any && FifoEnabled) ArmTimeout();
    }

    // Loopback bytes take the hardware path, which can overrun.
    private void ReceiveOne(byte b)
    {
        if (FifoEnabled)
        {
            if (!_rxFifo.TryPush(b)) _lsr |= LsrOe;
            _lsr |= LsrDr;
            ArmTimeout();
        }
        else
        {
            if ((_lsr & LsrDr) != 0) _lsr |= LsrOe;
            _rbr = b;
            _lsr |= LsrDr;
        }
    }

    private void ArmTimeout()
    {
        _timeoutPending = false;
        var clock = _run.Clock;
        _timeoutDeadline = clock.IcountForNanoseconds(clock.NanosecondsAt(_run.Icount) + 4 * _charTimeNs);
    }

    public ulong NextDeadline(ulong icount) => _timeoutDeadline;

    public void Advance(ulong icount)
    {
        if (icount < _timeoutDeadline) return;
        _timeoutDeadline = ulong.MaxValue;
        if (!_rxFifo.IsEmpty)
        {
            _timeoutPending = true;
            UpdateIrq();
        }
    }

    private void UpdateIrq()
    {
        byte id;
        if ((_ier & IerRlsi) != 0 && (_lsr & LsrIntAny) != 0)
            id = IirRlsi;
        else if ((_ier & IerRdi) != 0 && _timeoutPending)
            id = IirCti;
        else if ((_ier & IerRdi) != 0 && (_lsr & LsrDr) != 0 &&
                 (!FifoEnabled || _rxFifo.Count >= TriggerLevel))
            id = IirRdi;
        else if ((_ier & IerThri) != 0 && _thrPending)
            id = IirThri;
        else if ((_ier & IerMsi) != 0 && (_msr & MsrAnyDelta) != 0)
            id = IirMsi;
        else
            id = IirNoInt;
        _iir = (byte)(id | (_iir & ~IirIdMask));
        _irq.Set(id != IirNoInt);
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_rbr); writer.Write(_ier); writer.Write(_iir); writer.Write(_fcr); writer.Write(_lcr);
        writer.Write(_mcr); writer.Write(_lsr); writer.Write(_msr); writer.Write(_scr);
        writer.Write(_divisor);
        writer.Write(_thrPending);
        writer.Write(_timeoutPending);
        writer.Write(_charTimeNs);
        writer.Write(_timeoutDeadline);
        _rxFifo.SaveState(writer);
        writer.Write(_waiting.Count);
        foreach (byte b in _waiting) writer.Write(b);
    }

    public void LoadState(BinaryReader reader)
    {
        _rbr = reader.ReadByte(); _ier = reader.ReadByte(); _iir = reader.ReadByte(); _fcr = reader.ReadByte();
        _lcr = reader.ReadByte(); _mcr = reader.ReadByte(); _lsr = reader.ReadByte(); _msr = reader.ReadByte();
        _scr = reader.ReadByte();
        _divisor = reader.ReadUInt16();
        _thrPending = reader.ReadBoolean();
        _timeoutPending = reader.ReadBoolean();
        _charTimeNs = reader.ReadUInt64();
        _timeoutDeadline = reader.ReadUInt64();
        _rxFifo.LoadState(reader);
        _waiting.Clear();
        int n = reader.ReadInt32();
        for (int i = 0; i < n; i++) _waiting.Enqueue(reader.ReadByte());
        // The IrqLine remembers the level of the run we came from; resynchronise it with this state.
        UpdateIrq();
    }
}
