using System.Buffers.Binary;
using System.Text;

namespace Rewind.Board.DeviceTree;

/// <summary>A parsed device tree node, for tools and tests that inspect a blob.</summary>
public sealed class FdtNode(string name)
{
    public string Name { get; } = name;
    public List<(string Name, byte[] Value)> Properties { get; } = [];
    public List<FdtNode> Children { get; } = [];

    public byte[]? Get(string property) => Properties.FirstOrDefault(p => p.Name == property).Value;

    public string? GetString(string property) =>
        Get(property) is { Length: > 0 } v ? Encoding.UTF8.GetString(v, 0, v.Length - 1) : null;

    public string[] GetStrings(string property) =>
        Get(property) is { Length: > 0 } v ? Encoding.UTF8.GetString(v, 0, v.Length - 1).Split('\0') : [];

    public uint[] GetCells(string property)
    {
        var v = Get(property) ?? [];
        var cells = new uint[v.Length / 4];
        for (int i = 0; i < cells.Length; i++) cells[i] = BinaryPrimitives.ReadUInt32BigEndian(v.AsSpan(4 * i));
        return cells;
    }

    public FdtNode? Child(string name) => Children.FirstOrDefault(c => c.Name == name);

    /// <summary>Finds a node by absolute path such as "/soc/serial@10000000".</summary>
    public FdtNode? Find(string path)
    {
        FdtNode? node = this;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node?.Child(part);
            if (node == null) return null;
        }
        return node;
    }
}

/// <summary>Reads a flattened device tree blob back into nodes, checking its structure strictly.</summary>
public static class FdtReader
{
    public readonly record struct Header(uint Magic, uint TotalSize, uint OffStruct, uint OffStrings, uint OffRsvmap,
        uint Version, uint LastCompVersion, uint BootCpuId, uint SizeStrings, uint SizeStruct);

    public static Header ReadHeader(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 40) throw new InvalidDataException("device tree blob shorter than its header");
        var f = new uint[10];
        for (int i = 0; i < f.Length; i++) f[i] = BinaryPrimitives.ReadUInt32BigEndian(blob[(4 * i)..]);
        var h = new Header(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]);
        if (h.Magic != FdtBuilder.Magic) throw new InvalidDataException($"bad device tree magic 0x{h.Magic:x8}");
        if (h.TotalSize > blob.Length) throw new InvalidDataException("device tree totalsize exceeds the blob");
        if (h.OffStruct + h.SizeStruct > h.TotalSize || h.OffStrings + h.SizeStrings > h.TotalSize)
            throw new InvalidDataException("device tree blocks exceed totalsize");
        return h;
    }

    public static List<(ulong Address, ulong Size)> ReadReservations(ReadOnlySpan<byte> blob)
    {
        var h = ReadHeader(blob);
        var list = new List<(ulong, ulong)>();
        for (int at = (int)h.OffRsvmap; ; at += 16)
        {
            ulong a = BinaryPrimitives.ReadUInt64BigEndian(blob[at..]);
            ulong s = BinaryPrimitives.ReadUInt64BigEndian(blob[(at + 8)..]);
            if (a == 0 && s == 0) return list;
            list.Add((a, s));
        }
    }

    public static FdtNode Parse(ReadOnlySpan<byte> blob)
    {
        var h = ReadHeader(blob);
        var structBlock = blob.Slice((int)h.OffStruct, (int)h.SizeStruct);
        var strings = blob.Slice((int)h.OffStrings, (int)h.SizeStrings);
        var stack = new Stack<FdtNode>();
        FdtNode? root = null;
        int at = 0;
        while (true)
        {
            uint token = BinaryPrimitives.ReadUInt32BigEndian(structBlock[at..]);
            at += 4;
            switch (token)
            {
                case FdtBuilder.TokenBeginNode:
                    {
                        string name = ReadCString(structBlock, at);
                        at = Align(at + Encoding.UTF8.GetByteCount(name) + 1);
                        var node = new FdtNode(name);
                        if (stack.Count == 0)
                        {
                            if (root != null) throw new InvalidDataException("device tree has two roots");
                            root = node;
                        }
                        else
                        {
                            stack.Peek().Children.Add(node);
                        }
                        stack.Push(node);
                        break;
                    }
                case FdtBuilder.TokenEndNode:
                    if (stack.Count == 0) throw new InvalidDataException("unbalanced FDT_END_NODE");
                    stack.Pop();
                    break;
                case FdtBuilder.TokenProp:
                    {
                        int len = (int)BinaryPrimitives.ReadUInt32BigEndian(structBlock[at..]);
                        int nameOff = (int)BinaryPrimitives.ReadUInt32BigEndian(structBlock[(at + 4)..]);
                        at += 8;
                        if (stack.Count == 0) throw new InvalidDataException("property outside any node");
                        if (nameOff >= strings.Length) throw new InvalidDataException("property name offset outside the strings block");
                        stack.Peek().Properties.Add((ReadCString(strings, nameOff), structBlock.Slice(at, len).ToArray()));
                        at = Align(at + len);
                        break;
                    }
                case FdtBuilder.TokenNop:
                    break;
                case FdtBuilder.TokenEnd:
                    if (stack.Count != 0 || root == null) throw new InvalidDataException("FDT_END inside a node or before the root");
                    if (at != structBlock.Length) throw new InvalidDataException("data after FDT_END");
                    return root;
                default:
                    throw new InvalidDataException($"unknown FDT token {token} at struct offset {at - 4}");
            }
        }
    }

    private static int Align(int x) => (x + 3) & ~3;

    private static string ReadCString(ReadOnlySpan<byte> data, int at)
    {
        int end = data[at..].IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException("unterminated string in device tree");
        return Encoding.UTF8.GetString(data.Slice(at, end));
    }
}
