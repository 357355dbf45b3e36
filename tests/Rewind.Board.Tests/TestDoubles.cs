using Rewind.Board.Devices;
using Rewind.Core.Input;
using Rewind.Core.Interrupts;
using Rewind.Core.State;
using Rewind.Core.Time;

namespace Rewind.Board.Tests;

internal sealed class FakeRunControl(int shift = 3) : IRunControl
{
    public ulong Icount { get; set; }
    public VirtualClock Clock { get; } = new(shift);
    public int EndSliceCount { get; private set; }
    public void EndSlice() => EndSliceCount++;
}

internal sealed class FakeHart : IInterruptTarget
{
    private readonly Dictionary<int, bool> _bits = [];
    public int Changes { get; private set; }
    public bool this[int bit] => _bits.TryGetValue(bit, out bool v) && v;
    public void SetInterruptPending(int mipBit, bool level)
    {
        _bits[mipBit] = level;
        Changes++;
    }
}

internal sealed class FakeIrqSink : IIrqSink
{
    private readonly Dictionary<int, bool> _levels = [];
    public bool this[int line] => _levels.TryGetValue(line, out bool v) && v;
    public void SetIrq(int line, bool level) => _levels[line] = level;
}

internal sealed class CaptureSerial : ISerialBackend
{
    public List<byte> Bytes { get; } = [];
    public void Write(byte b) => Bytes.Add(b);
}

internal sealed class FakeInput(ulong hostClockNs) : IInputBoundary
{
    public ulong? HistoryEnd => null;
    public ulong HostClockNs { get; set; } = hostClockNs;
    public List<ulong> ClockReadsAt { get; } = [];
    public ulong NextDueIcount => ulong.MaxValue;
    public void DeliverDue(ulong icount) { }
    public ulong ReadHostClock(ulong icount)
    {
        ClockReadsAt.Add(icount);
        return HostClockNs;
    }
    public void ReadEntropy(ulong icount, Span<byte> destination) => destination.Fill(0xa5);
    public void Attach(InputChannel channel, IInputSink sink) { }
}

internal static class State
{
    public static byte[] Save(IStateful device)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) device.SaveState(w);
        return ms.ToArray();
    }

    public static void Load(IStateful device, byte[] state)
    {
        using var r = new BinaryReader(new MemoryStream(state));
        device.LoadState(r);
        Assert.Equal(state.Length, r.BaseStream.Position);
    }
}
