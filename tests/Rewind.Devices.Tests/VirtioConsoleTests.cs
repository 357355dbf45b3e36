using System.Buffers.Binary;
using System.Text;
using Rewind.Devices.Serial;
using Rewind.Devices.Virtio;
using R = Rewind.Devices.Virtio.VirtioMmioRegister;

namespace Rewind.Devices.Tests;

public class VirtioConsoleTests
{
    private sealed class CapturingOutput : IConsoleOutput
    {
        public List<byte> Bytes { get; } = [];
        public string Text => Encoding.ASCII.GetString([.. Bytes]);
        public void Write(ReadOnlySpan<byte> data) => Bytes.AddRange(data.ToArray());
    }

    /// <summary>
    /// A driver of a virtio-console with port 0 (a console with a character device) and port 1 (named,
    /// without one): queues 0..5 set up, 8 entries each, a page of rings and a page of buffers per queue.
    /// </summary>
    private sealed class ConsoleRig
    {
        private readonly ushort[] _avail = new ushort[6];
        private readonly ushort[] _nextDesc = new ushort[6];

        public ConsoleRig(bool multiport = true, bool modern = true, bool driverOk = true, bool emergencyWrite = false, CapturingOutput? output1 = null)
        {
            Port0 = new VirtioConsolePort(0, isConsole: true, name: null, Output0);
            Port1 = new VirtioConsolePort(1, isConsole: false, name: "org.rewind.test", output: output1);
            Console = new VirtioConsole([Port0, Port1]);
            Rig = new TransportRig(Console, legacy: !modern);
            Console.Transport = Rig.Transport;
            Rig.Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver);
            Rig.Write(R.DriverFeaturesSel, 0);
            Rig.Write(R.DriverFeatures, (multiport ? 1u << VirtioConsole.FeatureMultiport : 0) | (emergencyWrite ? 1u << VirtioConsole.FeatureEmergencyWrite : 0));
            if (modern)
            {
                Rig.Write(R.DriverFeaturesSel, 1);
                Rig.Write(R.DriverFeatures, 1);
                Rig.Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk);
            }
            else Rig.Write(R.GuestPageSize, 4096);
            for (uint q = 0; q < 6; q++)
            {
                Rig.Write(R.QueueSel, q);
                Rig.Write(R.QueueNum, 8);
                ulong desc = Rings(q);
                if (modern)
                {
                    Rig.Write(R.QueueDescLow, (uint)desc);
                    Rig.Write(R.QueueDriverLow, (uint)(desc + 0x400));
                    Rig.Write(R.QueueDeviceLow, (uint)(desc + 0x800));
                    Rig.Write(R.QueueReady, 1);
                }
                else
                {
                    Rig.Write(R.QueueAlign, 1024);
                    Rig.Write(R.QueuePfn, (uint)(desc >> 12));
                }
            }
            if (driverOk) Rig.Write(R.Status, Rig.Read(R.Status) | VirtioStatus.DriverOk);
        }

        public CapturingOutput Output0 { get; } = new();
        public VirtioConsolePort Port0 { get; }
        public VirtioConsolePort Port1 { get; }
        public VirtioConsole Console { get; }
        public TransportRig Rig { get; }
        public GuestMemory Memory => Rig.Guest.Memory;

        private static ulong Rings(uint q) => GuestRig.RamBase + 0x10000 + 0x1000UL * q;
        public static ulong Buffer(uint q, int i) => GuestRig.RamBase + 0x20000 + 0x1000UL * q + 0x100UL * (ulong)i;

        public SplitVirtqueue Queue(uint q) => Rig.Transport.Queue((int)q);

        /// <summary>Makes a buffer of queue <paramref name="q"/> available: device-writable, or holding <paramref name="data"/>.</summary>
        public void Offer(uint q, uint length = 0x100, byte[]? data = null, ulong? address = null)
        {
            ushort i = (ushort)(_nextDesc[q]++ % 8);
            ulong at = address ?? Buffer(q, i);
            if (data != null) Memory.TryWrite(at, data);
            Span<byte> d = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(d, at);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], data != null ? (uint)data.Length : length);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], data != null ? (ushort)0 : SplitVirtqueue.DescWrite);
            Assert.True(Memory.TryWrite(Queue(q).DescTable + 16UL * i, d));
            Memory.TryWriteU16(Queue(q).AvailRing + 4 + 2UL * (ulong)(_avail[q] % 8), i);
            _avail[q]++;
            Memory.TryWriteU16(Queue(q).AvailRing + 2, _avail[q]);
        }

        public void NotifyAndComplete(uint q)
        {
            Rig.Write(R.QueueNotify, q);
            Rig.Run.Icount += VirtioMmioTransport.CompletionLatency;
            Rig.Transport.Advance(Rig.Run.Icount);
        }

        /// <summary>Host bytes delivered by the input boundary at the current count; the run loop advances the transport right after.</summary>
        public void Deliver(VirtioConsolePort port, string text)
        {
            port.Receive(Encoding.ASCII.GetBytes(text));
            Rig.Transport.Advance(Rig.Run.Icount);
        }

        public void Send(uint q, string text)
        {
            Offer(q, data: Encoding.ASCII.GetBytes(text));
            NotifyAndComplete(q);
        }

        /// <summary>The driver sends a control message on queue 3.</summary>
        public void Control(uint id, ushort evt, ushort value)
        {
            var m = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(m, id);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), evt);
            BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(6), value);
            Offer(VirtioConsole.ControlTransmitQueue, data: m);
            NotifyAndComplete(VirtioConsole.ControlTransmitQueue);
        }

        public ushort UsedIndex(uint q) => Rig.Guest.U16(Queue(q).UsedRing + 2);

        public (uint Id, uint Length) UsedEntry(uint q, int i) =>
            (Rig.Guest.U32(Queue(q).UsedRing + 4 + 8UL * (ulong)(i % 8)), Rig.Guest.U32(Queue(q).UsedRing + 8 + 8UL * (ulong)(i % 8)));

        public string Received(uint q, int i)
        {
            var (id, length) = UsedEntry(q, i);
            return Encoding.ASCII.GetString(Rig.Guest.Bytes(Buffer(q, (int)id), (int)length));
        }

        /// <summary>The control messages the device has sent so far: (port, event, value, name).</summary>
        public List<(uint Id, ushort Event, ushort Value, string? Name)> ControlSent()
        {
            var list = new List<(uint, ushort, ushort, string?)>();
            for (int i = 0; i < UsedIndex(VirtioConsole.ControlReceiveQueue); i++)
            {
                var (id, length) = UsedEntry(VirtioConsole.ControlReceiveQueue, i);
                var b = Rig.Guest.Bytes(Buffer(VirtioConsole.ControlReceiveQueue, (int)id), (int)length);
                string? name = length > 8 ? Encoding.UTF8.GetString(b, 8, (int)length - 9) : null;
                list.Add((BinaryPrimitives.ReadUInt32LittleEndian(b), BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(4)),
                    BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(6)), name));
            }
            return list;
        }

        /// <summary>What Linux does at probe: control receive buffers, DEVICE_READY, then PORT_READY and (console) PORT_OPEN for port 0.</summary>
        public void Handshake()
        {
            for (int i = 0; i < 8; i++) Offer(VirtioConsole.ControlReceiveQueue);
            Control(0, VirtioConsole.DeviceReady, 1);
            Control(0, VirtioConsole.PortReady, 1);
            Control(0, VirtioConsole.PortOpen, 1);
        }
    }

    [Fact]
    public void Device_IsAConsoleWithMultiportAndEmergencyWrite_And31Ports()
    {
        var rig = new ConsoleRig();
        Assert.Equal(3u, rig.Rig.Read(R.DeviceId));
        rig.Rig.Write(R.DeviceFeaturesSel, 0);
        uint features = rig.Rig.Read(R.DeviceFeatures);
        Assert.Equal(1u << VirtioConsole.FeatureMultiport | 1u << VirtioConsole.FeatureEmergencyWrite, features & 7);
        Assert.Equal(31u, (uint)rig.Rig.Transport.Read((ulong)R.Config + 4, 4));
        Assert.Equal(0u, (uint)rig.Rig.Transport.Read((ulong)R.Config, 4));
        Assert.Equal(64, rig.Console.QueueSizes.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WithoutMultiport_Port0SendsToItsCharacterDevice_AndReceivesHostBytes(bool modern)
    {
        var rig = new ConsoleRig(multiport: false, modern: modern);
        rig.Send(1, "hello\n");
        Assert.Equal("hello\n", rig.Output0.Text);
        Assert.Equal(1, rig.UsedIndex(1));
        Assert.Equal((0u, 0u), rig.UsedEntry(1, 0));

        rig.Offer(0);
        rig.NotifyAndComplete(0);
        rig.Rig.Run.Icount = 50_000;
        rig.Deliver(rig.Port0, "typed");
        Assert.Equal(1, rig.UsedIndex(0));
        Assert.Equal("typed", rig.Received(0, 0));
        Assert.True(rig.Rig.Irq.Level);
    }

    [Fact]
    public void Multiport_Handshake_AddsEachPort_AndTellsConsoleNameAndHostOpen()
    {
        var rig = new ConsoleRig();
        for (int i = 0; i < 8; i++) rig.Offer(VirtioConsole.ControlReceiveQueue);
        rig.Control(0, VirtioConsole.DeviceReady, 1);
        Assert.Equal([(0u, VirtioConsole.PortAdd, (ushort)1, (string?)null), (1u, VirtioConsole.PortAdd, (ushort)1, null)], rig.ControlSent());
        Assert.True(rig.Rig.Irq.Level);

        rig.Control(0, VirtioConsole.PortReady, 1);
        rig.Control(1, VirtioConsole.PortReady, 1);
        // Each control message comes back under its own descriptor, though answers took buffers meanwhile.
        Assert.Equal(3, rig.UsedIndex(VirtioConsole.ControlTransmitQueue));
        for (int i = 0; i < 3; i++) Assert.Equal(((uint)i, 0u), rig.UsedEntry(VirtioConsole.ControlTransmitQueue, i));
        var sent = rig.ControlSent().Skip(2).ToList();
        Assert.Equal([
            (0u, VirtioConsole.ConsolePort, (ushort)1, (string?)null),
            (0u, VirtioConsole.PortOpen, (ushort)1, null),
            (1u, VirtioConsole.PortName, (ushort)1, "org.rewind.test"),
        ], sent);
    }

    /// <summary>
    /// A virtserialport on a chardev: the driver hears its name and that the host side is open, never
    /// that it is a console (Linux makes it /dev/vport0p1, not an hvc); bytes go both ways on its queues.
    /// </summary>
    [Fact]
    public void GenericPortWithAChardev_IsNamedAndOpen_NotAConsole_AndCarriesBytesBothWays()
    {
        var output1 = new CapturingOutput();
        var rig = new ConsoleRig(output1: output1);
        for (int i = 0; i < 8; i++) rig.Offer(VirtioConsole.ControlReceiveQueue);
        rig.Control(0, VirtioConsole.DeviceReady, 1);
        rig.Control(1, VirtioConsole.PortReady, 1);
        Assert.Equal([
            (1u, VirtioConsole.PortName, (ushort)1, (string?)"org.rewind.test"),
            (1u, VirtioConsole.PortOpen, (ushort)1, null),
        ], rig.ControlSent().Skip(2).ToList());

        rig.Control(1, VirtioConsole.PortOpen, 1);
        rig.Offer(4);
        rig.NotifyAndComplete(4);
        rig.Deliver(rig.Port1, "to guest");
        Assert.Equal(1, rig.UsedIndex(4));
        Assert.Equal("to guest", rig.Received(4, 0));
        rig.Send(5, "to host");
        Assert.Equal("to host", Encoding.ASCII.GetString([.. output1.Bytes]));
        Assert.Empty(rig.Output0.Bytes);
    }

    [Fact]
    public void HostBytes_WaitUntilTheDriverOpensThePort_ThenFillItsBuffers()
    {
        var rig = new ConsoleRig();
        for (int i = 0; i < 8; i++) rig.Offer(VirtioConsole.ControlReceiveQueue);
        rig.Control(0, VirtioConsole.DeviceReady, 1);
        rig.Offer(0);
        rig.NotifyAndComplete(0);
        rig.Deliver(rig.Port0, "early");
        Assert.Equal(0, rig.UsedIndex(0));
        Assert.Equal(5, rig.Port0.Pending);

        rig.Control(0, VirtioConsole.PortReady, 1);
        Assert.Equal(0, rig.UsedIndex(0));
        rig.Control(0, VirtioConsole.PortOpen, 1);
        Assert.True(rig.Port0.GuestConnected);
        Assert.Equal(1, rig.UsedIndex(0));
        Assert.Equal("early", rig.Received(0, 0));
        Assert.Equal(0, rig.Port0.Pending);

        rig.Control(0, VirtioConsole.PortOpen, 0);
        rig.Offer(0);
        rig.Deliver(rig.Port0, "closed");
        Assert.Equal(1, rig.UsedIndex(0));
        Assert.Equal(6, rig.Port0.Pending);
    }

    [Fact]
    public void HostBytes_BeyondABuffer_GoToTheNextOne_AndTheRestWaitsForMore()
    {
        var rig = new ConsoleRig();
        rig.Handshake();
        rig.Offer(0, length: 4);
        rig.Offer(0, length: 4);
        rig.NotifyAndComplete(0);
        rig.Deliver(rig.Port0, "abcdefghij");
        Assert.Equal(2, rig.UsedIndex(0));
        Assert.Equal("abcd", rig.Received(0, 0));
        Assert.Equal("efgh", rig.Received(0, 1));
        Assert.Equal(2, rig.Port0.Pending);
        rig.Offer(0);
        rig.NotifyAndComplete(0);
        Assert.Equal("ij", rig.Received(0, 2));
        Assert.Equal(0, rig.Port0.Pending);
    }

    [Fact]
    public void HostBytes_PastTheLimit_AreDroppedAndCounted()
    {
        var rig = new ConsoleRig();
        rig.Port0.Receive(new byte[VirtioConsolePort.MaxPending + 10]);
        Assert.Equal(VirtioConsolePort.MaxPending, rig.Port0.Pending);
        Assert.Equal(10ul, rig.Port0.Dropped);
    }

    [Fact]
    public void Multiport_OutputOfAPortWithoutACharacterDevice_IsDiscarded_AndPort1UsesQueues4And5()
    {
        var rig = new ConsoleRig();
        rig.Handshake();
        rig.Send(5, "to port 1");
        Assert.Equal(1, rig.UsedIndex(5));
        Assert.Empty(rig.Output0.Bytes);
        rig.Send(1, "to port 0");
        Assert.Equal("to port 0", rig.Output0.Text);
    }

    [Fact]
    public void EmergencyWrite_GoesToPort0_OnlyWhenNegotiated()
    {
        var rig = new ConsoleRig(emergencyWrite: true);
        rig.Rig.Transport.Write((ulong)R.Config + 8, 4, 'E');
        rig.Rig.Transport.Write((ulong)R.Config + 8, 1, 'W');
        Assert.Equal("EW", rig.Output0.Text);
        var without = new ConsoleRig(emergencyWrite: false);
        without.Rig.Transport.Write((ulong)R.Config + 8, 4, 'E');
        Assert.Empty(without.Output0.Bytes);
    }

    [Fact]
    public void Reset_ClosesThePorts_ButKeepsHostBytes()
    {
        var rig = new ConsoleRig();
        rig.Handshake();
        rig.Port0.Receive("kept"u8);
        Assert.True(rig.Port0.GuestConnected);
        rig.Rig.Write(R.Status, 0);
        Assert.False(rig.Port0.GuestConnected);
        Assert.Equal(4, rig.Port0.Pending);
    }

    [Fact]
    public void State_RestoresPendingBytesAndOpenPorts()
    {
        var rig = new ConsoleRig();
        for (int i = 0; i < 8; i++) rig.Offer(VirtioConsole.ControlReceiveQueue);
        rig.Control(0, VirtioConsole.DeviceReady, 1);
        rig.Control(0, VirtioConsole.PortOpen, 1);
        rig.Deliver(rig.Port0, "pending");
        var saved = new MemoryStream();
        using (var w = new BinaryWriter(saved, Encoding.UTF8, leaveOpen: true)) rig.Rig.Transport.SaveState(w);

        rig.Offer(0);
        rig.NotifyAndComplete(0);
        Assert.Equal(0, rig.Port0.Pending);
        rig.Control(0, VirtioConsole.PortOpen, 0);

        saved.Position = 0;
        using (var r = new BinaryReader(saved)) rig.Rig.Transport.LoadState(r);
        Assert.Equal(7, rig.Port0.Pending);
        Assert.True(rig.Port0.GuestConnected);
        Assert.False(rig.Port1.GuestConnected);
    }

    [Fact]
    public void LoadState_WithAnotherPortCount_IsAnError()
    {
        var one = new VirtioConsole([new VirtioConsolePort(0, true, null, null)]);
        var saved = new MemoryStream();
        using (var w = new BinaryWriter(saved, Encoding.UTF8, leaveOpen: true)) new VirtioConsole([]).SaveState(w);
        saved.Position = 0;
        using var r = new BinaryReader(saved);
        Assert.Throws<InvalidDataException>(() => one.LoadState(r));
    }

    [Fact]
    public void TransmitBufferOutsideRam_PutsTheDeviceInNeedsReset()
    {
        var rig = new ConsoleRig();
        rig.Offer(1, data: null, length: 16, address: 0x1000);
        // A device-writable buffer on a transmit queue carries nothing, but outside RAM it is still an error.
        rig.NotifyAndComplete(1);
        Assert.NotEqual(0u, rig.Rig.Read(R.Status) & VirtioStatus.NeedsReset);
        Assert.Contains("outside RAM", rig.Rig.Transport.Problem);
    }

    [Fact]
    public void ControlReceiveBufferOutsideRam_PutsTheDeviceInNeedsReset()
    {
        var rig = new ConsoleRig();
        rig.Offer(VirtioConsole.ControlReceiveQueue, address: 0x2000);
        rig.Control(0, VirtioConsole.DeviceReady, 1);
        Assert.NotEqual(0u, rig.Rig.Read(R.Status) & VirtioStatus.NeedsReset);
        Assert.Contains("control receive buffer outside RAM", rig.Rig.Transport.Problem);
    }

    [Fact]
    public void BadControlMessages_AreIgnored_AndMessagesWithoutBuffersAreDropped()
    {
        var rig = new ConsoleRig();
        // No control receive buffers: the PORT_ADDs are lost, as in QEMU.
        rig.Control(0, VirtioConsole.DeviceReady, 1);
        Assert.Equal(2ul, rig.Console.DroppedControl);
        for (int i = 0; i < 4; i++) rig.Offer(VirtioConsole.ControlReceiveQueue);
        rig.Offer(VirtioConsole.ControlTransmitQueue, data: [1, 2, 3]);
        rig.NotifyAndComplete(VirtioConsole.ControlTransmitQueue);
        rig.Control(7, VirtioConsole.PortReady, 1);
        rig.Control(0, 0x1234, 1);
        rig.Control(0, VirtioConsole.DeviceReady, 0);
        Assert.Empty(rig.ControlSent());
        Assert.Equal(0u, rig.Rig.Read(R.Status) & VirtioStatus.NeedsReset);
        Assert.Equal(5, rig.UsedIndex(VirtioConsole.ControlTransmitQueue));
    }

    [Fact]
    public void NothingIsReceived_BeforeDriverOk()
    {
        var rig = new ConsoleRig(multiport: false, driverOk: false);
        rig.Offer(0);
        rig.Deliver(rig.Port0, "x");
        Assert.Equal(0, rig.UsedIndex(0));
        Assert.Equal(1, rig.Port0.Pending);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void RandomGuestProgramming_GetsAnswersOrAReset_NeverAHostException(int seed)
    {
        var rng = new Random(seed);
        int completed = 0, resets = 0;
        var rig = new ConsoleRig(multiport: rng.Next(4) != 0, modern: rng.Next(2) == 0, emergencyWrite: true);
        for (int round = 0; round < 400; round++)
        {
            uint q = (uint)rng.Next(0, 6);
            switch (rng.Next(6))
            {
                case 0:
                    rig.Control((uint)rng.Next(0, 3), (ushort)rng.Next(0, 9), (ushort)rng.Next(0, 2));
                    break;
                case 1:
                    rig.Port0.Receive(new byte[rng.Next(0, 600)]);
                    rig.Rig.Transport.Advance(rig.Rig.Run.Icount);
                    break;
                case 2:
                    // A buffer anywhere: in RAM, past its end, or at address 0, writable or not, of any length.
                    ulong at = rng.Next(3) switch { 0 => ConsoleRig.Buffer(q, rng.Next(0, 8)), 1 => GuestRig.RamBase + (1 << 20) - (ulong)rng.Next(0, 64), _ => (ulong)rng.Next(0, 0x1000) };
                    if (rng.Next(2) == 0) rig.Offer(q, (uint)rng.Next(1, 0x200), address: at);
                    else rig.Offer(q, data: new byte[rng.Next(1, 16)], address: at);
                    rig.NotifyAndComplete(q);
                    break;
                case 3:
                    rig.Rig.Transport.Write((ulong)R.Config + (ulong)rng.Next(0, 16), 1, (ulong)rng.Next(0, 256));
                    break;
                case 4:
                    // Random bytes in a ring: indices far ahead, heads past the queue.
                    rig.Memory.TryWriteU16(rig.Queue(q).AvailRing + (ulong)(2 * rng.Next(0, 10)), (ushort)rng.Next(0, 65536));
                    rig.NotifyAndComplete(q);
                    break;
                default:
                    rig.NotifyAndComplete(q);
                    break;
            }
            completed += rig.UsedIndex(q);
            if ((rig.Rig.Read(R.Status) & VirtioStatus.NeedsReset) != 0)
            {
                Assert.NotNull(rig.Rig.Transport.Problem);
                resets++;
                rig = new ConsoleRig(multiport: rng.Next(4) != 0, modern: rng.Next(2) == 0, emergencyWrite: true);
            }
        }
        Assert.True(completed > 10, $"only {completed} requests completed");
        Assert.True(resets > 10, $"only {resets} resets");
    }
}
