using System.Runtime.CompilerServices;
using Rewind.Core.Input;
using Rewind.Replay.Log;
using Xunit.Abstractions;

namespace Rewind.Replay.Tests.Log;

public class SizeTests(ITestOutputHelper output)
{
    [Fact]
    public void A_typed_byte_costs_at_most_twelve_bytes_of_recording()
    {
        var empty = new MemoryStream();
        using (new ReplayLogWriter(empty, LogTestData.Header(), leaveOpen: true)) { }

        var ms = new MemoryStream();
        using (var w = new ReplayLogWriter(ms, LogTestData.Header(), leaveOpen: true))
        {
            // Keystrokes a few thousand to a few million instructions apart.
            ulong icount = 5_000_000;
            var rng = new Random(3);
            for (int i = 0; i < 1000; i++)
            {
                icount += (ulong)rng.Next(2_000, 3_000_000);
                w.WriteInput(icount, InputChannel.Serial0, [(byte)('a' + i % 26)]);
            }
        }
        double perByte = (ms.Length - empty.Length) / 1000.0;
        output.WriteLine($"1000 typed bytes: {ms.Length - empty.Length} bytes of records, {perByte:0.00} bytes per typed byte (header {empty.Length} bytes)");
        Assert.True(perByte <= 12, $"{perByte} bytes per typed byte");
    }

    [Fact]
    public void Writing_an_event_allocates_nothing_once_warm()
    {
        using var w = new ReplayLogWriter(Stream.Null, new RecordingHeader());
        for (int i = 0; i < 1000; i++)
            w.WriteInput((ulong)i, InputChannel.Serial0, [1]);
        // The runtime may allocate on this thread once, as it moves a method to better code in the middle
        // of a round (seen once in CI: 5,080 bytes); a write path that allocates does so in every round.
        var rounds = new long[3];
        for (int r = 0; r < rounds.Length; r++) rounds[r] = AllocatedWriting(w, 1000 + (ulong)r * 100_000);
        Assert.True(rounds.Min() == 0, $"bytes allocated in each round: {string.Join(", ", rounds)}");
    }

    /// <summary>Bytes this thread allocates writing 20,000 events and a monitor command from <paramref name="from"/> on.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long AllocatedWriting(ReplayLogWriter w, ulong from)
    {
        ReadOnlySpan<byte> one = [(byte)'q'];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            w.WriteInput(from + (ulong)i * 7, InputChannel.Serial0, one);
            w.WriteClockRead(from + (ulong)i * 7, 42);
        }
        w.WriteMonitor(from + 90_000, "info replay");
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
