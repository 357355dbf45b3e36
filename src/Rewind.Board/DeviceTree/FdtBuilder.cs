using System.Buffers.Binary;
using System.Text;

namespace Rewind.Board.DeviceTree;

/// <summary>
/// Writes a flattened device tree blob (version 17, last compatible 16) as the Devicetree
/// Specification describes: header, memory reservation block, structure block, strings block.
/// Nodes and properties are emitted in the order they are added.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "its MemoryStreams hold only managed memory")]
public sealed class FdtBuilder
{
    public const uint Magic = 0xd00dfeed;
    public const uint Version = 17;
    public const uint LastCompatibleVersion = 16;
    public const uint TokenBeginNode = 1, TokenEndNode = 2, TokenProp = 3, TokenNop = 4, TokenEnd = 9;
    private const int HeaderSize = 40;

    private readonly MemoryStream _struct = new();
    private readonly MemoryStream _strings = new();
    private readonly Dictionary<string, int> _stringOffsets = new(StringComparer.Ordinal);
    private readonly List<(ulong Address, ulong Size)> _reservations = [];
    private int _depth;
    private uint _nextPhandle = 1;
    private bool _finished;

    public uint BootCpuId { get; set; }

    public void AddReservation(ulong address, ulong size) => _reservations.Add((address, size));

    /// <summary>Hands out phandles 1, 2, 3… in the order asked, as QEMU does.</summary>
    public uint AllocatePhandle() => _nextPhandle++;

    public FdtBuilder BeginNode(string name)
    {
        if (_finished) throw new InvalidOperationException("the blob is already finished");
        if (_depth == 0 && name.Length != 0) throw new InvalidOperationException("the first node must be the root, named \"\"");
        WriteToken(TokenBeginNode);
        WriteStringPadded(name);
        _depth++;
        return this;
    }

    public FdtBuilder EndNode()
    {
        if (_depth == 0) throw new InvalidOperationException("EndNode without BeginNode");
        WriteToken(TokenEndNode);
        _depth--;
        return this;
    }

    public FdtBuilder Property(string name, ReadOnlySpan<byte> value)
    {
        if (_depth == 0) throw new InvalidOperationException($"property {name} outside any node");
        WriteToken(TokenProp);
        WriteU32(_struct, (uint)value.Length);
        WriteU32(_struct, (uint)StringOffset(name));
        _struct.Write(value);
        Pad(_struct);
        return this;
    }

    public FdtBuilder Empty(string name) => Property(name, []);

    public FdtBuilder String(string name, string value) => Strings(name, value);

    /// <summary>A string list: each string NUL-terminated, one after the other.</summary>
    public FdtBuilder Strings(string name, params string[] values)
    {
        var bytes = new List<byte>();
        foreach (var v in values)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(v));
            bytes.Add(0);
        }
        return Property(name, bytes.ToArray());
    }

    public FdtBuilder U32(string name, uint value) => Cells(name, value);

    /// <summary>A 64-bit value as two cells, high first.</summary>
    public FdtBuilder U64(string name, ulong value) => Cells(name, (uint)(value >> 32), (uint)value);

    public FdtBuilder Cells(string name, params ReadOnlySpan<uint> cells)
    {
        var bytes = new byte[cells.Length * 4];
        for (int i = 0; i < cells.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * i), cells[i]);
        return Property(name, bytes);
    }

    public FdtBuilder Phandle(uint phandle) => U32("phandle", phandle);

    public byte[] Finish()
    {
        if (_depth != 0) throw new InvalidOperationException($"{_depth} node(s) left open");
        if (!_finished)
        {
            WriteToken(TokenEnd);
            _finished = true;
        }
        int rsvOffset = HeaderSize; // already 8-byte aligned
        int rsvSize = (_reservations.Count + 1) * 16;
        int structOffset = rsvOffset + rsvSize;
        int structSize = (int)_struct.Length;
        int stringsOffset = structOffset + structSize;
        int stringsSize = (int)_strings.Length;
        int total = stringsOffset + stringsSize;

        var blob = new byte[total];
        var s = blob.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(s[0..], Magic);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(s[8..], (uint)structOffset);
        BinaryPrimitives.WriteUInt32BigEndian(s[12..], (uint)stringsOffset);
        BinaryPrimitives.WriteUInt32BigEndian(s[16..], (uint)rsvOffset);
        BinaryPrimitives.WriteUInt32BigEndian(s[20..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(s[24..], LastCompatibleVersion);
        BinaryPrimitives.WriteUInt32BigEndian(s[28..], BootCpuId);
        BinaryPrimitives.WriteUInt32BigEndian(s[32..], (uint)stringsSize);
        BinaryPrimitives.WriteUInt32BigEndian(s[36..], (uint)structSize);
        int at = rsvOffset;
        foreach (var (address, size) in _reservations)
        {
            BinaryPrimitives.WriteUInt64BigEndian(s[at..], address);
            BinaryPrimitives.WriteUInt64BigEndian(s[(at + 8)..], size);
            at += 16;
        }
        _struct.GetBuffer().AsSpan(0, structSize).CopyTo(s[structOffset..]);
        _strings.GetBuffer().AsSpan(0, stringsSize).CopyTo(s[stringsOffset..]);
        return blob;
    }

    private int StringOffset(string name)
    {
        if (_stringOffsets.TryGetValue(name, out int off)) return off;
        off = (int)_strings.Length;
        _strings.Write(Encoding.UTF8.GetBytes(name));
        _strings.WriteByte(0);
        _stringOffsets[name] = off;
        return off;
    }

    private void WriteToken(uint token) => WriteU32(_struct, token);

    private void WriteStringPadded(string s)
    {
        _struct.Write(Encoding.UTF8.GetBytes(s));
        _struct.WriteByte(0);
        Pad(_struct);
    }

    private static void WriteU32(MemoryStream stream, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        stream.Write(b);
    }

    private static void Pad(MemoryStream stream)
    {
        while (stream.Length % 4 != 0) stream.WriteByte(0);
    }
}
