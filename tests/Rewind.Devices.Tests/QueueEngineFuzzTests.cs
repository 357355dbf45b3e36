using System.Buffers.Binary;
using Rewind.Devices.Block;
using Rewind.Devices.Rng;
using Rewind.Devices.Virtio;
using R = Rewind.Devices.Virtio.VirtioMmioRegister;

namespace Rewind.Devices.Tests;

/// <summary>
/// Seeded random descriptor tables thrown at the queue engine through a real transport and device:
/// chains that loop, point outside RAM or wrap the address space, indirect tables of any size, heads and
/// ring indices out of range, oversized lengths, random request headers. Whatever the guest writes, the
/// device answers with a virtio status or enters NEEDS_RESET; the host never throws, and every used
/// entry names a descriptor the queue has.
/// </summary>
public class QueueEngineFuzzTests
{
    private const int Rounds = 400;
    private const ulong RamEnd = GuestRig.RamBase + (1 << 20);

    private static ulong Address(Random rng) => rng.Next(10) switch
    {
        0 => (ulong)rng.NextInt64(), // anywhere
        1 => RamEnd - (ulong)rng.Next(0, 64), // straddling the end of RAM
        2 => GuestRig.RamBase - (ulong)rng.Next(1, 64), // just below RAM
        3 => ulong.MaxValue - (ulong)rng.Next(0, 64), // wraps
        4 => GuestRig.Desc + 16UL * (ulong)rng.Next(0, 8), // the descriptor table itself (indirect loops)
        _ => GuestRig.Data + (ulong)rng.Next(0, 0x20000),
    };

    private static uint Length(Random rng) => rng.Next(8) switch
    {
        0 => 0,
        1 => uint.MaxValue - (uint)rng.Next(0, 16),
        2 => (uint)rng.Next(1 << 20, int.MaxValue), // larger than RAM
        3 => 16,
        4 => 1,
        _ => (uint)rng.Next(1, 8192),
    };

    private static ushort Flags(Random rng) => rng.Next(6) switch
    {
        0 => (ushort)rng.Next(0, 65536),
        1 => SplitVirtqueue.DescIndirect,
        2 => SplitVirtqueue.DescNext | SplitVirtqueue.DescWrite,
        3 => SplitVirtqueue.DescWrite,
        4 => SplitVirtqueue.DescNext,
        _ => 0,
    };

    private static void RandomTable(GuestRig g, Random rng, ulong table, int entries)
    {
        for (int i = 0; i < entries; i++)
            g.WriteDesc(table, i, Address(rng), Length(rng), Flags(rng), (ushort)(rng.Next(4) == 0 ? rng.Next(0, 65536) : rng.Next(0, entries)));
    }

    /// <summary>
    /// Two plausible block requests (header, data, status) at descriptors 0-2 and 3-5, each field then
    /// spoiled with some probability, so that requests get far enough to be answered.
    /// </summary>
    private static void PlausibleTable(GuestRig g, Random rng)
    {
        for (int head = 0; head <= 3; head += 3)
        {
            ulong header = GuestRig.Data + 512UL * (ulong)rng.Next(0, 256);
            ulong data = rng.Next(4) == 0 ? Address(rng) : GuestRig.Data + 512UL * (ulong)rng.Next(0, 200);
            uint length = rng.Next(4) == 0 ? Length(rng) : 512u * (uint)rng.Next(0, 9);
            ushort dataFlags = (ushort)(SplitVirtqueue.DescNext | (rng.Next(2) == 0 ? SplitVirtqueue.DescWrite : 0));
            g.WriteDesc(GuestRig.Desc, head, header, rng.Next(8) == 0 ? Length(rng) : 16, rng.Next(8) == 0 ? Flags(rng) : SplitVirtqueue.DescNext, (ushort)(head + 1));
            g.WriteDesc(GuestRig.Desc, head + 1, data, length, rng.Next(8) == 0 ? Flags(rng) : dataFlags, (ushort)(rng.Next(8) == 0 ? rng.Next(0, 8) : head + 2));
            g.WriteDesc(GuestRig.Desc, head + 2, rng.Next(8) == 0 ? Address(rng) : GuestRig.Data + 0x1ff00, 1, rng.Next(8) == 0 ? Flags(rng) : SplitVirtqueue.DescWrite);
        }
    }

    /// <summary>A request header at each data address the tables may name: a random type and sector.</summary>
    private static void RandomHeaders(GuestRig g, Random rng)
    {
        Span<byte> header = stackalloc byte[16];
        for (ulong at = GuestRig.Data; at < GuestRig.Data + 0x20000; at += 512)
        {
            uint[] types = [VirtioBlock.TypeIn, VirtioBlock.TypeOut, VirtioBlock.TypeFlush, VirtioBlock.TypeGetId, VirtioBlock.TypeDiscard, (uint)rng.Next()];
            BinaryPrimitives.WriteUInt32LittleEndian(header, types[rng.Next(types.Length)]);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], rng.Next(3) == 0 ? (ulong)rng.NextInt64() : (ulong)rng.Next(0, 300));
            g.Memory.TryWrite(at, header);
        }
    }

    private static (int Completed, int Resets) Fuzz(IVirtioDevice device, int seed)
    {
        var rng = new Random(seed);
        var rig = new TransportRig(device, legacy: rng.Next(2) == 0);
        var g = rig.Guest;
        int completed = 0, resets = 0;
        rig.Start(rng.Next(2) == 0 ? 1u << VirtioFeature.IndirectDesc : 0);
        ushort usedSeen = 0;
        for (int round = 0; round < Rounds; round++)
        {
            bool plausible = rng.Next(3) != 0;
            if (plausible) PlausibleTable(g, rng);
            else RandomTable(g, rng, GuestRig.Desc, 8);
            RandomTable(g, rng, GuestRig.Data + 0x2000 + 256UL * (ulong)rng.Next(0, 4), rng.Next(1, 16));
            if (round % 16 == 0) RandomHeaders(g, rng);
            int offers = rng.Next(1, 4);
            for (int i = 0; i < offers; i++)
                g.Offer((ushort)(rng.Next(5) == 0 ? rng.Next(0, 65536) : plausible ? 3 * rng.Next(0, 2) : rng.Next(0, 8)));
            if (rng.Next(20) == 0) g.Memory.TryWriteU16(g.AvailAddr + 2, (ushort)rng.Next(0, 65536)); // an index far ahead
            rig.NotifyAndComplete();
            if ((rig.Read(R.Status) & VirtioStatus.NeedsReset) != 0)
            {
                Assert.NotNull(rig.Transport.Problem);
                resets++;
                rig.Start(rng.Next(2) == 0 ? 1u << VirtioFeature.IndirectDesc : 0);
                usedSeen = 0;
                g.ResetIndices();
                continue;
            }
            ushort used = g.UsedIndex;
            for (; usedSeen != used; usedSeen++)
            {
                var (id, _) = g.UsedEntry(usedSeen);
                Assert.True(id < 8, $"seed {seed} round {round}: used entry names descriptor {id}");
                completed++;
            }
        }
        return (completed, resets);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void RandomDescriptorTables_ToVirtioBlk_GetAStatusOrAReset_NeverAHostException(int seed)
    {
        var image = new byte[128 * 1024];
        var device = new VirtioBlock(TransportRig.Disk(image), "fuzz");
        var (completed, resets) = Fuzz(device, seed);
        // Both outcomes are reached, so the fuzzer exercises the paths it claims to.
        Assert.True(completed > 10, $"only {completed} requests completed");
        Assert.True(resets > 10, $"only {resets} resets");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void RandomDescriptorTables_ToVirtioRng_GetBytesOrAReset_NeverAHostException(int seed)
    {
        var (completed, resets) = Fuzz(new VirtioRng(new EntropyInput()), seed);
        Assert.True(completed > 10, $"only {completed} requests completed");
        Assert.True(resets > 10, $"only {resets} resets");
    }

    [Fact]
    public void RandomRamUnderThePoppedChain_NeverThrows()
    {
        // The queue engine alone, with every byte of its rings and tables random.
        var rng = new Random(99);
        var chain = new DescriptorChain();
        int requests = 0, broken = 0;
        for (int i = 0; i < 500; i++)
        {
            var g = new GuestRig(size: 1 << rng.Next(0, 9));
            var noise = new byte[0x4000];
            rng.NextBytes(noise);
            g.Memory.TryWrite(GuestRig.Desc, noise);
            if (rng.Next(2) == 0)
            {
                // Sane ring indices and heads, so the random descriptors themselves get walked.
                g.Memory.TryWriteU16(GuestRig.Avail + 2, (ushort)rng.Next(1, 5));
                g.Memory.TryWriteU16(GuestRig.Used + 2, 0);
                for (int k = 0; k < 4; k++) g.Memory.TryWriteU16(GuestRig.Avail + 4 + 2UL * (ulong)k, (ushort)rng.Next(0, g.Queue.Size));
            }
            g.Queue.IndirectAllowed = rng.Next(2) == 0;
            for (int n = 0; n < 4; n++)
            {
                var r = g.Queue.Pop(g.Memory, chain);
                if (r == QueuePop.Empty) break;
                if (r == QueuePop.Broken)
                {
                    Assert.False(string.IsNullOrEmpty(g.Queue.Problem));
                    broken++;
                    break;
                }
                requests++;
                var buffer = new byte[(int)Math.Min(chain.ReadableLength, 4096)];
                chain.Gather(g.Memory, 0, buffer);
                chain.Scatter(g.Memory, 0, new byte[(int)Math.Min(chain.WritableLength, 4096)]);
                g.Queue.Push(g.Memory, chain.Head, 0);
            }
        }
        Assert.True(requests > 0 && broken > 0, $"{requests} requests, {broken} broken queues");
    }
}
