using Rewind.Core.State;

namespace Rewind.Board.Devices;

/// <summary>A fixed-capacity ring of bytes, allocation-free after construction.</summary>
public sealed class ByteFifo(int capacity) : IStateful
{
    private readonly byte[] _items = new byte[capacity];
    private int _head;

    public int Count { get; private set; }
    public int Capacity => _items.Length;
    public bool IsFull => Count == _items.Length;
    public bool IsEmpty => Count == 0;

    public bool TryPush(byte b)
    {
        if (IsFull) return false;
        _items[(_head + Count) % _items.Length] = b;
        Count++;
        return true;
    }

    public byte Pop()
    {
        if (Count == 0) return 0;
        byte b = _items[_head];
        _head = (_head + 1) % _items.Length;
        Count--;
        return b;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(Count);
        for (int i = 0; i < Count; i++)
            writer.Write(_items[(_head + i) % _items.Length]);
    }

    public void LoadState(BinaryReader reader)
    {
        int n = reader.ReadInt32();
        if (n < 0 || n > _items.Length) throw new InvalidDataException($"FIFO snapshot holds {n} bytes, capacity is {_items.Length}");
        Clear();
        for (int i = 0; i < n; i++) TryPush(reader.ReadByte());
    }
}
