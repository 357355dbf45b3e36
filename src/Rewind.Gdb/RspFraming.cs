using System.Text;

namespace Rewind.Gdb;

/// <summary>What arrived on the wire, as the framer sees it.</summary>
public enum RspEventKind
{
    /// <summary>A complete packet with a valid checksum; <see cref="RspEvent.Data"/> holds it unescaped.</summary>
    Packet,
    /// <summary>'+'</summary>
    Ack,
    /// <summary>'-': the peer wants our last packet again.</summary>
    Nak,
    /// <summary>0x03 outside a packet: Ctrl-C.</summary>
    Interrupt,
    /// <summary>A packet whose checksum did not match (or was not hex): answer with NAK.</summary>
    BadChecksum,
    /// <summary>A packet longer than the advertised PacketSize: its content was dropped.</summary>
    Oversized,
    /// <summary>A packet with a valid checksum that cannot be decoded (a dangling escape).</summary>
    Malformed,
}

public readonly record struct RspEvent(RspEventKind Kind, byte[]? Data = null)
{
    /// <summary>The packet as text (Latin-1, so each byte maps to one char and binary data survives).</summary>
    public string Text => Data == null ? "" : Encoding.Latin1.GetString(Data);
}

/// <summary>Encoding helpers for the remote serial protocol's framing: <c>$data#cs</c>.</summary>
public static class RspFraming
{
    public const byte Escape = (byte)'}';

    public static byte Checksum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (byte b in data) sum += b;
        return sum;
    }

    /// <summary>Frames a packet whose payload needs no escaping (plain text, hex).</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        var result = new byte[payload.Length + 4];
        result[0] = (byte)'$';
        payload.CopyTo(result.AsSpan(1));
        result[payload.Length + 1] = (byte)'#';
        byte cs = Checksum(payload);
        result[payload.Length + 2] = HexDigit(cs >> 4);
        result[payload.Length + 3] = HexDigit(cs & 15);
        return result;
    }

    public static byte[] Frame(string payload) => Frame(Encoding.Latin1.GetBytes(payload));

    /// <summary>Escapes binary data: '$', '#', '}' and '*' become '}' followed by the byte XOR 0x20.</summary>
    public static byte[] EscapeBinary(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>(data.Length + 8);
        foreach (byte b in data)
        {
            if (b is (byte)'$' or (byte)'#' or Escape or (byte)'*')
            {
                output.Add(Escape);
                output.Add((byte)(b ^ 0x20));
            }
            else output.Add(b);
        }
        return output.ToArray();
    }

    /// <summary>Undoes <see cref="EscapeBinary"/>; null if the data ends inside an escape.</summary>
    public static byte[]? Unescape(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf(Escape) < 0) return data.ToArray();
        var output = new List<byte>(data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != Escape) { output.Add(data[i]); continue; }
            if (++i == data.Length) return null;
            output.Add((byte)(data[i] ^ 0x20));
        }
        return output.ToArray();
    }

    internal static byte HexDigit(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);

    internal static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}

/// <summary>
/// Incremental decoder for the bytes a GDB client sends: acks, Ctrl-C and <c>$...#cs</c> packets.
/// Never buffers more than the packet limit, whatever the input.
/// </summary>
public sealed class PacketReader
{
    private enum State { Idle, Data, Checksum1, Checksum2 }

    private readonly int _maxPacket;
    private readonly List<byte> _buffer = [];
    private State _state;
    private byte _sum;
    private bool _overflow;
    private int _checksumHigh;

    public PacketReader(int maxPacket = RspSession.PacketSize) => _maxPacket = maxPacket;

    /// <summary>Decodes <paramref name="input"/>, calling <paramref name="sink"/> for every complete event.</summary>
    public void Feed(ReadOnlySpan<byte> input, Action<RspEvent> sink)
    {
        foreach (byte b in input)
        {
            switch (_state)
            {
                case State.Idle:
                    switch (b)
                    {
                        case (byte)'$': StartPacket(); break;
                        case (byte)'+': sink(new RspEvent(RspEventKind.Ack)); break;
                        case (byte)'-': sink(new RspEvent(RspEventKind.Nak)); break;
                        case 0x03: sink(new RspEvent(RspEventKind.Interrupt)); break;
                        default: break; // line noise between packets
                    }
                    break;
                case State.Data:
                    if (b == (byte)'#') { _state = State.Checksum1; break; }
                    if (b == (byte)'$') { StartPacket(); break; } // the previous packet was cut short
                    _sum += b;
                    if (_buffer.Count < _maxPacket) _buffer.Add(b);
                    else _overflow = true;
                    break;
                case State.Checksum1:
                    _checksumHigh = RspFraming.HexValue(b);
                    _state = State.Checksum2;
                    break;
                case State.Checksum2:
                    int low = RspFraming.HexValue(b);
                    _state = State.Idle;
                    if (_checksumHigh < 0 || low < 0 || (byte)(_checksumHigh << 4 | low) != _sum)
                        sink(new RspEvent(RspEventKind.BadChecksum));
                    else if (_overflow)
                        sink(new RspEvent(RspEventKind.Oversized));
                    else if (RspFraming.Unescape(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_buffer)) is { } data)
                        sink(new RspEvent(RspEventKind.Packet, data));
                    else
                        sink(new RspEvent(RspEventKind.Malformed));
                    _buffer.Clear();
                    break;
            }
        }
    }

    private void StartPacket()
    {
        _state = State.Data;
        _buffer.Clear();
        _sum = 0;
        _overflow = false;
    }
}
