using Rewind.Board.Devices;
using Rewind.Core.Interrupts;

namespace Rewind.Board.Tests;

public class UartTests
{
    private const int Irq = VirtMemoryMap.Uart0Irq;
    private readonly FakeRunControl _run = new();
    private readonly FakeIrqSink _sink = new();
    private readonly CaptureSerial _serial = new();
    private readonly Uart16550 _uart;

    public UartTests() => _uart = new Uart16550(_serial, new IrqLine(_sink, Irq), _run);

    private ulong Reg(ulong r) => _uart.Read(r, 1);
    private void Set(ulong r, ulong v) => _uart.Write(r, 1, v);

    [Fact]
    public void Uart_ResetState_MatchesQemu()
    {
        Assert.Equal(0x60UL, Reg(5));
        Assert.Equal(0x01UL, Reg(2));
        Assert.Equal(0x08UL, Reg(4));
        Assert.Equal(0xb0UL, Reg(6));
        Assert.False(_sink[Irq]);
    }

    [Fact]
    public void Uart_TransmittedByte_GoesToBackendAndThrStaysEmpty()
    {
        Set(0, (byte)'h');
        Set(0, (byte)'i');
        Assert.Equal("hi"u8.ToArray(), _serial.Bytes);
        Assert.Equal(0x60UL, Reg(5) & 0x60);
    }

    [Fact]
    public void Uart_ReceivedByte_SetsDataReadyAndRaisesIrqWhenEnabled()
    {
        _uart.Receive("A"u8);
        Assert.Equal(1UL, Reg(5) & 1);
        Assert.False(_sink[Irq]);
        Set(1, 0x01);
        Assert.True(_sink[Irq]);
        Assert.Equal(0x04UL, Reg(2) & 0x0f);
        Assert.Equal((ulong)'A', Reg(0));
        Assert.Equal(0UL, Reg(5) & 1);
        Assert.False(_sink[Irq]);
    }

    [Fact]
    public void Uart_ThrEmptyInterrupt_RaisedOnEnableAndClearedByIirRead()
    {
        Set(1, 0x02);
        Assert.True(_sink[Irq]);
        Assert.Equal(0x02UL, Reg(2) & 0x0f);
        Assert.False(_sink[Irq]);
        Assert.Equal(0x01UL, Reg(2) & 0x0f);
        Set(0, (byte)'x');
        Assert.True(_sink[Irq]);
    }

    [Fact]
    public void Uart_FifoEnabled_ReportsC0InIir()
    {
        Set(2, 0x01);
        Assert.Equal(0xc1UL, Reg(2));
        Set(2, 0x00);
        Assert.Equal(0x01UL, Reg(2));
    }

    [Fact]
    public void Uart_DivisorLatch_IsReachedThroughDlab()
    {
        Set(3, 0x83);
        Set(0, 0x0c);
        Set(1, 0x01);
        Assert.Equal(0x0cUL, Reg(0));
        Assert.Equal(0x01UL, Reg(1));
        Set(3, 0x03);
        Assert.Equal(0x03UL, Reg(3));
        Assert.Equal(0UL, Reg(1)); // IER again
        Assert.Empty(_serial.Bytes);
    }

    [Fact]
    public void Uart_ScratchRegister_HoldsValue()
    {
        Set(7, 0x5a);
        Assert.Equal(0x5aUL, Reg(7));
    }

    [Fact]
    public void Uart_Loopback_ReturnsTransmittedByteAndModemBits()
    {
        Set(4, 0x10 | 0x0f);
        Set(0, 0x42);
        Assert.Empty(_serial.Bytes);
        Assert.Equal(1UL, Reg(5) & 1);
        Assert.Equal(0x42UL, Reg(0));
        Assert.Equal(0xf0UL, Reg(6));
    }

    [Fact]
    public void Uart_InputBeyondFifo_IsQueuedNotDropped()
    {
        Set(2, 0x01);
        var data = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        _uart.Receive(data);
        Assert.Equal(40 - Uart16550.FifoLength, _uart.WaitingCount);
        var got = new List<byte>();
        while ((Reg(5) & 1) != 0) got.Add((byte)Reg(0));
        Assert.Equal(data, got);
        Assert.Equal(0UL, Reg(5) & 0x02); // no overrun
    }

    [Fact]
    public void Uart_InputWithoutFifo_WaitsForEachRead()
    {
        _uart.Receive("ab"u8);
        Assert.Equal(1, _uart.WaitingCount);
        Assert.Equal((ulong)'a', Reg(0));
        Assert.Equal(1UL, Reg(5) & 1);
        Assert.Equal((ulong)'b', Reg(0));
        Assert.Equal(0UL, Reg(5) & 1);
    }

    [Fact]
    public void Uart_FifoBelowTriggerLevel_RaisesCharacterTimeoutAfterDeadline()
    {
        Set(2, 0x81); // FIFO on, trigger level 8
        Set(1, 0x01);
        _run.Icount = 1000;
        _uart.Receive("abc"u8);
        Assert.False(_sink[Irq]);
        ulong deadline = _uart.NextDeadline(_run.Icount);
        Assert.True(deadline > 1000 && deadline != ulong.MaxValue);
        _uart.Advance(deadline - 1);
        Assert.False(_sink[Irq]);
        _uart.Advance(deadline);
        Assert.True(_sink[Irq]);
        Assert.Equal(0xccUL, Reg(2));
    }

    [Fact]
    public void Uart_FifoAtTriggerLevel_RaisesDataInterruptAtOnce()
    {
        Set(2, 0x41); // trigger level 4
        Set(1, 0x01);
        _uart.Receive("abc"u8);
        Assert.False(_sink[Irq]);
        _uart.Receive("d"u8);
        Assert.True(_sink[Irq]);
    }

    [Fact]
    public void Uart_Overrun_InLoopbackWithoutFifo_SetsOeAndLineStatusIrq()
    {
        Set(4, 0x10);
        Set(1, 0x04);
        Set(0, 1);
        Set(0, 2);
        Assert.True(_sink[Irq]);
        Assert.Equal(0x06UL, Reg(2) & 0x0f);
        Assert.Equal(0x02UL, Reg(5) & 0x02);
        Assert.Equal(0UL, Reg(5) & 0x02);
        Assert.False(_sink[Irq]);
    }

    [Fact]
    public void Uart_SaveLoad_RoundTripsFifoQueueAndRegisters()
    {
        Set(2, 0x01);
        Set(1, 0x03);
        Set(7, 0x77);
        _uart.Receive(Enumerable.Range(0, 20).Select(i => (byte)('a' + i)).ToArray());
        var saved = State.Save(_uart);

        var sink2 = new FakeIrqSink();
        var copy = new Uart16550(new CaptureSerial(), new IrqLine(sink2, Irq), _run);
        State.Load(copy, saved);
        Assert.Equal(saved, State.Save(copy));
        Assert.True(sink2[Irq]);
        Assert.Equal(0x77UL, copy.Read(7, 1));
        for (int i = 0; i < 20; i++) Assert.Equal((ulong)('a' + i), copy.Read(0, 1));
    }
}
