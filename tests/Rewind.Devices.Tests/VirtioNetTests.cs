using System.Buffers.Binary;
using Rewind.Devices.Net;
using Rewind.Devices.Virtio;
using R = Rewind.Devices.Virtio.VirtioMmioRegister;

namespace Rewind.Devices.Tests;

public class VirtioNetTests
{
    private const ulong RxDesc = GuestRig.RamBase + 0x1000, RxAvail = GuestRig.RamBase + 0x2000, RxUsed = GuestRig.RamBase + 0x3000;
    private const ulong TxDesc = GuestRig.RamBase + 0x4000, TxAvail = GuestRig.RamBase + 0x5000, TxUsed = GuestRig.RamBase + 0x6000;
    private const ulong RxBuffers = GuestRig.RamBase + 0x10000, TxBuffer = GuestRig.RamBase + 0x20000;
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    private sealed class CapturingPeer : INetworkPeer
    {
        public List<byte[]> Frames { get; } = [];
        public int Released { get; private set; }
        public void Transmit(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
        public void FrameReleased() => Released++;
    }

    /// <summary>A modern (VERSION_1, 12-byte header) or legacy (10-byte header) driver with both queues set up.</summary>
    private sealed class NetRig
    {
        private ushort _rxAvail, _txAvail;

        public NetRig(bool modern = true, bool driverOk = true)
        {
            Net = new VirtioNet(Mac, Peer);
            Rig = new TransportRig(Net, legacy: !modern);
            Net.Transport = Rig.Transport;
            Rig.Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver);
            Rig.Write(R.DriverFeaturesSel, 0);
            Rig.Write(R.DriverFeatures, 1u << VirtioNet.FeatureMac);
            if (modern)
            {
                Rig.Write(R.DriverFeaturesSel, 1);
                Rig.Write(R.DriverFeatures, 1);
                Rig.Write(R.Status, VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk);
            }
            else Rig.Write(R.GuestPageSize, 4096);
            Queue(0, RxDesc, RxAvail, RxUsed, modern);
            Queue(1, TxDesc, TxAvail, TxUsed, modern);
            if (driverOk) Rig.Write(R.Status, Rig.Read(R.Status) | VirtioStatus.DriverOk);
            HeaderLength = modern ? VirtioNet.HeaderSize : VirtioNet.LegacyHeaderSize;
        }

        public VirtioNet Net { get; }
        public TransportRig Rig { get; }
        public CapturingPeer Peer { get; } = new();
        public int HeaderLength { get; }
        public GuestMemory Memory => Rig.Guest.Memory;
        public ulong RxUsedRing => Rig.Transport.Queue(0).UsedRing;
        public ulong TxUsedRing => Rig.Transport.Queue(1).UsedRing;

        private void Queue(uint index, ulong desc, ulong avail, ulong used, bool modern)
        {
            Rig.Write(R.QueueSel, index);
            Rig.Write(R.QueueNum, 8);
            if (modern)
            {
                Rig.Write(R.QueueDescLow, (uint)desc);
                Rig.Write(R.QueueDriverLow, (uint)avail);
                Rig.Write(R.QueueDeviceLow, (uint)used);
                Rig.Write(R.QueueReady, 1);
            }
            else
            {
                Rig.Write(R.QueueAlign, 4096);
                Rig.Write(R.QueuePfn, (uint)(desc >> 12));
            }
        }

        /// <summary>Offers receive buffer <paramref name="i"/> of <paramref name="length"/> bytes.</summary>
        public void PostRx(ushort i, uint length = 1536)
        {
            var q = Rig.Transport.Queue(0);
            WriteDesc(q.DescTable, i, RxBuffers + 0x800UL * i, length, SplitVirtqueue.DescWrite);
            Memory.TryWriteU16(q.AvailRing + 4 + 2UL * (ulong)(_rxAvail % 8), i);
            _rxAvail++;
            Memory.TryWriteU16(q.AvailRing + 2, _rxAvail);
        }

        public void NotifyAndComplete(uint queue)
        {
            Rig.Write(R.QueueNotify, queue);
            Rig.Run.Icount += VirtioMmioTransport.CompletionLatency;
            Rig.Transport.Advance(Rig.Run.Icount);
        }

        /// <summary>A frame delivered by the input boundary at the current count: the run loop advances the transport right after.</summary>
        public void Deliver(byte[] frame)
        {
            Net.Receive(frame);
            Rig.Transport.Advance(Rig.Run.Icount);
        }

        public void Send(byte[] frame)
        {
            var q = Rig.Transport.Queue(1);
            var bytes = new byte[HeaderLength + frame.Length];
            frame.CopyTo(bytes, HeaderLength);
            Assert.True(Memory.TryWrite(TxBuffer, bytes));
            WriteDesc(q.DescTable, 0, TxBuffer, (uint)bytes.Length, 0);
            Memory.TryWriteU16(q.AvailRing + 4 + 2UL * (ulong)(_txAvail % 8), 0);
            _txAvail++;
            Memory.TryWriteU16(q.AvailRing + 2, _txAvail);
            NotifyAndComplete(1);
        }

        public ushort RxUsedIndex => Rig.Guest.U16(RxUsedRing + 2);

        public (uint Id, uint Length) RxUsedEntry(int i) =>
            (Rig.Guest.U32(RxUsedRing + 4 + 8UL * (ulong)(i % 8)), Rig.Guest.U32(RxUsedRing + 8 + 8UL * (ulong)(i % 8)));

        public byte[] RxBuffer(ushort i, int length) => Rig.Guest.Bytes(RxBuffers + 0x800UL * i, length);

        private void WriteDesc(ulong table, int index, ulong addr, uint len, ushort flags)
        {
            Span<byte> d = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(d, addr);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], len);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
            Assert.True(Memory.TryWrite(table + 16UL * (ulong)index, d));
        }
    }

    private static byte[] Frame(int length, byte fill)
    {
        var f = new byte[length];
        Array.Fill(f, fill);
        return f;
    }

    [Fact]
    public void ConfigSpace_HoldsTheMacAndLinkUp()
    {
        var rig = new NetRig();
        Assert.Equal(1u, rig.Rig.Read(R.DeviceId));
        for (int i = 0; i < 6; i++) Assert.Equal(Mac[i], (byte)rig.Rig.Transport.Read((ulong)R.Config + (ulong)i, 1));
        Assert.Equal(VirtioNet.StatusLinkUp, (ushort)rig.Rig.Transport.Read((ulong)R.Config + 6, 2));
        rig.Rig.Write(R.DeviceFeaturesSel, 0);
        uint features = rig.Rig.Read(R.DeviceFeatures);
        Assert.NotEqual(0u, features & (1u << VirtioNet.FeatureMac));
        Assert.NotEqual(0u, features & (1u << VirtioNet.FeatureStatus));
    }

    [Theory]
    [InlineData(true, 12)]
    [InlineData(false, 10)]
    public void ReceivedFrame_FillsABufferAtTheDeliveryCount_WithTheHeaderOfTheDriversVersion(bool modern, int header)
    {
        var rig = new NetRig(modern);
        rig.PostRx(0);
        rig.NotifyAndComplete(0);
        rig.Rig.Run.Icount = 10_000;
        var frame = Frame(60, 0xab);
        rig.Deliver(frame);
        Assert.Equal(1, rig.RxUsedIndex);
        Assert.Equal((0u, (uint)(header + 60)), rig.RxUsedEntry(0));
        var bytes = rig.RxBuffer(0, header + 60);
        Assert.Equal(frame, bytes[header..]);
        // num_buffers is 1 in the modern header; the rest of the header is zero (no checksum or GSO).
        Assert.Equal(modern ? new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 } : new byte[10], bytes[..header]);
        Assert.True(rig.Rig.Irq.Level);
    }

    [Fact]
    public void FramesWithoutBuffers_WaitInTheDevice_UntilTheDriverOffersSome()
    {
        var rig = new NetRig();
        rig.Deliver(Frame(60, 1));
        rig.Deliver(Frame(70, 2));
        Assert.Equal(2, rig.Net.Pending);
        Assert.Equal(0, rig.RxUsedIndex);
        rig.PostRx(0);
        rig.PostRx(1);
        rig.NotifyAndComplete(0);
        Assert.Equal(0, rig.Net.Pending);
        Assert.Equal(2, rig.RxUsedIndex);
        Assert.Equal((1u, 12u + 70), rig.RxUsedEntry(1));
        Assert.Equal(2, rig.RxBuffer(1, 13)[12]);
    }

    [Fact]
    public void NothingIsReceived_BeforeDriverOk()
    {
        var rig = new NetRig(driverOk: false);
        rig.PostRx(0);
        rig.Deliver(Frame(60, 1));
        Assert.Equal(0, rig.RxUsedIndex);
        Assert.Equal(1, rig.Net.Pending);
    }

    /// <summary>
    /// A driver may fill the receive queue before it sets DRIVER_OK (virtio 1.2 §3.1.1, step 7 before 8).
    /// Frames that came before are then handed over without waiting for another notify or frame, as QEMU
    /// flushes its queued packets when the driver becomes ready; a completion latency later, as a notify.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FramesWaitingAtDriverOk_FillTheBuffersOfferedBefore_WithoutAnotherNotify(bool modern)
    {
        var rig = new NetRig(modern, driverOk: false);
        rig.Deliver(Frame(60, 1));
        rig.PostRx(0);
        rig.PostRx(1);
        rig.NotifyAndComplete(0);
        rig.Deliver(Frame(60, 2));
        Assert.Equal(0, rig.RxUsedIndex);

        rig.Rig.Write(R.Status, rig.Rig.Read(R.Status) | VirtioStatus.DriverOk);
        ulong driverOk = rig.Rig.Run.Icount;
        Assert.Equal(driverOk + VirtioMmioTransport.CompletionLatency, rig.Rig.Transport.NextDeadline(driverOk));
        rig.Rig.Run.Icount = driverOk + VirtioMmioTransport.CompletionLatency - 1;
        rig.Rig.Transport.Advance(rig.Rig.Run.Icount);
        Assert.Equal(0, rig.RxUsedIndex);
        rig.Rig.Run.Icount++;
        rig.Rig.Transport.Advance(rig.Rig.Run.Icount);
        Assert.Equal(2, rig.RxUsedIndex);
        Assert.Equal(0, rig.Net.Pending);
        Assert.Equal(1, rig.RxBuffer(0, rig.HeaderLength + 1)[rig.HeaderLength]);
        Assert.Equal(2, rig.RxBuffer(1, rig.HeaderLength + 1)[rig.HeaderLength]);
        Assert.True(rig.Rig.Irq.Level);
    }

    [Fact]
    public void DriverOkWithNothingWaiting_SchedulesNothing()
    {
        var rig = new NetRig(driverOk: false);
        rig.Rig.Write(R.Status, rig.Rig.Read(R.Status) | VirtioStatus.DriverOk);
        Assert.Equal(ulong.MaxValue, rig.Rig.Transport.NextDeadline(rig.Rig.Run.Icount));
    }

    [Fact]
    public void FrameLargerThanTheBuffer_IsDropped_AndTheBufferStaysAvailable()
    {
        var rig = new NetRig();
        rig.PostRx(0, length: 100);
        rig.NotifyAndComplete(0);
        rig.Deliver(Frame(200, 1));
        Assert.Equal(0, rig.RxUsedIndex);
        Assert.Equal(1ul, rig.Net.Dropped);
        rig.Deliver(Frame(60, 2));
        Assert.Equal(1, rig.RxUsedIndex);
        Assert.Equal((0u, 72u), rig.RxUsedEntry(0));
    }

    [Fact]
    public void TooManyWaitingFrames_AreDropped_AndReleasedToTheHost()
    {
        var rig = new NetRig();
        for (int i = 0; i < VirtioNet.MaxPending + 3; i++) rig.Deliver(Frame(60, 1));
        Assert.Equal(VirtioNet.MaxPending, rig.Net.Pending);
        Assert.Equal(3ul, rig.Net.Dropped);
        Assert.Equal(3, rig.Peer.Released);
    }

    /// <summary>
    /// The host reads ahead of the driver only while the device has room (StreamNetdev): it hears of
    /// each frame once, when the driver takes it into a buffer or it is dropped, and never before.
    /// </summary>
    [Fact]
    public void EachFrame_IsReleasedToTheHostOnce_WhenTheDriverTakesItOrItIsDropped()
    {
        var rig = new NetRig();
        rig.Deliver(Frame(60, 1));
        rig.Deliver(Frame(200, 2));
        rig.Deliver(Frame(60, 3));
        rig.Net.Reset(); // keeps the frames, and owes the host nothing
        Assert.Equal(0, rig.Peer.Released);
        rig.PostRx(0);
        rig.NotifyAndComplete(0);
        Assert.Equal(1, rig.Peer.Released);
        rig.PostRx(1, length: 100);
        rig.NotifyAndComplete(0);
        Assert.Equal(3, rig.Peer.Released); // the 200-byte frame dropped, the third taken
        Assert.Equal(1ul, rig.Net.Dropped);
        Assert.Equal(0, rig.Net.Pending);
        rig.Deliver(Frame(VirtioNet.MaxFrame + 1, 4));
        Assert.Equal(4, rig.Peer.Released);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TransmittedFrame_ReachesThePeer_WithoutItsHeader(bool modern)
    {
        var rig = new NetRig(modern);
        var frame = Frame(64, 0x5a);
        frame[0] = 0xff;
        rig.Send(frame);
        Assert.Single(rig.Peer.Frames);
        Assert.Equal(frame, rig.Peer.Frames[0]);
        Assert.Equal(1, rig.Rig.Guest.U16(rig.TxUsedRing + 2));
    }

    [Fact]
    public void TransmitShorterThanTheHeader_NeedsReset()
    {
        var rig = new NetRig();
        var q = rig.Rig.Transport.Queue(1);
        Span<byte> d = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(d, TxBuffer);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], 4);
        rig.Memory.TryWrite(q.DescTable, d);
        rig.Memory.TryWriteU16(q.AvailRing + 4, 0);
        rig.Memory.TryWriteU16(q.AvailRing + 2, 1);
        rig.NotifyAndComplete(1);
        Assert.Empty(rig.Peer.Frames);
        Assert.NotEqual(0u, rig.Rig.Transport.Status & VirtioStatus.NeedsReset);
    }

    [Fact]
    public void WaitingFrames_AreSavedAndRestored_WithTheTransport()
    {
        var rig = new NetRig();
        rig.Deliver(Frame(60, 7));
        var stream = new MemoryStream();
        rig.Rig.Transport.SaveState(new BinaryWriter(stream));

        var other = new NetRig();
        stream.Position = 0;
        other.Rig.Transport.LoadState(new BinaryReader(stream));
        Assert.Equal(1, other.Net.Pending);
        other.PostRx(0);
        other.NotifyAndComplete(0);
        Assert.Equal(7, other.RxBuffer(0, 13)[12]);
    }

    [Fact]
    public void Reset_KeepsWaitingFrames_ForTheDriverThatStartsNext()
    {
        var rig = new NetRig();
        rig.Deliver(Frame(60, 7));
        rig.Rig.Write(R.Status, 0);
        Assert.Equal(1, rig.Net.Pending);
    }

    [Theory]
    [InlineData("52:54:00:12:34:56", new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x56 })]
    [InlineData("02-00-00-00-00-0A", new byte[] { 2, 0, 0, 0, 0, 10 })]
    [InlineData("52:54:00:12:34", null)]
    [InlineData("52:54:00:12:34:zz", null)]
    [InlineData("520:54:00:12:34:56", null)]
    public void MacAddress_ParsesQemusSpelling(string text, byte[]? expected) => Assert.Equal(expected, MacAddress.Parse(text));

    [Fact]
    public void MacAddress_DefaultsCountUpFromQemus() =>
        Assert.Equal("52:54:00:12:34:57", MacAddress.Format(MacAddress.Default(1)));
}
