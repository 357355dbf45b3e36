using Rewind.Board.Devices;
using Rewind.Core.Bus;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.State;

namespace Rewind.Board.Arm;

/// <summary>
/// Arm's PL011 UART as QEMU's pl011.c behaves where a guest can tell: transmission completes at once
/// (TX interrupt raised), the receive FIFO (16 deep with FEN, else 1) raises RX as soon as it holds a
/// byte (QEMU's read trigger is always 1), and host bytes that do not fit wait in a queue instead of
/// overrunning. Host bytes arrive only through the input boundary (<see cref="Receive"/>).
/// </summary>
public sealed class Pl011 : IMmioDevice, ISteadyReads, IInputSink, IStateful
{
    public const int Dr = 0x00, Rsr = 0x04, Fr = 0x18, Ilpr = 0x20, Ibrd = 0x24, Fbrd = 0x28, LcrH = 0x2c, Cr = 0x30;
    public const int Ifls = 0x34, Imsc = 0x38, Ris = 0x3c, Mis = 0x40, Icr = 0x44, Dmacr = 0x48;
    public const uint IntRx = 1 << 4, IntTx = 1 << 5, IntRt = 1 << 6;
    private const uint FrRxfe = 1 << 4, FrTxff = 1 << 5, FrRxff = 1 << 6, FrTxfe = 1 << 7;
    private const int FifoDepth = 16;
    private static readonly byte[] Id = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

    private readonly ISerialBackend _backend;
    private readonly IrqLine _irq;
    private readonly Queue<byte> _rx = new();
    private readonly Queue<byte> _waiting = new();
    private uint _lcrH, _cr, _ifls, _imsc, _ris, _ibrd, _fbrd, _ilpr, _dmacr, _rsr;

    public Pl011(ISerialBackend backend, IrqLine irq)
    {
        _backend = backend;
        _irq = irq;
        Reset();
    }

    public string Name => "pl011";

    public void Reset()
    {
        _rx.Clear();
        _waiting.Clear();
        _lcrH = _imsc = _ris = _ibrd = _fbrd = _ilpr = _dmacr = _rsr = 0;
        _cr = 0x300;
        _ifls = 0x12;
        Update();
    }

    private int Depth => (_lcrH & 0x10) != 0 ? FifoDepth : 1;

    public void Receive(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) _waiting.Enqueue(b);
        Refill();
    }

    /// <summary>Moves waiting host bytes into the FIFO while it has room.</summary>
    private void Refill()
    {
        while (_waiting.Count > 0 && _rx.Count < Depth) _rx.Enqueue(_waiting.Dequeue());
        if (_rx.Count > 0) _ris |= IntRx;
        Update();
    }

    public ulong Read(ulong offset, int size)
    {
        if (offset >= 0xfe0 && offset < 0x1000) return Id[(offset - 0xfe0) >> 2];
        switch ((int)offset)
        {
            case Dr:
                {
                    if (_rx.Count == 0) return 0;
                    byte b = _rx.Dequeue();
                    if (_rx.Count == 0) _ris &= ~(IntRx | IntRt);
                    Refill();
                    return b;
                }
            case Rsr: return _rsr;
            case Fr:
                {
                    uint fr = FrTxfe;
                    if (_rx.Count == 0) fr |= FrRxfe;
                    if (_rx.Count >= Depth) fr |= FrRxff;
                    return fr;
                }
            case Ilpr: return _ilpr;
            case Ibrd: return _ibrd;
            case Fbrd: return _fbrd;
            case LcrH: return _lcrH;
            case Cr: return _cr;
            case Ifls: return _ifls;
            case Imsc: return _imsc;
            case Ris: return _ris;
            case Mis: return _ris & _imsc;
            case Dmacr: return _dmacr;
            default: return 0;
        }
    }

    /// <summary>Every register but DR, whose read takes a byte from the FIFO; none moves with the count.</summary>
    public bool IsSteadyRead(ulong offset, int size) => offset != Dr;

    public void Write(ulong offset, int size, ulong value)
    {
        uint v = (uint)value;
        switch ((int)offset)
        {
            case Dr:
                // As QEMU: the byte goes out whatever UARTEN and TXE say, and the TX interrupt is raised.
                _backend.Write((byte)v);
                _ris |= IntTx;
                Update();
                break;
            case Rsr: _rsr = 0; break;
            case Ilpr: _ilpr = v & 0xff; break;
            case Ibrd: _ibrd = v & 0xffff; break;
            case Fbrd: _fbrd = v & 0x3f; break;
            case LcrH:
                // Changing FEN empties the FIFOs, as QEMU does.
                if (((_lcrH ^ v) & 0x10) != 0) _rx.Clear();
                _lcrH = v & 0xff;
                Refill();
                break;
            case Cr: _cr = v & 0xffff; break;
            case Ifls: _ifls = v & 0x3f; break;
            case Imsc:
                _imsc = v & 0x7ff;
                Update();
                break;
            case Icr:
                _ris &= ~v;
                // Data still in the FIFO keeps RX raised.
                if (_rx.Count > 0) _ris |= IntRx;
                Update();
                break;
            case Dmacr: _dmacr = v & 7; break;
        }
    }

    private void Update() => _irq.Set((_ris & _imsc) != 0);

    public void SaveState(BinaryWriter writer)
    {
        foreach (uint r in new[] { _lcrH, _cr, _ifls, _imsc, _ris, _ibrd, _fbrd, _ilpr, _dmacr, _rsr }) writer.Write(r);
        writer.Write(_rx.Count);
        foreach (byte b in _rx) writer.Write(b);
        writer.Write(_waiting.Count);
        foreach (byte b in _waiting) writer.Write(b);
    }

    public void LoadState(BinaryReader reader)
    {
        _lcrH = reader.ReadUInt32(); _cr = reader.ReadUInt32(); _ifls = reader.ReadUInt32(); _imsc = reader.ReadUInt32();
        _ris = reader.ReadUInt32(); _ibrd = reader.ReadUInt32(); _fbrd = reader.ReadUInt32(); _ilpr = reader.ReadUInt32();
        _dmacr = reader.ReadUInt32(); _rsr = reader.ReadUInt32();
        _rx.Clear();
        int n = reader.ReadInt32();
        for (int i = 0; i < n; i++) _rx.Enqueue(reader.ReadByte());
        _waiting.Clear();
        n = reader.ReadInt32();
        for (int i = 0; i < n; i++) _waiting.Enqueue(reader.ReadByte());
        Update();
    }
}
